// Package memstore is an in-memory [idempotency.Store] for tests and for
// single-process programs. Records live in a map guarded by a mutex and are
// lost when the process exits; use sqlitestore for records that must survive
// a restart.
//
// Expired records (past their Expiry) are replaced when their key comes back
// and are swept otherwise: Acquire deletes every expired record, at the time
// it is given, whenever the number of records held has doubled since the last
// sweep (and is at least 1024). Memory therefore stays within about twice
// the records of one expiry window, and the sweep costs O(1) amortized per
// Acquire, paid in one pass under the lock. [Store.DeleteExpired] sweeps on
// demand. Like a TTL in DynamoDB or Redis, a sweep makes Get report
// ErrNotFound for an expired record.
package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

var (
	_ idempotency.Store         = (*Store)(nil)
	_ idempotency.ResultLimiter = (*Store)(nil)
)

// Options configure a Store. The zero value (or nil) selects the defaults.
type Options struct {
	// MaxResultSize is the largest result Complete accepts, in bytes; a larger
	// one is a *idempotency.ResultTooLargeError. Zero means no limit.
	MaxResultSize int
}

// minSweep is the number of records below which Acquire does not sweep.
const minSweep = 1024

// Store is an in-memory idempotency store, safe for concurrent use.
type Store struct {
	mu sync.Mutex
	// records holds values, not pointers: a sweep then reads each Expiry
	// from the map's own memory instead of chasing a pointer per record.
	records map[string]entry
	sweepAt int // Acquire sweeps at this many records
	limit   int
}

// entry is a record and the owner whose Complete stored its result (empty
// while in progress, or when another writer completed it).
type entry struct {
	idempotency.Record
	completedBy string
}

// New returns an empty Store.
func New(opts *Options) *Store {
	s := &Store{records: make(map[string]entry), sweepAt: minSweep}
	if opts != nil {
		s.limit = opts.MaxResultSize
	}
	return s
}

// MaxResultSize returns the largest result the store accepts, or 0 when
// there is no limit.
func (s *Store) MaxResultSize() int { return s.limit }

// Acquire implements idempotency.Store.
func (s *Store) Acquire(ctx context.Context, rec idempotency.Record, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ex, ok := s.records[rec.Key]
	if ok && ex.Live(now) {
		return &idempotency.ConflictError{Existing: copyRecord(ex.Record)}
	}
	if !ok && len(s.records) >= s.sweepAt {
		s.sweep(now)
	}
	s.records[rec.Key] = entry{Record: copyRecord(rec)}
	return nil
}

// sweep deletes the records that have expired at now, returns how many it
// deleted, and sets the size of the next automatic sweep. s.mu must be held.
func (s *Store) sweep(now time.Time) int64 {
	var n int64
	for k, r := range s.records {
		if !now.Before(r.Expiry) {
			delete(s.records, k)
			n++
		}
	}
	s.sweepAt = max(minSweep, 2*len(s.records))
	return n
}

// DeleteExpired deletes the records whose Expiry is at or before now and
// returns how many it deleted. INPROGRESS records within their expiry are
// kept even if their lease has ended. Acquire also sweeps on its own (see
// the package documentation).
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sweep(now), nil
}

// Complete implements idempotency.Store.
func (s *Store) Complete(ctx context.Context, rec idempotency.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.limit > 0 && len(rec.Result) > s.limit {
		return &idempotency.ResultTooLargeError{Size: len(rec.Result), Limit: s.limit}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ex, ok := s.records[rec.Key]
	if !ok || ex.Owner != rec.Owner {
		return idempotency.ErrFenced
	}
	switch ex.Status {
	case idempotency.StatusCompleted:
		if ex.completedBy == rec.Owner {
			return nil // our own earlier Complete: keep what it stored
		}
		return idempotency.ErrForeignCompletion
	case idempotency.StatusInProgress:
	default:
		return idempotency.ErrFenced
	}
	ex.Status = idempotency.StatusCompleted
	ex.Result = append([]byte(nil), rec.Result...)
	ex.ResultNotStored = rec.ResultNotStored
	ex.Expiry = rec.Expiry
	ex.completedBy = rec.Owner
	s.records[rec.Key] = ex
	return nil
}

// Release implements idempotency.Store.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ex, ok := s.records[key]
	if !ok || ex.Status != idempotency.StatusInProgress || ex.Owner != owner {
		return idempotency.ErrFenced
	}
	delete(s.records, key)
	return nil
}

// Get implements idempotency.Store.
func (s *Store) Get(ctx context.Context, key string) (idempotency.Record, error) {
	if err := ctx.Err(); err != nil {
		return idempotency.Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ex, ok := s.records[key]
	if !ok {
		return idempotency.Record{}, idempotency.ErrNotFound
	}
	return copyRecord(ex.Record), nil
}

// Delete implements idempotency.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, key)
	return nil
}

// Len returns the number of records held, live or not.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// copyRecord returns rec with its own Result slice, so callers cannot alter
// the stored record.
func copyRecord(rec idempotency.Record) idempotency.Record {
	if rec.Result != nil {
		rec.Result = append([]byte(nil), rec.Result...)
	}
	return rec
}
