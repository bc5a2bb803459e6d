package memstore_test

import (
	"testing"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

func TestStore(t *testing.T) {
	idempotencytest.Run(t, func(t *testing.T) idempotency.Store {
		return memstore.New(&memstore.Options{MaxResultSize: 64 << 10})
	})
}

func TestStore_unlimited(t *testing.T) {
	idempotencytest.Run(t, func(t *testing.T) idempotency.Store { return memstore.New(nil) })
}

// BenchmarkGuard reports the engine's overhead over the in-memory store. One
// store call is one round trip here.
func BenchmarkGuard(b *testing.B) {
	idempotencytest.Benchmark(b, func(testing.TB) idempotency.Store { return memstore.New(nil) }, nil)
}
