package idempotency

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by the engine and by stores.
var (
	// ErrNotFound is returned by Store.Get when no record exists.
	ErrNotFound = errors.New("idempotency: record not found")
	// ErrFenced is returned by Store.Complete and Store.Release when the
	// caller no longer holds the record: its lease ended and another holder
	// took over, or the record was evicted (or, for Release only, the
	// caller's own earlier Release deleted it).
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

// Errors returned by the engine ([Guard.Do] and [Handler]).
var (
	// ErrInProgress reports that a duplicate arrived while another delivery
	// of the same key holds a live lease. It is retryable: by the time the
	// platform retries, the holder has completed (the retry replays its
	// result), failed (the retry does the work) or crashed (its lease ends
	// and the retry takes over). The engine returns it as an
	// *[InProgressError].
	ErrInProgress = errors.New("idempotency: another delivery of this key is in progress")
	// ErrPayloadMismatch reports that an idempotency key was reused with a
	// different payload. It is not retryable. The engine returns it as a
	// *[PayloadMismatchError].
	ErrPayloadMismatch = errors.New("idempotency: key reused with a different payload")
	// ErrMissingKey reports that no idempotency key could be extracted from
	// an input. Key functions return it (possibly wrapped).
	ErrMissingKey = errors.New("idempotency: no idempotency key")
)

// InProgressError is returned when a duplicate finds a live INPROGRESS
// record. errors.Is(err, ErrInProgress) reports true for it. Its type name,
// which Lambda reports as the errorType, lets a Step Functions Retry or an
// alarm match it.
type InProgressError struct {
	KeyHash    string    // hash of the idempotency key, safe to log
	LeaseEnds  time.Time // when the holder's lease ends, by the Guard's clock
	RetryAfter time.Duration
}

func (e *InProgressError) Error() string {
	return fmt.Sprintf("idempotency: key %s is in progress (lease ends in %s)", e.KeyHash, e.RetryAfter.Round(time.Millisecond))
}

// Is reports whether target is ErrInProgress.
func (e *InProgressError) Is(target error) bool { return target == ErrInProgress }

// Temporary reports true: an in-progress duplicate is worth retrying.
func (e *InProgressError) Temporary() bool { return true }

// PayloadMismatchError is returned when a key is reused with a payload whose
// hash differs from the stored one. errors.Is(err, ErrPayloadMismatch)
// reports true for it.
type PayloadMismatchError struct {
	KeyHash string // hash of the idempotency key, safe to log
	Status  Status // status of the record that holds the key
}

func (e *PayloadMismatchError) Error() string {
	return fmt.Sprintf("idempotency: key %s reused with a different payload (%s record)", e.KeyHash, e.Status)
}

// Is reports whether target is ErrPayloadMismatch.
func (e *PayloadMismatchError) Is(target error) bool { return target == ErrPayloadMismatch }
