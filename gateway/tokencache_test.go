package gateway_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

func TestTokenCache(t *testing.T) {
	var calls atomic.Int64
	revoked := false
	fail := false
	store := gateway.TokenStoreFunc(func(_ context.Context, h string) (*gateway.TokenRecord, error) {
		calls.Add(1)
		switch {
		case fail:
			return nil, errors.New("down")
		case h == "known":
			return &gateway.TokenRecord{ID: "k", Hash: h, Revoked: revoked}, nil
		}
		return nil, gateway.ErrTokenNotFound
	})
	now := time.Unix(1000, 0)
	c := gateway.NewTokenCache(store, time.Second, 2, func() time.Time { return now })
	ctx := context.Background()
	for range 3 {
		if r, err := c.LookupToken(ctx, "known"); err != nil || r.ID != "k" {
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
	now = now.Add(time.Second)
	fail = true
	if _, err := c.LookupToken(ctx, "known"); err == nil || errors.Is(err, gateway.ErrTokenNotFound) {
		t.Fatalf("store error: %v", err)
	}
	fail = false
	c.LookupToken(ctx, "a")
	c.LookupToken(ctx, "b")
	c.LookupToken(ctx, "c") // over max: evicts
	if _, err := c.LookupToken(ctx, "known"); err != nil {
		t.Fatal(err)
	}
}

func TestTokenCache_hitAllocatesNothing(t *testing.T) {
	store := gateway.TokenStoreFunc(func(_ context.Context, h string) (*gateway.TokenRecord, error) {
		return &gateway.TokenRecord{ID: "k", Hash: h}, nil
	})
	c := gateway.NewTokenCache(store, time.Hour, 0, nil)
	ctx := context.Background()
	if _, err := c.LookupToken(ctx, "known"); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = c.LookupToken(ctx, "known") }); n != 0 {
		t.Errorf("cache hit: %v allocations, want 0", n)
	}
}
