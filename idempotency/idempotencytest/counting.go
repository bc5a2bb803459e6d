package idempotencytest

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// CountingStore wraps a Store and counts the calls made to it. For stores
// where one call is one round trip (memory; SQLite statements aside) the
// count is the number of round trips; network stores should count at their
// client instead (see [Benchmark]).
type CountingStore struct {
	idempotency.Store
	calls atomic.Int64
}

var _ idempotency.Store = (*CountingStore)(nil)

// NewCountingStore returns s wrapped in a CountingStore.
func NewCountingStore(s idempotency.Store) *CountingStore { return &CountingStore{Store: s} }

// Calls returns the number of Store method calls so far.
func (c *CountingStore) Calls() int64 { return c.calls.Load() }

// Acquire counts and forwards the call.
func (c *CountingStore) Acquire(ctx context.Context, rec idempotency.Record, now time.Time) error {
	c.calls.Add(1)
	return c.Store.Acquire(ctx, rec, now)
}

// Complete counts and forwards the call.
func (c *CountingStore) Complete(ctx context.Context, rec idempotency.Record) error {
	c.calls.Add(1)
	return c.Store.Complete(ctx, rec)
}

// Release counts and forwards the call.
func (c *CountingStore) Release(ctx context.Context, key, owner string) error {
	c.calls.Add(1)
	return c.Store.Release(ctx, key, owner)
}

// Get counts and forwards the call.
func (c *CountingStore) Get(ctx context.Context, key string) (idempotency.Record, error) {
	c.calls.Add(1)
	return c.Store.Get(ctx, key)
}

// Delete counts and forwards the call.
func (c *CountingStore) Delete(ctx context.Context, key string) error {
	c.calls.Add(1)
	return c.Store.Delete(ctx, key)
}
