package pngdec

import (
	"errors"
	"io"
)

// The errors Decode and DecodeConfig return. Input ending before the image
// does wraps [io.ErrUnexpectedEOF]; anything else wrong with the bytes (a
// bad signature, an invalid colour type or bit depth, bad checksums,
// chunks out of order, invalid compressed data) is a [FormatError]. Every
// PNG the specification defines is decoded, so there is no "unsupported"
// kind.
var (
	// ErrTooManyPixels means the header declares more pixels than
	// Options.MaxPixels allows. It is returned before any pixel memory is
	// allocated.
	ErrTooManyPixels = errors.New("pngdec: too many pixels")
	// ErrInvalidReduce means Options.Reduce is negative.
	ErrInvalidReduce = errors.New("pngdec: reduce must be 1 or more")
)

// A FormatError reports that the input is not a valid PNG.
type FormatError string

func (e FormatError) Error() string { return "pngdec: invalid PNG: " + string(e) }

// truncatedError is returned when the input ends before the image does.
type truncatedError string

func (e truncatedError) Error() string { return "pngdec: truncated PNG: " + string(e) }
func (e truncatedError) Unwrap() error { return io.ErrUnexpectedEOF }
