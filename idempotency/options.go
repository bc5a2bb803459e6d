package idempotency

import (
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
	// DefaultPollInterval is how often a waiting duplicate checks the record.
	DefaultPollInterval = 50 * time.Millisecond
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

	// WaitForResult makes a duplicate that finds an INPROGRESS record wait,
	// polling every PollInterval until the holder finishes or ctx is done,
	// instead of failing at once with ErrInProgress. If the holder fails or
	// its lease ends while waiting, the waiter does the work itself.
	WaitForResult bool

	// PollInterval is the waiting duplicate's polling period. Zero means
	// DefaultPollInterval.
	PollInterval time.Duration

	// AllowMissingKey makes [Handler] call the handler unguarded when its key
	// function reports ErrMissingKey, instead of failing. Batch processing
	// (package batch) honours it the same way, through [Guard.CheckKey].
	// [Guard.Do] always requires a key.
	AllowMissingKey bool

	// Clock returns the current time. Every expiry and lease decision uses
	// it; nil means time.Now.
	Clock func() time.Time

	// Logger receives one record per decision, with the key hash and status
	// but never a payload or result. Nil means slog.Default().
	Logger *slog.Logger
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
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
