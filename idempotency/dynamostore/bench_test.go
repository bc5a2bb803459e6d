package dynamostore_test

import (
	"testing"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
)

// BenchmarkGuard runs idempotencytest.Benchmark over a fresh table, with
// round trips counted at the client (every HTTP request, retries included).
// "oldItemReturned" runs behind the test proxy that returns the old item
// with a failed condition, as DynamoDB does (the proxy's own read is in
// ns/op but is no client round trip); "readFallback" runs against dynalite
// as it is, which omits it, so a conflict costs one more read.
func BenchmarkGuard(b *testing.B) {
	for _, bc := range []struct {
		name   string
		inject bool
	}{{"oldItemReturned", true}, {"readFallback", false}} {
		b.Run(bc.name, func(b *testing.B) {
			var count *Counter
			idempotencytest.Benchmark(b, func(tb testing.TB) idempotency.Store {
				url := ""
				if bc.inject {
					url = MustProxy(tb, endpoint(tb), true, "id").URL
				}
				f := newFixture(tb, url, nil)
				count = f.count
				return f.store
			}, func() int64 { return int64(count.Writes() + count.Reads()) })
		})
	}
}
