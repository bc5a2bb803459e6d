package idempotency

import (
	"context"
	"time"
)

// Status is the state of an idempotency record.
type Status string

// Record statuses, spelled as Powertools for AWS Lambda spells them so that
// tables can be shared between runtimes.
const (
	// StatusInProgress marks a record whose holder is running the guarded
	// function. It is live until its lease (InProgressExpiry) ends.
	StatusInProgress Status = "INPROGRESS"
	// StatusCompleted marks a record whose function finished; Result holds
	// what it returned. It is live until Expiry.
	StatusCompleted Status = "COMPLETED"
)

// Record is one idempotency record as a Store keeps it.
type Record struct {
	// Key is the store key, built by the engine from the idempotency key.
	// Stores treat it as opaque.
	Key string
	// Status is INPROGRESS or COMPLETED.
	Status Status
	// Owner is the fencing token of the holder that acquired the record: a
	// random value chosen per acquisition. Complete and Release succeed only
	// for the owner that is on the record.
	Owner string
	// PayloadHash is the hash of the payload that produced this record, used
	// to detect a key reused with a different payload. Empty when payload
	// validation is off.
	PayloadHash string
	// Result is the stored response of a COMPLETED record.
	Result []byte
	// ResultNotStored, on a COMPLETED record, reports that the function
	// succeeded but its result was too large for the store, so the record
	// was completed without it: Result is empty, and duplicates get a
	// *ResultNotStoredError instead of a replay (or a second run).
	ResultNotStored bool
	// InProgressExpiry is the end of the holder's lease. An INPROGRESS record
	// whose lease has ended may be taken over by the next acquirer.
	InProgressExpiry time.Time
	// Expiry is when the record stops counting altogether (and, in stores
	// with a TTL, is deleted).
	Expiry time.Time
}

// Live reports whether r still blocks a new acquisition at time now: it has
// not expired and it is either completed or in progress within its lease.
func (r Record) Live(now time.Time) bool {
	if !now.Before(r.Expiry) {
		return false
	}
	switch r.Status {
	case StatusCompleted:
		return true
	case StatusInProgress:
		return now.Before(r.InProgressExpiry)
	}
	return false
}

// Store persists idempotency records. It does I/O only: key building,
// payload hashing, caching and the protocol live in the engine.
//
// Implementations must be safe for concurrent use by many goroutines and, for
// shared stores, by many processes. Every method honours ctx.
type Store interface {
	// Acquire atomically writes rec (status INPROGRESS, with Owner,
	// PayloadHash, InProgressExpiry and Expiry set) unless a record that is
	// Live at now already exists for rec.Key. A record that exists but is not
	// live is replaced.
	//
	// On conflict it returns a *ConflictError whose Existing field holds the
	// live record, so that a duplicate costs no extra read.
	Acquire(ctx context.Context, rec Record, now time.Time) error

	// Complete turns the INPROGRESS record rec.Key held by rec.Owner into
	// COMPLETED, storing rec.Result, rec.ResultNotStored and rec.Expiry. If
	// the record is missing, or held by another owner, it returns ErrFenced
	// and changes nothing. If rec.Result cannot be stored because of its
	// size it returns a *ResultTooLargeError and changes nothing; the engine
	// then completes the record with an empty Result and ResultNotStored
	// set, which Get and Acquire's conflicts return as they were stored.
	//
	// Complete is idempotent: if the record is already COMPLETED by
	// rec.Owner it returns nil and changes nothing, leaving the result and
	// expiry the first Complete stored. Owner tokens are random per
	// acquisition, so such a record can only be the caller's own earlier
	// success, typically a first attempt whose reply was lost and that the
	// client library retried; reporting ErrFenced for it would be a false
	// alarm. "Completed by rec.Owner" means that rec.Owner's Complete
	// stored the result (stores keep who completed a record): a record
	// that another writer turned COMPLETED while it still names rec.Owner
	// (Powertools' completion is an unconditional update that keeps the
	// other attributes) is ErrForeignCompletion, and changes nothing.
	Complete(ctx context.Context, rec Record) error

	// Release deletes the INPROGRESS record key if owner holds it. If the
	// record is missing, not in progress, or held by another owner, it
	// returns ErrFenced and deletes nothing.
	//
	// Unlike Complete, Release is not made idempotent: a missing record may
	// be the caller's own earlier Release whose reply was lost, but equally
	// an operator's Delete, or a takeover after the lease ended followed by
	// the new holder's release or the record's expiry, and the store cannot
	// tell these apart. ErrFenced from Release is harmless either way (the
	// record no longer blocks the key for the caller's retry), and the
	// engine only logs it.
	Release(ctx context.Context, key, owner string) error

	// Get returns the record stored under key, live or not. It returns
	// ErrNotFound when there is none.
	Get(ctx context.Context, key string) (Record, error)

	// Delete removes the record stored under key whatever its state (an
	// operator's eviction). Deleting a missing record is not an error.
	Delete(ctx context.Context, key string) error
}

// ResultLimiter is implemented by stores that bound the size of a stored
// result. Every store in this module implements it; Complete returns a
// *ResultTooLargeError for a result over the limit.
type ResultLimiter interface {
	// MaxResultSize returns the largest result, in bytes, the store accepts.
	MaxResultSize() int
}
