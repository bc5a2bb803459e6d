// Package memstore is an in-memory [idempotency.Store] for tests and for
// single-process programs. Records live in a map guarded by a mutex and are
// lost when the process exits; use sqlitestore for records that must survive
// a restart. Records that are no longer live are replaced when their key comes
// back and are never swept otherwise, so memory grows with the number of
// distinct keys: it is meant for tests and short-lived programs.
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

// Store is an in-memory idempotency store, safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	records map[string]idempotency.Record
	limit   int
}

// New returns an empty Store.
func New(opts *Options) *Store {
	s := &Store{records: make(map[string]idempotency.Record)}
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
	if ex, ok := s.records[rec.Key]; ok && ex.Live(now) {
		return &idempotency.ConflictError{Existing: copyRecord(ex)}
	}
	s.records[rec.Key] = copyRecord(rec)
	return nil
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
		return nil // our own earlier Complete: keep what it stored
	case idempotency.StatusInProgress:
	default:
		return idempotency.ErrFenced
	}
	ex.Status = idempotency.StatusCompleted
	ex.Result = append([]byte(nil), rec.Result...)
	ex.Expiry = rec.Expiry
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
	return copyRecord(ex), nil
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
