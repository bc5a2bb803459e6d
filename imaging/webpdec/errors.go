package webpdec

import (
	"errors"
	"io"
)

// The errors Decode and DecodeConfig return. Truncated input wraps
// [io.ErrUnexpectedEOF]; other problems are a [FormatError] (the bytes are
// not a valid WebP) or an [UnsupportedError] (a valid WebP using a feature
// this package does not decode: animation).
var (
	// ErrTooManyPixels means the header declares more pixels than
	// Options.MaxPixels allows. It is returned before any pixel memory is
	// allocated.
	ErrTooManyPixels = errors.New("webpdec: too many pixels")
	// ErrInvalidScale means Options.Scale is not 0, 1, 2, 4 or 8.
	ErrInvalidScale = errors.New("webpdec: scale must be 1, 2, 4 or 8")
	// ErrInvalidSize means Options.Width and Height are not both positive
	// and at most the image's size (Decode reduces, never enlarges).
	ErrInvalidSize = errors.New("webpdec: width and height must both be set, at most the image's size")
)

// A FormatError reports that the input is not a valid WebP.
type FormatError string

func (e FormatError) Error() string { return "webpdec: invalid WebP: " + string(e) }

// An UnsupportedError reports that the input is a WebP that uses a feature
// this package does not decode.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "webpdec: unsupported WebP: " + string(e) }

// truncatedError is returned when the input ends before the image does.
type truncatedError string

func (e truncatedError) Error() string { return "webpdec: truncated WebP: " + string(e) }
func (e truncatedError) Unwrap() error { return io.ErrUnexpectedEOF }
