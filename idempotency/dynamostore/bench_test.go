package dynamostore_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/rampartdev/rampart/idempotency"
)

// benchGuard returns a Guard over a fresh table reached through url (the
// server itself when empty), without a result cache, and the store's
// request counter.
func benchGuard(b *testing.B, url string) (*idempotency.Guard, *Counter) {
	f := newFixture(b, url, nil)
	return idempotency.New(f.store, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)}), f.count
}

func reportRoundTrips(b *testing.B, c *Counter) {
	b.ReportMetric(float64(c.Writes())/float64(b.N), "writes/op")
	b.ReportMetric(float64(c.Reads())/float64(b.N), "reads/op")
}

func okResult(context.Context) ([]byte, error) { return []byte(`{"status":"ok"}`), nil }

// BenchmarkGuard_FirstDelivery measures Guard.Do on a new key each time:
// acquire, run, complete.
func BenchmarkGuard_FirstDelivery(b *testing.B) {
	g, c := benchGuard(b, "")
	ctx := context.Background()
	payload := []byte(`{"order":42}`)
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "first-" + strconv.Itoa(i)
	}
	c.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := g.Do(ctx, keys[i], payload, okResult); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRoundTrips(b, c)
}

// BenchmarkGuard_Duplicate measures Guard.Do on a completed key: the failed
// acquire carries the stored result. "oldItemReturned" runs behind the test
// proxy that returns the old item as DynamoDB does (its server-side read is
// in ns/op but is no client round trip); "readFallback" runs against
// dynalite, which omits it, so the store reads.
func BenchmarkGuard_Duplicate(b *testing.B) {
	for _, bc := range []struct {
		name   string
		inject bool
	}{{"oldItemReturned", true}, {"readFallback", false}} {
		b.Run(bc.name, func(b *testing.B) {
			url := ""
			if bc.inject {
				url = MustProxy(b, endpoint(b), true, "id").URL
			}
			g, c := benchGuard(b, url)
			ctx := context.Background()
			payload := []byte(`{"order":42}`)
			if _, err := g.Do(ctx, "dup", payload, okResult); err != nil {
				b.Fatal(err)
			}
			c.Reset()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := g.Do(ctx, "dup", payload, func(context.Context) ([]byte, error) {
					b.Fatal("duplicate ran the function")
					return nil, nil
				})
				if err != nil || string(res) != `{"status":"ok"}` {
					b.Fatal(res, err)
				}
			}
			b.StopTimer()
			reportRoundTrips(b, c)
		})
	}
}
