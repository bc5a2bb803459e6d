package idempotencytest

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// CountingStore wraps a Store and counts the calls made to it, in total and
// per method. For stores where one call is one round trip (memory; SQLite
// statements aside) the count is the number of round trips; network stores
// should count at their client instead (see [Benchmark]).
type CountingStore struct {
	idempotency.Store
	calls                                        atomic.Int64
	acquires, completes, releases, gets, deletes atomic.Int64
}

var _ idempotency.Store = (*CountingStore)(nil)

// NewCountingStore returns s wrapped in a CountingStore.
func NewCountingStore(s idempotency.Store) *CountingStore { return &CountingStore{Store: s} }

// Calls returns the number of Store method calls so far.
func (c *CountingStore) Calls() int64 { return c.calls.Load() }

// Acquires returns the number of Acquire calls so far (conditional writes,
// in a store such as DynamoDB).
func (c *CountingStore) Acquires() int64 { return c.acquires.Load() }

// Gets returns the number of Get calls so far (reads).
func (c *CountingStore) Gets() int64 { return c.gets.Load() }

// Writes returns the number of Acquire, Complete, Release and Delete calls
// so far.
func (c *CountingStore) Writes() int64 {
	return c.acquires.Load() + c.completes.Load() + c.releases.Load() + c.deletes.Load()
}

// Acquire counts and forwards the call.
func (c *CountingStore) Acquire(ctx context.Context, rec idempotency.Record, now time.Time) error {
	c.calls.Add(1)
	c.acquires.Add(1)
	return c.Store.Acquire(ctx, rec, now)
}

// Complete counts and forwards the call.
func (c *CountingStore) Complete(ctx context.Context, rec idempotency.Record) error {
	c.calls.Add(1)
	c.completes.Add(1)
	return c.Store.Complete(ctx, rec)
}

// Release counts and forwards the call.
func (c *CountingStore) Release(ctx context.Context, key, owner string) error {
	c.calls.Add(1)
	c.releases.Add(1)
	return c.Store.Release(ctx, key, owner)
}

// Get counts and forwards the call.
func (c *CountingStore) Get(ctx context.Context, key string) (idempotency.Record, error) {
	c.calls.Add(1)
	c.gets.Add(1)
	return c.Store.Get(ctx, key)
}

// Delete counts and forwards the call.
func (c *CountingStore) Delete(ctx context.Context, key string) error {
	c.calls.Add(1)
	c.deletes.Add(1)
	return c.Store.Delete(ctx, key)
}
