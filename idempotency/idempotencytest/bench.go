package idempotencytest

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

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

// BenchLiveRecords is the number of records a store holds in Benchmark's
// FirstDelivery steady state: one expiry window of a function receiving
// about three new events a second, with the default one-hour expiry.
const BenchLiveRecords = 10_000

// Expirer is implemented by stores without a TTL of their own, which delete
// expired records when told to (sqlitestore.Store, memstore.Store).
type Expirer interface {
	// DeleteExpired deletes the records whose Expiry is at or before now and
	// returns how many it deleted.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}

// Benchmark measures the engine's overhead over a store, with no result
// cache, for each kind of delivery:
//
//   - FirstDelivery: acquire, run a function that does nothing, complete;
//   - Duplicate: the replay of a stored result;
//   - Failure: acquire, a function that fails, release;
//   - WaitedDuplicate: a duplicate with Options.WaitForResult arriving while
//     the first delivery holds the key for WaitHold; it reports the store
//     calls the waiting duplicate makes (waiter-writes/op: Acquire,
//     waiter-reads/op: Get), not the holder's.
//
// Each reports ns/op, allocs/op (with -benchmem) and roundtrips/op: the
// round trips the store made per delivery (the waited duplicate's include
// its holder's first delivery).
//
// FirstDelivery uses a new key for every delivery, as S3, SQS and
// EventBridge events have, and keeps the store at the size it has in
// production rather than letting it grow with b.N: a manual clock advances
// by one [BenchLiveRecords]th of the expiry per delivery, so each record
// expires BenchLiveRecords deliveries after it was written. A store that
// implements [Expirer] is first filled with BenchLiveRecords records (outside
// the timer), then told to delete expired records every BenchLiveRecords
// deliveries, as its operator would (that time is counted: it is part of the
// store's cost), so it holds between one and two windows of records from
// the first timed delivery on; live-records reports how many live records it
// held at the end when it can list them (a [Lister]). Stores with
// a server-side TTL are left to it.
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
	var clock *Clock
	quiet := slog.New(slog.DiscardHandler)
	setup := func(b *testing.B) (*idempotency.Guard, idempotency.Store, func() int64) {
		clock = NewClock()
		store := newStore(b)
		count := roundTrips
		if count == nil {
			cs := NewCountingStore(store)
			store, count = cs, cs.Calls
		}
		g := idempotency.New(store, &idempotency.Options{Namespace: "bench", Now: clock.Now, Logger: quiet})
		return g, store, count
	}
	fn := func(context.Context) ([]byte, error) { return benchResult, nil }
	report := func(b *testing.B, count func() int64, before int64) {
		b.ReportMetric(float64(count()-before)/float64(b.N), "roundtrips/op")
	}

	b.Run("FirstDelivery", func(b *testing.B) {
		g, store, count := setup(b)
		exp := expirer(store)
		ctx := context.Background()
		const window = BenchLiveRecords
		step := idempotency.DefaultExpiry / window
		if exp != nil {
			for i := range window { // the steady state, before the timer
				clock.Advance(step)
				if _, err := g.Do(ctx, "s3|rampart-uploads|photos/FILL_"+strconv.Itoa(i)+".jpg", benchPayload, fn); err != nil {
					b.Fatal(err)
				}
			}
		}
		// Keys are made a window at a time, outside the timer, so that
		// neither their making nor a slice of b.N of them is measured.
		keys := make([]string, window)
		b.ReportAllocs()
		before := count()
		b.ResetTimer()
		for i := range b.N {
			j := i % window
			if j == 0 {
				b.StopTimer()
				for k := range keys {
					keys[k] = "s3|rampart-uploads|photos/IMG_" + strconv.Itoa(i+k) + ".jpg"
				}
				b.StartTimer()
			}
			now := clock.Advance(step)
			if _, err := g.Do(ctx, keys[j], benchPayload, fn); err != nil {
				b.Fatal(err)
			}
			if exp != nil && j == window-1 {
				if _, err := exp.DeleteExpired(ctx, now); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StopTimer()
		report(b, count, before)
		if n, ok := liveRecords(ctx, store, clock.Now()); ok {
			b.ReportMetric(float64(n), "live-records")
		}
	})

	b.Run("Duplicate", func(b *testing.B) {
		g, _, count := setup(b)
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

	b.Run("Failure", func(b *testing.B) {
		g, _, count := setup(b)
		ctx := context.Background()
		errFailed := errors.New("failed")
		failing := func(context.Context) ([]byte, error) { return nil, errFailed }
		b.ReportAllocs()
		before := count()
		b.ResetTimer()
		for i := range b.N {
			if _, err := g.Do(ctx, "fail-"+strconv.Itoa(i), benchPayload, failing); err != errFailed {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		report(b, count, before)
	})

	b.Run("WaitedDuplicate", func(b *testing.B) {
		g, store, count := setup(b)
		waiterStore := NewCountingStore(store)
		waiter := idempotency.New(waiterStore, &idempotency.Options{Namespace: "bench", Now: clock.Now, Logger: quiet, WaitForResult: true})
		ctx := context.Background()
		before := count()
		b.ResetTimer()
		for i := range b.N {
			key := "wait-" + strconv.Itoa(i)
			started, done := make(chan struct{}), make(chan error, 1)
			go func() {
				_, err := g.Do(ctx, key, benchPayload, func(context.Context) ([]byte, error) {
					close(started)
					time.Sleep(WaitHold)
					return benchResult, nil
				})
				done <- err
			}()
			<-started
			res, err := waiter.Do(ctx, key, benchPayload, func(context.Context) ([]byte, error) {
				return nil, errors.New("the waiting duplicate ran the function")
			})
			if err != nil || string(res) != string(benchResult) {
				b.Fatal(res, err)
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		report(b, count, before)
		b.ReportMetric(float64(waiterStore.Writes())/float64(b.N), "waiter-writes/op")
		b.ReportMetric(float64(waiterStore.Gets())/float64(b.N), "waiter-reads/op")
	})
}

// WaitHold is how long the first delivery holds the key in Benchmark's
// WaitedDuplicate.
const WaitHold = 300 * time.Millisecond

// expirer returns store, or the store a CountingStore wraps, as an Expirer.
func expirer(store idempotency.Store) Expirer {
	if cs, ok := store.(*CountingStore); ok {
		store = cs.Store
	}
	exp, _ := store.(Expirer)
	return exp
}

// liveRecords counts the records of store not expired at now, if it can
// list them.
func liveRecords(ctx context.Context, store idempotency.Store, now time.Time) (int, bool) {
	if cs, ok := store.(*CountingStore); ok {
		store = cs.Store
	}
	if s, ok := store.(idempotency.Lister); ok {
		n := 0
		opts := idempotency.ListOptions{Limit: idempotency.MaxListLimit}
		for {
			recs, next, err := s.List(ctx, opts)
			if err != nil {
				return 0, false
			}
			for _, r := range recs {
				if now.Before(r.Expiry) {
					n++
				}
			}
			if next == "" {
				return n, true
			}
			opts.After = next
		}
	}
	return 0, false
}
