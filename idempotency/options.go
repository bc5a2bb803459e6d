package idempotency

import (
	"context"
	"log/slog"
	"time"
)

// Defaults used for zero [Options] fields.
const (
	// DefaultExpiry is how long a COMPLETED record replays its result.
	DefaultExpiry = time.Hour
	// DefaultLease is the lease of a holder whose context has no deadline.
	// Lambda always sets one, so this applies to other callers only.
	DefaultLease = 5 * time.Minute
	// DefaultPollInterval is how long a waiting duplicate first waits before
	// it reads the record again; each further wait doubles, up to
	// MaxPollFactor times the poll interval.
	DefaultPollInterval = 50 * time.Millisecond
	// MaxPollFactor bounds a waiting duplicate's backoff: it reads the record
	// at least every MaxPollFactor × PollInterval (800 ms by default).
	MaxPollFactor = 16
	// DefaultSkewMargin is how far apart the clocks of the processes sharing
	// a store are assumed to be, at most.
	DefaultSkewMargin = time.Second
	// DefaultNamespace prefixes store keys when Options.Namespace is empty.
	DefaultNamespace = "rampart"
)

// Options configure a [Guard]. The zero value (or a nil *Options) selects
// every default.
type Options struct {
	// Namespace prefixes every store key, so that several functions can share
	// one table. A good value is the function name. Empty means
	// DefaultNamespace.
	Namespace string

	// Expiry is how long a COMPLETED record replays its result. Zero means
	// DefaultExpiry.
	Expiry time.Duration

	// DefaultLease is the lease of a holder whose context has no deadline.
	// When the context has a deadline (Lambda always sets one) the lease ends
	// at that deadline. Without one, the function's context is given this
	// deadline, so a holder never works on past its lease. Zero means
	// DefaultLease.
	DefaultLease time.Duration

	// SkipPayloadValidation turns off the payload hash: a key reused with a
	// different payload then replays the first result instead of failing with
	// ErrPayloadMismatch.
	SkipPayloadValidation bool

	// CacheSize is the number of COMPLETED results kept in memory, so that a
	// duplicate arriving at the same process costs no store round trip. Zero
	// means no cache. Cached results are dropped at their record's expiry;
	// a record deleted from the store by an operator keeps replaying from the
	// cache of a process that saw it until then.
	CacheSize int

	// WaitForResult makes a duplicate that finds an INPROGRESS record wait
	// until the holder finishes or ctx is done, instead of failing at once
	// with ErrInProgress. It waits with strongly consistent reads
	// (Store.Get), never writes: after PollInterval, then twice as long each
	// time, up to MaxPollFactor × PollInterval, and no later than the
	// holder's lease end. If the holder fails, or its lease
	// ends, the waiter acquires the record and does the work itself.
	WaitForResult bool

	// PollInterval is the waiting duplicate's first wait. Zero means
	// DefaultPollInterval.
	PollInterval time.Duration

	// SkewMargin is the most the clocks of the processes sharing the store
	// may differ (see the package documentation, Time). A holder's lease
	// ends SkewMargin after its deadline, while the function's context ends
	// at the deadline: a holder whose clock runs up to SkewMargin behind the
	// acquirer's is never taken over while its function may still run. Zero
	// means DefaultSkewMargin; a negative value means no margin (clocks
	// agree exactly, as a single process's do). Leases that Powertools
	// writes in a shared DynamoDB table carry no margin: when you change
	// SkewMargin, give dynamostore's ForeignLeaseMargin the same value.
	SkewMargin time.Duration

	// AllowMissingKey makes [Handler] call the handler unguarded when its key
	// function reports ErrMissingKey, instead of failing. Batch processing
	// (package batch) honours it the same way, through [Guard.CheckKey].
	// [Guard.Do] always requires a key.
	AllowMissingKey bool

	// Now returns the current time. Every expiry and lease decision uses
	// it; nil means time.Now.
	Now func() time.Time

	// Logger receives one record per decision, with the key hash and status
	// but never a payload or result. Nil means slog.Default().
	Logger *slog.Logger

	// OnReplay, when set, is called with the call's context each time a
	// duplicate gets a stored result instead of running the function (from
	// the store, from the cache, or after waiting), before Do returns it.
	// Use it to count replays or mark responses; [WithReplayHook] sets a
	// hook for one call instead.
	OnReplay func(ctx context.Context, r Replay)
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Expiry <= 0 {
		c.Expiry = DefaultExpiry
	}
	if c.DefaultLease <= 0 {
		c.DefaultLease = DefaultLease
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	switch {
	case c.SkewMargin == 0:
		c.SkewMargin = DefaultSkewMargin
	case c.SkewMargin < 0:
		c.SkewMargin = 0
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
