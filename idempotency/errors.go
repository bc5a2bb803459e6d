package idempotency

import (
	"errors"
	"fmt"
)

// Errors returned by the engine and by stores.
var (
	// ErrNotFound is returned by Store.Get when no record exists.
	ErrNotFound = errors.New("idempotency: record not found")
	// ErrFenced is returned by Store.Complete and Store.Release when the
	// caller no longer holds the record: its lease ended and another holder
	// took over, or the record was evicted.
	ErrFenced = errors.New("idempotency: record is held by another owner")
)

// ConflictError is returned by Store.Acquire when a live record already
// exists for the key. Existing is that record.
type ConflictError struct {
	Existing Record
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("idempotency: live %s record exists", e.Existing.Status)
}

// ResultTooLargeError is returned when a result cannot be stored because of
// its size. The record is left as it was.
type ResultTooLargeError struct {
	Size  int // bytes of the encoded result
	Limit int // the most the store accepts
}

func (e *ResultTooLargeError) Error() string {
	return fmt.Sprintf("idempotency: result of %d bytes exceeds the store's limit of %d bytes", e.Size, e.Limit)
}
