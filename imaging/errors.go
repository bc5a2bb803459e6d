package imaging

import (
	"errors"
	"fmt"
)

// The reasons an input is refused. Every one of them is permanent: the same
// bytes fail the same way every time, so a caller should record the rejection
// and never retry. [Thumbnails] and [Sniff] return them wrapped in a
// [*RejectError]; test with [errors.Is] or [IsReject].
var (
	// ErrEmpty means the input has no bytes.
	ErrEmpty = errors.New("imaging: empty input")
	// ErrUnsupported means the bytes are not an image format this package
	// reads (a text file named .jpg, HEIC, TIFF, ...).
	ErrUnsupported = errors.New("imaging: unsupported format")
	// ErrCorrupt means the bytes start like a supported format but do not
	// decode: truncated, bad checksums, invalid headers.
	ErrCorrupt = errors.New("imaging: corrupt image")
	// ErrTooLarge means the input has more bytes than Limits.MaxBytes.
	ErrTooLarge = errors.New("imaging: input too large")
	// ErrTooManyPixels means the header declares more pixels than
	// Limits.MaxPixels (a decompression bomb, or simply too big).
	ErrTooManyPixels = errors.New("imaging: too many pixels")
	// ErrTooManyFrames means an animation has more frames than
	// Limits.MaxFrames.
	ErrTooManyFrames = errors.New("imaging: too many frames")
	// ErrTooMuchMemory means decoding the image would need more memory
	// than Limits.MaxMemory (see MemoryEstimate), judged from the header.
	ErrTooMuchMemory = errors.New("imaging: too much memory to decode")
)

// RejectError reports why an input was refused. Err is one of the sentinel
// errors above (ErrEmpty, ErrUnsupported, ErrCorrupt, ErrTooLarge,
// ErrTooManyPixels, ErrTooManyFrames, ErrTooMuchMemory); Reason is a short human-readable
// explanation (including the decoder's message, if any) suitable for storing
// with a rejected record.
type RejectError struct {
	Reason string
	Err    error
}

func (e *RejectError) Error() string {
	if e.Reason == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Reason
}

func (e *RejectError) Unwrap() error { return e.Err }

// IsReject reports whether err (or an error it wraps) is a [*RejectError],
// that is, a permanent problem with the input rather than a transient
// failure such as a cancelled context.
func IsReject(err error) bool {
	var r *RejectError
	return errors.As(err, &r)
}

// reject builds a *RejectError for the sentinel kind.
func reject(kind error, format string, args ...any) *RejectError {
	return &RejectError{Reason: fmt.Sprintf(format, args...), Err: kind}
}
