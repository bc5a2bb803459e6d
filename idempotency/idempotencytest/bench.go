package idempotencytest

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/rampartdev/rampart/idempotency"
)

// benchPayload is a real-shaped S3 notification, the payload the guard hashes.
var benchPayload = []byte(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1",` +
	`"eventTime":"2025-11-26T19:35:00.123Z","eventName":"ObjectCreated:Put","userIdentity":{"principalId":"AWS:AIDAEXAMPLE"},` +
	`"requestParameters":{"sourceIPAddress":"203.0.113.7"},"responseElements":{"x-amz-request-id":"C3D13FE58DE4C810",` +
	`"x-amz-id-2":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},"s3":{"s3SchemaVersion":"1.0",` +
	`"configurationId":"thumbnails","bucket":{"name":"rampart-uploads","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},` +
	`"arn":"arn:aws:s3:::rampart-uploads"},"object":{"key":"photos/2025/IMG_0042.jpg","size":2480139,` +
	`"eTag":"5b8a7d3c9e0f1a2b3c4d5e6f7a8b9c0d","versionId":"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY","sequencer":"0055AED6DCD90281E5"}}}]}`)

// benchResult is what the guarded function returns.
var benchResult = []byte(`{"thumbnail":"thumbs/photos/2025/IMG_0042.jpg","width":320,"height":240}`)

// Benchmark measures the engine's overhead over a store: a first delivery
// (acquire, run a function that does nothing, complete) and a duplicate
// (replay of the stored result), with no result cache. It reports ns/op,
// allocs/op (with -benchmem) and roundtrips/op.
//
// roundTrips returns a running count of the round trips the store has made,
// counted by instrumenting its client (a go-redis hook, an AWS SDK
// middleware, a SQL statement counter). When it is nil, Benchmark counts
// Store method calls instead, which equals round trips only for stores that
// make one per call.
//
// Call it from the store package's own benchmark:
//
//	func BenchmarkGuard(b *testing.B) {
//		idempotencytest.Benchmark(b, func(tb testing.TB) idempotency.Store { return memstore.New(nil) }, nil)
//	}
func Benchmark(b *testing.B, newStore func(tb testing.TB) idempotency.Store, roundTrips func() int64) {
	setup := func(b *testing.B) (*idempotency.Guard, func() int64) {
		store := newStore(b)
		count := roundTrips
		if count == nil {
			cs := NewCountingStore(store)
			store, count = cs, cs.Calls
		}
		g := idempotency.New(store, &idempotency.Options{Namespace: "bench", Logger: slog.New(slog.DiscardHandler)})
		return g, count
	}
	fn := func(context.Context) ([]byte, error) { return benchResult, nil }
	report := func(b *testing.B, count func() int64, before int64) {
		b.ReportMetric(float64(count()-before)/float64(b.N), "roundtrips/op")
	}

	b.Run("FirstDelivery", func(b *testing.B) {
		g, count := setup(b)
		ctx := context.Background()
		keys := make([]string, b.N)
		for i := range keys {
			keys[i] = "s3|rampart-uploads|photos/IMG_" + strconv.Itoa(i) + ".jpg"
		}
		b.ReportAllocs()
		before := count()
		b.ResetTimer()
		for i := range b.N {
			if _, err := g.Do(ctx, keys[i], benchPayload, fn); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		report(b, count, before)
	})

	b.Run("Duplicate", func(b *testing.B) {
		g, count := setup(b)
		ctx := context.Background()
		const key = "s3|rampart-uploads|photos/IMG_0042.jpg"
		if _, err := g.Do(ctx, key, benchPayload, fn); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		before := count()
		b.ResetTimer()
		for range b.N {
			if _, err := g.Do(ctx, key, benchPayload, fn); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		report(b, count, before)
	})
}
