package idempotencytest

import (
	"sync"
	"time"
)

// Clock is a manual clock for tests, safe for concurrent use. It starts at
// the real time (so that stores which also set a server-side TTL from
// Record.Expiry keep the records) and moves only forward, when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock set to the current real time, truncated to the
// millisecond (the precision every store keeps).
func NewClock() *Clock { return &Clock{now: time.Now().Truncate(time.Millisecond)} }

// Now returns the clock's time. Pass it as idempotency.Options.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (a negative d is ignored) and returns
// the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return c.now
}
