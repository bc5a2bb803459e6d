package redisstore_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/rampartdev/rampart/idempotency"
)

func benchGuard(b *testing.B) (*idempotency.Guard, *Counter) {
	f := newFixture(b, nil)
	return idempotency.New(f.store, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)}), f.count
}

func okResult(context.Context) ([]byte, error) { return []byte(`{"status":"ok"}`), nil }

// BenchmarkGuard_FirstDelivery measures Guard.Do on a new key each time:
// acquire, run, complete.
func BenchmarkGuard_FirstDelivery(b *testing.B) {
	g, c := benchGuard(b)
	ctx := context.Background()
	payload := []byte(`{"order":42}`)
	if _, err := g.Do(ctx, "warm", payload, okResult); err != nil { // load the scripts
		b.Fatal(err)
	}
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
	b.ReportMetric(float64(c.Count())/float64(b.N), "roundtrips/op")
}

// BenchmarkGuard_Duplicate measures Guard.Do on a completed key: one script
// that returns the stored result.
func BenchmarkGuard_Duplicate(b *testing.B) {
	g, c := benchGuard(b)
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
	b.ReportMetric(float64(c.Count())/float64(b.N), "roundtrips/op")
}
