package jpegdec

import (
	"errors"
	"io"
)

// The errors Decode and DecodeConfig return. Truncated input wraps
// [io.ErrUnexpectedEOF]; other problems are a [FormatError] (the bytes are
// not a valid JPEG) or an [UnsupportedError] (a valid JPEG using a feature
// this package does not implement: arithmetic coding, lossless or
// hierarchical mode, 12-bit samples).
var (
	// ErrTooManyPixels means the frame header declares more pixels than
	// Options.MaxPixels allows. It is returned before any pixel memory is
	// allocated.
	ErrTooManyPixels = errors.New("jpegdec: too many pixels")
	// ErrInvalidScale means Options.Scale is not 0, 1, 2, 4 or 8.
	ErrInvalidScale = errors.New("jpegdec: scale must be 1, 2, 4 or 8")
)

// A FormatError reports that the input is not a valid JPEG.
type FormatError string

func (e FormatError) Error() string { return "jpegdec: invalid JPEG: " + string(e) }

// An UnsupportedError reports that the input is a JPEG that uses a feature
// this package does not implement.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "jpegdec: unsupported JPEG: " + string(e) }

// truncated is returned when the input ends before the image does.
type truncatedError string

func (e truncatedError) Error() string { return "jpegdec: truncated JPEG: " + string(e) }
func (e truncatedError) Unwrap() error { return io.ErrUnexpectedEOF }
