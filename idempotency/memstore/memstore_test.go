package memstore_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

func TestStore(t *testing.T) {
	idempotencytest.Run(t, func(t *testing.T) idempotency.Store {
		return memstore.Foreign{Store: memstore.New(&memstore.Options{MaxResultSize: 64 << 10})}
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

// Acquire sweeps expired records once the store has doubled since the last
// sweep, so a long-running program holds about one expiry window of records.
func TestStore_sweepsExpired(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(nil)
	now := time.Now()
	acquire := func(i int, at time.Time) {
		t.Helper()
		rec := idempotency.Record{Key: "k" + strconv.Itoa(i), Status: idempotency.StatusInProgress, Owner: "o",
			InProgressExpiry: at.Add(time.Minute), Expiry: at.Add(time.Hour)}
		if err := s.Acquire(ctx, rec, at); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1024 { // expire at now+1h
		acquire(i, now)
	}
	later := now.Add(2 * time.Hour)
	acquire(1024, later) // 1024 records held: this Acquire sweeps them first
	if n := s.Len(); n != 1 {
		t.Fatalf("after the sweep the store holds %d records; want 1", n)
	}
	if _, err := s.Get(ctx, "k0"); !errors.Is(err, idempotency.ErrNotFound) {
		t.Errorf("Get(swept record) = %v; want ErrNotFound", err)
	}
	// Live records are never swept.
	for i := 1025; i < 1025+1500; i++ {
		acquire(i, later)
	}
	if n := s.Len(); n != 1501 {
		t.Errorf("store holds %d live records; want 1501 (none swept)", n)
	}
}

func TestStore_DeleteExpired(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(nil)
	now := time.Now()
	for i, exp := range []time.Duration{-time.Second, 0, time.Hour} {
		rec := idempotency.Record{Key: strconv.Itoa(i), Status: idempotency.StatusInProgress, Owner: "o",
			InProgressExpiry: now.Add(exp), Expiry: now.Add(exp)}
		if err := s.Acquire(ctx, rec, now.Add(-2*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpired(ctx, now)
	if err != nil || n != 2 || s.Len() != 1 {
		t.Fatalf("DeleteExpired = %d, %v, leaving %d; want 2 deleted, 1 left", n, err, s.Len())
	}
	if _, err := s.Get(ctx, "2"); err != nil {
		t.Errorf("the live record is gone: %v", err)
	}
}
