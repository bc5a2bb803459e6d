package gateway

import (
	"context"
	"sync"
	"time"
)

// Limit is a rate limit: Rate requests per Period on average, with up to
// Burst requests at once.
//
// The limit is enforced by the generic cell rate algorithm (GCRA): one
// request is allowed every Period/Rate (the emission interval), and a key
// that has been idle may spend up to Burst requests at once. Over any window
// of length d starting from a full bucket, exactly Burst + floor(d / interval)
// requests are allowed. The interval is Period/Rate in whole nanoseconds, so
// a limit is exact when Rate divides Period.
type Limit struct {
	Rate   int           // requests per Period; 0 or less means unlimited
	Period time.Duration // 0 means one second
	Burst  int           // 0 or less means Rate
}

// Unlimited reports whether l allows every request.
func (l Limit) Unlimited() bool { return l.Rate <= 0 }

// Interval returns the emission interval Period/Rate.
func (l Limit) Interval() time.Duration {
	if l.Rate <= 0 {
		return 0
	}
	p := l.Period
	if p <= 0 {
		p = time.Second
	}
	iv := p / time.Duration(l.Rate)
	if iv <= 0 {
		iv = 1
	}
	return iv
}

// BurstSize returns the burst, defaulting to Rate.
func (l Limit) BurstSize() int {
	if l.Burst > 0 {
		return l.Burst
	}
	if l.Rate > 0 {
		return l.Rate
	}
	return 1
}

// LimitDecision is the outcome of one rate-limit check.
type LimitDecision struct {
	Allowed    bool          `json:"allowed"`
	Limit      int           `json:"limit"`       // the burst: requests allowed from a full bucket
	Remaining  int           `json:"remaining"`   // requests still allowed right now
	ResetAfter time.Duration `json:"reset_after"` // until the bucket is full again
	RetryAfter time.Duration `json:"retry_after"` // until the next request is allowed; 0 when allowed
	Window     time.Duration `json:"window"`      // time to refill a whole burst: Burst*interval
}

// GCRA applies one request at now (Unix nanoseconds) to a key whose
// theoretical arrival time is tat (Unix nanoseconds, 0 for a new key), and
// returns the new theoretical arrival time to store and the decision. When
// the request is refused the returned tat equals the given one.
//
// GCRA is a pure function: every limiter (memory, Redis, the Durable Object
// in the Worker) stores only the one timestamp per key and calls this, or in
// Redis's case a Lua transcription of it.
func GCRA(l Limit, tat, now int64) (int64, LimitDecision) {
	burst := l.BurstSize()
	if l.Unlimited() {
		return tat, LimitDecision{Allowed: true, Limit: burst, Remaining: burst}
	}
	iv := int64(l.Interval())
	window := int64(burst) * iv // the tolerance plus one interval
	if tat < now {
		tat = now
	}
	newTAT := tat + iv
	d := LimitDecision{Limit: burst, Window: time.Duration(window)}
	if newTAT-now > window {
		// Refused: the request would arrive before its theoretical time
		// minus the tolerance.
		d.RetryAfter = time.Duration(newTAT - window - now)
		d.ResetAfter = time.Duration(tat - now)
		return tat, d
	}
	d.Allowed = true
	d.ResetAfter = time.Duration(newTAT - now)
	d.Remaining = int((window - (newTAT - now)) / iv)
	return newTAT, d
}

// Limiter applies rate limits to keys. Implementations must be safe for
// concurrent use, and must apply the requests for one key one at a time so
// that the count allowed is exact.
type Limiter interface {
	// Allow applies one request for key at now under l.
	Allow(ctx context.Context, key string, l Limit, now time.Time) (LimitDecision, error)
}

// MemoryLimiter is a [Limiter] that keeps one timestamp per key in memory.
// Keys whose bucket is full again are dropped by Sweep. The zero value is
// ready to use.
type MemoryLimiter struct {
	mu   sync.Mutex
	tats map[string]int64
}

var _ Limiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter() *MemoryLimiter { return &MemoryLimiter{} }

// Allow implements [Limiter].
func (m *MemoryLimiter) Allow(_ context.Context, key string, l Limit, now time.Time) (LimitDecision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tats == nil {
		m.tats = make(map[string]int64)
	}
	tat, d := GCRA(l, m.tats[key], now.UnixNano())
	if d.Allowed && !l.Unlimited() {
		m.tats[key] = tat
	}
	return d, nil
}

// Sweep forgets the keys whose theoretical arrival time is before now: their
// bucket is full, which is the same as a new key. It returns how many
// remain.
func (m *MemoryLimiter) Sweep(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := now.UnixNano()
	for k, tat := range m.tats {
		if tat <= n {
			delete(m.tats, k)
		}
	}
	return len(m.tats)
}
