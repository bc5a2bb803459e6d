package middleware

import (
	"context"
	"errors"
	"sync"
	"time"
)

// guardContext is the handler's context under the deadline guard. It ends at
// its deadline as a context.WithDeadlineCause context does (Err is
// context.DeadlineExceeded, Cause is ErrTimeoutImminent, contexts derived
// from it end with it), with one difference: the "timeout imminent" warning
// is written before it ends, so that the warning comes before every line the
// cancellation causes (the handler's "context deadline exceeded", the batch
// package's records left for retry, "invocation failed"). A context from the
// standard library cannot run code between its deadline and its end.
type guardContext struct {
	// Context carries the values, and the cause: it is the parent under
	// context.WithCancelCause, cancelled with ErrTimeoutImminent when the
	// guard fires, and found by context.Cause.
	context.Context
	cancelCause context.CancelCauseFunc

	deadline time.Time
	// done is cancelled when the guardContext ends; its Done channel is the
	// guardContext's. It is another channel than Context's, so that
	// contexts derived from the guardContext take their Err from it
	// (through AfterFunc) rather than from Context (context.Canceled).
	done       context.Context
	cancelDone context.CancelFunc

	mu    sync.Mutex
	err   error
	warn  func()
	timer *time.Timer
	stop  func() bool // stops the watch on the parent
	once  sync.Once   // the guardContext ends once
}

// newGuardContext returns a context that ends at deadline, calling warn
// first, and the function that ends it after the handler returned (without
// warning, and after a warning being written is complete).
func newGuardContext(parent context.Context, deadline time.Time, warn func()) (context.Context, func()) {
	c := &guardContext{deadline: deadline, warn: warn}
	c.Context, c.cancelCause = context.WithCancelCause(parent)
	c.done, c.cancelDone = context.WithCancel(context.Background())
	// The invocation's own deadline (or a cancellation) may come first, if
	// the timer is starved: warn about a deadline then too.
	c.stop = context.AfterFunc(parent, func() {
		err := parent.Err()
		c.end(err, context.Cause(parent), errors.Is(err, context.DeadlineExceeded))
	})
	c.timer = time.AfterFunc(time.Until(deadline), func() {
		c.end(context.DeadlineExceeded, ErrTimeoutImminent, true)
	})
	return c, func() {
		c.timer.Stop()
		c.stop()
		// Waits for a warning being written by the timer or the watch.
		c.end(context.Canceled, context.Canceled, false)
	}
}

// end ends the context with err and cause, once, warning first if asked. A
// later call waits until the first one has ended the context.
func (c *guardContext) end(err, cause error, warn bool) {
	c.once.Do(func() {
		if warn {
			c.warn()
		}
		c.cancelCause(cause) // a no-op if the parent ended it with its own
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		c.cancelDone()
	})
}

// Deadline returns the guard's deadline.
func (c *guardContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Done returns a channel closed when the context ends.
func (c *guardContext) Done() <-chan struct{} { return c.done.Done() }

// Err returns nil until the context ends, then context.DeadlineExceeded at
// the guard's deadline, or the parent's error if it ended first, or
// context.Canceled once the handler returned.
func (c *guardContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// AfterFunc arranges for f to run after the context ends. The context
// package calls it to end derived contexts without a goroutine each.
func (c *guardContext) AfterFunc(f func()) func() bool { return context.AfterFunc(c.done, f) }

func (c *guardContext) String() string { return "middleware.guardContext" }
