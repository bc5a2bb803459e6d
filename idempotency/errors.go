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
	// ErrForeignCompletion is returned by Store.Complete when the record the
	// caller holds was turned COMPLETED by a writer that does not hold the
	// caller's owner token: another runtime sharing the table (Powertools
	// for AWS Lambda completes records with an unconditional update), or an
	// operator's tool. The record then holds that writer's result, not the
	// caller's, so it is neither the caller's own earlier completion (which
	// Complete reports as success) nor a takeover ([ErrFenced]). Complete
	// changes nothing.
	ErrForeignCompletion = errors.New("idempotency: record was completed by another writer")
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
	// ErrUnscopedKey reports a request that carries an idempotency key but
	// not what scopes it to one endpoint (its method and route), so that
	// guarding it would share the key with every other such request. It
	// matches ErrMissingKey too; an HTTP adapter tells the two apart to
	// answer 400 (the client sent no key) or 500 (the integration passes no
	// route).
	ErrUnscopedKey = fmt.Errorf("%w: request without method or route to scope its key", ErrMissingKey)
	// ErrNoPrincipal reports a request that carries an idempotency key and
	// went through an authorizer, but whose caller (the principal that scopes
	// its key, see [PrincipalFunc]) cannot be found, so that guarding it
	// under a shared scope would let one caller replay another's response.
	// It matches ErrMissingKey too: [Handler] refuses it, or runs it
	// unguarded with Options.AllowMissingKey, never under a shared key.
	// Package apigw answers 500: the function or its authorizer is
	// misconfigured, not the client.
	ErrNoPrincipal = fmt.Errorf("%w: authorized request without a principal to scope its key", ErrMissingKey)
	// ErrNotRecorded reports that the guarded function succeeded but its
	// result could not be recorded. The work has been done: treat the call
	// as a success (acknowledge the message, answer the client), not as a
	// failure to retry, or the retry repeats the side effect. The engine
	// returns it as a *[NotRecordedError] carrying the result.
	ErrNotRecorded = errors.New("idempotency: the function succeeded but its result was not recorded")
	// ErrResultNotStored reports that a duplicate found its key completed
	// without a result: the function ran and succeeded, but its result was
	// too large for the store. The work is done and is not done again (until
	// the record expires), but there is nothing to replay. It is not
	// retryable: a retry gets the same answer. The engine returns it as a
	// *[ResultNotStoredError].
	ErrResultNotStored = errors.New("idempotency: completed, but the result was too large to store")
)

// NotRecordedError is returned by [Guard.Do] (and [Handler]) when the
// function succeeded but its outcome could not be stored, after Complete's
// bounded retry for transient store errors. errors.Is(err, ErrNotRecorded)
// reports true for it, and errors.As reaches its cause through Unwrap (a
// *[ResultTooLargeError], [ErrFenced], [ErrForeignCompletion] or the store's
// error).
//
// What the next delivery of the key does depends on the cause:
//
//   - the store's error (unreachable, throttled past its retries): the
//     INPROGRESS record is kept (Held), so duplicates get a retryable
//     *[InProgressError] until the lease ends, and the first delivery after
//     it (plus Options.SkewMargin) runs the function again;
//   - *ResultTooLargeError: the record is completed without the result
//     (Record.ResultNotStored), so duplicates get a *[ResultNotStoredError]
//     until the record expires, and the function does not run again. If
//     that completion fails too, Err wraps both causes and the second one
//     decides, as listed here (Held for a store error);
//   - ErrFenced: the lease was taken over (or the record evicted); the
//     other holder's record stands and duplicates replay its result;
//   - ErrForeignCompletion: another writer completed the record;
//     duplicates replay that writer's result.
//
// Is it safe to report success? For a message or request whose reply the
// caller is about to send, yes: the side effect happened once, and Result
// is what the function returned. What is lost is only the protection of
// later duplicates.
type NotRecordedError struct {
	KeyHash string // hash of the idempotency key, safe to log
	// Result is what the function returned (also Do's first return value).
	Result []byte
	// Held reports that the INPROGRESS record was left in place to block
	// duplicates until its lease ends (the store's error was transient).
	Held bool
	// Err is why the result was not recorded.
	Err error
}

func (e *NotRecordedError) Error() string {
	return fmt.Sprintf("idempotency: key %s: the function succeeded but its result was not recorded: %v", e.KeyHash, e.Err)
}

// Is reports whether target is ErrNotRecorded.
func (e *NotRecordedError) Is(target error) bool { return target == ErrNotRecorded }

// Unwrap returns the cause.
func (e *NotRecordedError) Unwrap() error { return e.Err }

// ResultNotStoredError is returned to a duplicate of a key whose function
// succeeded with a result too large for the store: the record was completed
// without it (the first call got a *[NotRecordedError] wrapping a
// *[ResultTooLargeError], with the result). The function is not run again
// until the record expires (Options.Expiry), and there is no result to
// replay. errors.Is(err, ErrResultNotStored) reports true for it. It is
// permanent: treat the duplicate as done (acknowledge the message; an HTTP
// API answers that the request was processed, as package apigw does), and
// shrink the result so that it fits the store.
type ResultNotStoredError struct {
	KeyHash string // hash of the idempotency key, safe to log
}

func (e *ResultNotStoredError) Error() string {
	return fmt.Sprintf("idempotency: key %s was completed, but its result was too large to store and cannot be replayed", e.KeyHash)
}

// Is reports whether target is ErrResultNotStored.
func (e *ResultNotStoredError) Is(target error) bool { return target == ErrResultNotStored }

// InProgressError is returned when a duplicate finds a live INPROGRESS
// record. errors.Is(err, ErrInProgress) reports true for it. Its type name,
// which Lambda reports as the errorType, lets a Step Functions Retry or an
// alarm match it.
type InProgressError struct {
	KeyHash    string    // hash of the idempotency key, safe to log
	LeaseEnds  time.Time // when the holder's lease ends, as the holder recorded it (its deadline plus SkewMargin)
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

// Outcomes of [SQSS3Keys] other than keys. Both are permanent: the message
// says the same thing at every delivery, so neither is worth a retry.
var (
	// ErrTestEvent reports S3's s3:TestEvent message, which S3 sends once
	// when a bucket's notification configuration is created or changed
	// (directly, or inside an SNS notification). It names no object: there
	// is nothing to do and nothing to guard. Acknowledge the message
	// (count it as processed); reporting it failed would have the queue
	// redeliver it until it is dead-lettered.
	ErrTestEvent = errors.New("idempotency: S3's s3:TestEvent message, which names no object")
	// ErrMalformedMessage reports a message whose body is not an S3 event
	// notification in any of the shapes S3 delivers to a queue (an S3
	// notification, one inside an SNS notification, an S3 event from
	// EventBridge), or one whose records lack what identifies an event.
	// A redelivery carries the same body, so it is never worth a retry:
	// reject it (log it and acknowledge it, or move it to a queue of your
	// own for inspection). [SQSS3Keys] returns it as a *[MessageError].
	ErrMalformedMessage = errors.New("idempotency: message body is not an S3 event notification")
)

// MessageError is returned by [SQSS3Keys] for a message whose body is not
// an S3 event notification it can key. errors.Is(err, ErrMalformedMessage)
// reports true for it, and Unwrap reaches the cause (a JSON syntax error,
// or an [ErrMissingKey] from [S3Key] for a record without sequencer or
// eTag). The body is not part of the message: it may hold user data.
type MessageError struct {
	MessageID string // the SQS messageId
	Reason    string // what is wrong with the body
	Err       error  // the cause, or nil
}

func (e *MessageError) Error() string {
	s := "idempotency: SQS message " + e.MessageID + " is not an S3 event notification: " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrMalformedMessage.
func (e *MessageError) Is(target error) bool { return target == ErrMalformedMessage }

// Unwrap returns the cause.
func (e *MessageError) Unwrap() error { return e.Err }
