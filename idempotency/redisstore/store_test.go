package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/redisstore"
)

// fixture is a store under a fresh prefix whose round trips are counted.
type fixture struct {
	store  *redisstore.Store
	client *redis.Client // uncounted
	prefix string
	count  *Counter
}

func newFixture(tb testing.TB, opts *redisstore.Options) *fixture {
	tb.Helper()
	direct := MustClient(tb)
	counted := MustClient(tb)
	c := &Counter{}
	counted.AddHook(c)
	var o redisstore.Options
	if opts != nil {
		o = *opts
	}
	o.Prefix = MustPrefix(tb, direct)
	return &fixture{store: redisstore.New(counted, &o), client: direct, prefix: o.Prefix, count: c}
}

func record(key, owner string, now time.Time) idempotency.Record {
	return idempotency.Record{
		Key:              key,
		Status:           idempotency.StatusInProgress,
		Owner:            owner,
		PayloadHash:      "hash-" + key,
		InProgressExpiry: now.Add(10 * time.Second),
		Expiry:           now.Add(time.Hour),
	}
}

// TestStore_Layout checks the hash a record is kept in and that Redis
// expires it when the record expires by the caller's clock, which here runs
// two hours ahead of the server's: the time to live is a duration.
func TestStore_Layout(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	now := time.Now().Add(2 * time.Hour) // a caller's clock ahead of the server's
	rec := record("k", "owner-1", now)
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	h, err := f.client.HGetAll(ctx, f.prefix+"k").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"status":                 "INPROGRESS",
		"owner":                  "owner-1",
		"validation":             "hash-k",
		"in_progress_expiration": fmt.Sprint(rec.InProgressExpiry.UnixMilli()),
		"expiration_ms":          fmt.Sprint(rec.Expiry.UnixMilli()),
	}
	if fmt.Sprint(h) != fmt.Sprint(want) {
		t.Errorf("hash = %v, want %v", h, want)
	}
	ttl := func() time.Duration {
		d, err := f.client.PTTL(ctx, f.prefix+"k").Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := ttl(); d > time.Hour || d < time.Hour-5*time.Second {
		t.Errorf("PTTL = %v, want the record's expiry less the caller's now (1h)", d)
	}
	rec.Result = []byte{0xff, 0, 'x'} // binary results survive
	rec.Expiry = now.Add(3 * time.Hour)
	if err := f.store.Complete(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if d := ttl(); d > 3*time.Hour || d < 3*time.Hour-5*time.Second {
		t.Errorf("PTTL after Complete = %v, want the new expiry less the caller's now (3h)", d)
	}
	got, err := f.store.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Result, rec.Result) || got.Status != idempotency.StatusCompleted {
		t.Errorf("Get = %+v", got)
	}
}

// TestStore_RoundTrips counts what each delivery costs: one script per
// Acquire, Complete and Release.
func TestStore_RoundTrips(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	now := time.Now()
	// Load the scripts, so EVALSHA finds them.
	if err := f.store.Acquire(ctx, record("warm", "o", now), now); err != nil {
		t.Fatal(err)
	}
	f.store.Complete(ctx, record("warm", "o", now))
	f.store.Release(ctx, "warm", "o")

	f.count.Reset()
	rec := record("k", "first", now)
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	rec.Result = []byte("r")
	if err := f.store.Complete(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if n := f.count.Count(); n != 2 {
		t.Errorf("first delivery took %d round trips, want 2", n)
	}
	f.count.Reset()
	var ce *idempotency.ConflictError
	if err := f.store.Acquire(ctx, record("k", "second", now), now); !errors.As(err, &ce) || string(ce.Existing.Result) != "r" {
		t.Fatalf("duplicate Acquire = %v, want conflict carrying the result", err)
	}
	if n := f.count.Count(); n != 1 {
		t.Errorf("duplicate took %d round trips, want 1", n)
	}
}

// TestStore_ScriptsReloaded checks a server that forgot the scripts (after a
// restart or SCRIPT FLUSH) still serves every operation.
func TestStore_ScriptsReloaded(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	now := time.Now()
	for i, op := range []func() error{
		func() error { return f.store.Acquire(ctx, record("k", "o", now), now) },
		func() error { return f.store.Complete(ctx, record("k", "o", now)) },
		func() error { return f.store.Acquire(ctx, record("k2", "o", now), now) },
		func() error { return f.store.Release(ctx, "k2", "o") },
	} {
		if err := f.client.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := op(); err != nil {
			t.Errorf("operation %d after SCRIPT FLUSH: %v", i, err)
		}
	}
}

func TestStore_RetriedAcquireIsOurs(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	now := time.Now()
	rec := record("k", "o", now)
	for range 2 { // the second is a retry after a lost reply
		if err := f.store.Acquire(ctx, rec, now); err != nil {
			t.Fatalf("Acquire by the holder = %v, want nil", err)
		}
	}
}

func TestStore_MaxResultSize(t *testing.T) {
	if got := redisstore.New(MustClient(t), nil).MaxResultSize(); got != redisstore.DefaultMaxResultSize {
		t.Errorf("default MaxResultSize = %d, want %d", got, redisstore.DefaultMaxResultSize)
	}
	f := newFixture(t, &redisstore.Options{MaxResultSize: 10})
	ctx := context.Background()
	now := time.Now()
	rec := record("k", "o", now)
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	f.count.Reset()
	rec.Result = []byte("01234567890")
	var tl *idempotency.ResultTooLargeError
	if err := f.store.Complete(ctx, rec); !errors.As(err, &tl) || tl.Size != 11 || tl.Limit != 10 {
		t.Fatalf("Complete = %v, want ResultTooLargeError{11, 10}", err)
	}
	if f.count.Count() != 0 {
		t.Error("a result known to be too large was sent")
	}
	rec.Result = rec.Result[:10]
	if err := f.store.Complete(ctx, rec); err != nil {
		t.Fatal(err)
	}
}

// TestStore_ConcurrentAcquireManyKeys races 32 goroutines on each of several
// keys through separate connections: one winner per key, and every loser
// sees it.
func TestStore_ConcurrentAcquireManyKeys(t *testing.T) {
	f := newFixture(t, nil)
	now := time.Now()
	const goroutines, keys = 32, 4
	var wins [keys]atomic.Int32
	var wg sync.WaitGroup
	for i := range goroutines * keys {
		wg.Go(func() {
			k, owner := i%keys, fmt.Sprint("o", i)
			err := f.store.Acquire(context.Background(), record(fmt.Sprint("k", k), owner, now), now)
			var ce *idempotency.ConflictError
			switch {
			case err == nil:
				wins[k].Add(1)
			case errors.As(err, &ce):
				if ce.Existing.Owner == owner || ce.Existing.Status != idempotency.StatusInProgress {
					t.Errorf("conflict carries %+v", ce.Existing)
				}
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for k := range wins {
		if n := wins[k].Load(); n != 1 {
			t.Errorf("key %d: %d winners, want 1", k, n)
		}
	}
}
