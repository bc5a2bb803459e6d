package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
)

// BenchmarkGuard measures a first delivery and a duplicate through the
// engine, with round trips counted by a go-redis hook.
func BenchmarkGuard(b *testing.B) {
	var count *Counter
	idempotencytest.Benchmark(b, func(tb testing.TB) idempotency.Store {
		f := newFixture(tb, nil)
		// Make sure the server has the scripts, so that EVALSHA finds them
		// and the count shows the steady state.
		now := time.Now()
		rec := record("warm", "o", now)
		if err := f.store.Acquire(context.Background(), rec, now); err != nil {
			tb.Fatal(err)
		}
		f.store.Complete(context.Background(), rec)
		f.store.Release(context.Background(), "warm", "o")
		count = f.count
		return f.store
	}, func() int64 { return count.Count() })
}
