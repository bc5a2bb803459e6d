package batch

import (
	"errors"
	"fmt"
)

// Errors of the batch processor.
var (
	// ErrAllFailed reports that every record of a batch failed. The handler
	// returns it (as an *[AllFailedError]) so that Lambda counts the
	// invocation as failed and retries or dead-letters the whole batch.
	ErrAllFailed = errors.New("batch: every record failed")
	// ErrNotProcessed is the failure of a record that was not processed
	// because an earlier record of its FIFO message group or stream shard
	// failed (its order must be kept), or because the context ended first.
	ErrNotProcessed = errors.New("batch: record not processed")
)

// AllFailedError is returned when every record of a batch failed. Errs
// holds each record's error, in batch order; errors.Is(err, ErrAllFailed)
// reports true for it.
type AllFailedError struct {
	Errs []error
}

func (e *AllFailedError) Error() string {
	return fmt.Sprintf("batch: all %d records failed; first error: %v", len(e.Errs), e.Errs[0])
}

// Is reports whether target is ErrAllFailed.
func (e *AllFailedError) Is(target error) bool { return target == ErrAllFailed }

// Unwrap returns the records' errors.
func (e *AllFailedError) Unwrap() []error { return e.Errs }

// PanicError is the failure of a record whose handler panicked.
type PanicError struct {
	Value any    // what the handler panicked with
	Stack []byte // the goroutine's stack at the panic
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("batch: record handler panicked: %v", e.Value)
}
