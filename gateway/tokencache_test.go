package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

func TestTokenCache(t *testing.T) {
	var calls atomic.Int64
	revoked := false
	fail := false
	store := gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
		calls.Add(1)
		switch {
		case fail:
			return nil, errors.New("down")
		case id == "known":
			return &gateway.TokenRecord{ID: id, Revoked: revoked}, nil
		}
		return nil, gateway.ErrTokenNotFound
	})
	now := time.Unix(1000, 0)
	c := gateway.NewTokenCache(store, &gateway.TokenCacheOptions{TTL: time.Second, NegativeTTL: 3 * time.Second, MaxEntries: 2, Now: func() time.Time { return now }})
	ctx := context.Background()
	for range 3 {
		if r, err := c.LookupToken(ctx, "known"); err != nil || r.ID != "known" {
			t.Fatal(r, err)
		}
		if _, err := c.LookupToken(ctx, "unknown"); !errors.Is(err, gateway.ErrTokenNotFound) {
			t.Fatal(err)
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("%d store calls, want 2", calls.Load())
	}
	revoked = true
	if r, _ := c.LookupToken(ctx, "known"); r.Revoked {
		t.Fatal("revocation visible before the TTL")
	}
	now = now.Add(time.Second)
	if r, _ := c.LookupToken(ctx, "known"); !r.Revoked {
		t.Fatal("revocation not visible after the TTL")
	}
	// The unknown id is still remembered (negative TTL 3s).
	before := calls.Load()
	if _, err := c.LookupToken(ctx, "unknown"); !errors.Is(err, gateway.ErrTokenNotFound) || calls.Load() != before {
		t.Fatalf("unknown id within the negative TTL: %v, %d store calls", err, calls.Load()-before)
	}
	now = now.Add(2 * time.Second)
	if _, err := c.LookupToken(ctx, "unknown"); !errors.Is(err, gateway.ErrTokenNotFound) || calls.Load() != before+1 {
		t.Fatalf("unknown id after the negative TTL: %v, %d store calls", err, calls.Load()-before)
	}
	now = now.Add(time.Second)
	fail = true
	if _, err := c.LookupToken(ctx, "known"); err == nil || errors.Is(err, gateway.ErrTokenNotFound) {
		t.Fatalf("store error: %v", err)
	}
	fail = false
	if _, err := c.LookupToken(ctx, "known"); err != nil {
		t.Fatal("a store error was cached:", err)
	}
}

// TestTokenCache_unknownFloodKeepsKnown floods the cache with made-up ids:
// they fill only the negative side, so the known token stays cached.
func TestTokenCache_unknownFloodKeepsKnown(t *testing.T) {
	var knownCalls atomic.Int64
	store := gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
		if id == "known" {
			knownCalls.Add(1)
			return &gateway.TokenRecord{ID: id}, nil
		}
		return nil, gateway.ErrTokenNotFound
	})
	c := gateway.NewTokenCache(store, &gateway.TokenCacheOptions{TTL: time.Hour, NegativeTTL: time.Hour, MaxEntries: 8})
	ctx := context.Background()
	c.LookupToken(ctx, "known")
	for i := range 100 {
		c.LookupToken(ctx, fmt.Sprint("bogus", i))
	}
	c.LookupToken(ctx, "known")
	if n := knownCalls.Load(); n != 1 {
		t.Fatalf("known token looked up %d times in the store, want 1", n)
	}
}

func TestTokenCache_negativeDisabled(t *testing.T) {
	var calls atomic.Int64
	store := gateway.TokenStoreFunc(func(context.Context, string) (*gateway.TokenRecord, error) {
		calls.Add(1)
		return nil, gateway.ErrTokenNotFound
	})
	c := gateway.NewTokenCache(store, &gateway.TokenCacheOptions{NegativeTTL: -1})
	for range 3 {
		c.LookupToken(context.Background(), "x")
	}
	if calls.Load() != 3 {
		t.Fatalf("%d store calls, want 3 with the negative cache off", calls.Load())
	}
}

func TestTokenCache_hitAllocatesNothing(t *testing.T) {
	store := gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
		return &gateway.TokenRecord{ID: id}, nil
	})
	c := gateway.NewTokenCache(store, &gateway.TokenCacheOptions{TTL: time.Hour})
	ctx := context.Background()
	if _, err := c.LookupToken(ctx, "known"); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = c.LookupToken(ctx, "known") }); n != 0 {
		t.Errorf("cache hit: %v allocations, want 0", n)
	}
}

// TestTokenCache_ownClockInAGateway checks that a TokenCache with a clock
// of its own keeps it inside a Gateway on the wall clock (which hands its
// time only to caches on the wall clock).
func TestTokenCache_ownClockInAGateway(t *testing.T) {
	tok := "rpt_abcdefgh_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	rec := gateway.TokenRecord{ID: "abcdefgh", Hash: gateway.HashToken(tok), Tenant: "t1"}
	calls := 0
	store := gateway.TokenStoreFunc(func(context.Context, string) (*gateway.TokenRecord, error) {
		calls++
		r := rec
		return &r, nil
	})
	fake := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	cache := gateway.NewTokenCache(store, &gateway.TokenCacheOptions{TTL: time.Second, Now: func() time.Time { return fake }})
	g, err := gateway.New(gateway.Config{Tokens: cache, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for want, step := range []time.Duration{0, 0, 2 * time.Second} {
		fake = fake.Add(step)
		if res := g.Handle(context.Background(), request(tok, nil)); res.Err != nil {
			t.Fatal(res.Err)
		}
		if want := []int{1, 1, 2}[want]; calls != want {
			t.Fatalf("after %v: %d store lookups, want %d", step, calls, want)
		}
	}
}
