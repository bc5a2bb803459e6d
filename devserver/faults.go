package devserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/idempotency"
)

// Faults configure fault injection. The zero value injects none.
type Faults struct {
	// DuplicateRate is the probability that an event is delivered twice: it
	// is enqueued twice, and with ConcurrentDuplicates it is also handed to
	// a second worker while the first is processing it.
	DuplicateRate float64
	// ConcurrentDuplicates adds the concurrent delivery described above.
	ConcurrentDuplicates bool
	// CrashRate is the probability that an attempt "crashes" after its side
	// effects, when it is about to complete its idempotency record: the
	// record is neither completed nor released and the message is not
	// deleted, as if the process had been killed.
	CrashRate float64
	// TransientRate is the probability that reading a source object fails
	// with a throttling error.
	TransientRate float64
	// Seed makes the injection reproducible; zero picks a random seed.
	Seed uint64
}

// Validate reports an error for rates outside [0, 1].
func (f Faults) Validate() error {
	for name, r := range map[string]float64{"duplicate": f.DuplicateRate, "crash": f.CrashRate, "transient": f.TransientRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("devserver: %s rate %v is not between 0 and 1", name, r)
		}
	}
	return nil
}

// Active reports whether any fault is injected.
func (f Faults) Active() bool {
	return f.DuplicateRate > 0 || f.CrashRate > 0 || f.TransientRate > 0
}

// dice draws the injected faults; safe for concurrent use.
type dice struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

func newDice(seed uint64) *dice {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &dice{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (d *dice) roll(p float64) bool {
	if p <= 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rnd.Float64() < p
}

// ErrInjectedCrash is what a crashed attempt's Complete returns.
var ErrInjectedCrash = errors.New("devserver: injected crash before completing the idempotency record")

// ErrInjectedThrottle is the injected transient read error.
var ErrInjectedThrottle = errors.New("devserver: injected SlowDown (503): reduce your request rate")

// crashingStore wraps an idempotency store: a crashed attempt neither
// completes nor releases its record, so the record stays INPROGRESS until
// its lease ends.
type crashingStore struct {
	idempotency.Store
	rate    float64
	dice    *dice
	crashes *counter
	mu      sync.Mutex
	dead    map[string]bool // key + owner of crashed attempts
}

func (s *crashingStore) Complete(ctx context.Context, rec idempotency.Record) error {
	if s.dice.roll(s.rate) {
		s.mu.Lock()
		s.dead[rec.Key+"\x00"+rec.Owner] = true
		s.mu.Unlock()
		s.crashes.add(1)
		return ErrInjectedCrash
	}
	return s.Store.Complete(ctx, rec)
}

func (s *crashingStore) Release(ctx context.Context, key, owner string) error {
	s.mu.Lock()
	dead := s.dead[key+"\x00"+owner]
	s.mu.Unlock()
	if dead {
		return nil // a killed process releases nothing
	}
	return s.Store.Release(ctx, key, owner)
}

// throttlingStore wraps the bucket: source reads fail at rate.
type throttlingStore struct {
	blob.Store
	rate  float64
	dice  *dice
	count *counter
}

func (s *throttlingStore) GetWithOptions(ctx context.Context, key string, opts blob.GetOptions) ([]byte, blob.Object, error) {
	if s.dice.roll(s.rate) {
		s.count.add(1)
		return nil, blob.Object{}, fmt.Errorf("get %s: %w", key, ErrInjectedThrottle)
	}
	return s.Store.GetWithOptions(ctx, key, opts)
}

type counter struct {
	mu sync.Mutex
	n  int64
}

func (c *counter) add(n int64) {
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
}

func (c *counter) get() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// FaultStats counts the faults injected so far.
type FaultStats struct {
	Duplicates           int64 `json:"duplicates"`
	ConcurrentDuplicates int64 `json:"concurrentDuplicates"`
	Crashes              int64 `json:"crashes"`
	Throttles            int64 `json:"throttles"`
}

// faultCounters hold the counts behind FaultStats.
type faultCounters struct {
	dups, concurrent, crashes, throttles counter
}

func (f *faultCounters) stats() FaultStats {
	return FaultStats{Duplicates: f.dups.get(), ConcurrentDuplicates: f.concurrent.get(), Crashes: f.crashes.get(), Throttles: f.throttles.get()}
}
