package sqlitetokens_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/sqlitetokens"
)

func MustOpen(tb testing.TB, now func() time.Time) *sqlitetokens.Store {
	tb.Helper()
	s, err := sqlitetokens.Open(filepath.Join(tb.TempDir(), "tokens.db"), &sqlitetokens.Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore_createLookupRevoke(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := MustOpen(t, func() time.Time { return now })
	tok, rec, err := s.Create(ctx, sqlitetokens.CreateOptions{
		Tenant: "acme", Scopes: []string{"read", "write"}, TTL: time.Hour,
		Limit: gateway.Limit{Rate: 5, Period: time.Second, Burst: 10}, Note: "ci",
	})
	if err != nil {
		t.Fatal(err)
	}
	if id, _, err := gateway.ParseToken(tok); err != nil || id != rec.ID {
		t.Fatalf("token %q id %q: %v", tok, rec.ID, err)
	}
	got, err := s.LookupToken(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != rec.ID || got.Hash != gateway.HashToken(tok) || got.Tenant != "acme" || len(got.Scopes) != 2 || got.Limit() != (gateway.Limit{Rate: 5, Period: time.Second, Burst: 10}) ||
		!got.ExpiresAt.Equal(now.Add(time.Hour)) || got.Revoked || got.Note != "ci" {
		t.Fatalf("looked up %+v", got)
	}
	if _, err := s.LookupToken(ctx, rec.ID+"x"); !errors.Is(err, gateway.ErrTokenNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := s.Revoke(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LookupToken(ctx, rec.ID); !got.Revoked {
		t.Fatal("not revoked")
	}
	if err := s.Revoke(ctx, "nope"); !errors.Is(err, sqlitetokens.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestStore_onlyHashesStored(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t, nil)
	tok, _, err := s.Create(ctx, sqlitetokens.CreateOptions{Tenant: "a"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
	_, secret, _ := gateway.ParseToken(tok)
	if strings.Contains(list[0].Hash, secret) || list[0].Hash != gateway.HashToken(tok) {
		t.Fatal("stored something other than the hash")
	}
}

func TestStore_concurrentCreate(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, _, err := s.Create(ctx, sqlitetokens.CreateOptions{Tenant: "a"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if list, _ := s.List(ctx); len(list) != 40 {
		t.Fatalf("%d tokens, want 40", len(list))
	}
}

func TestStore_needsTenant(t *testing.T) {
	if _, _, err := MustOpen(t, nil).Create(context.Background(), sqlitetokens.CreateOptions{}); err == nil {
		t.Fatal("created a token without a tenant")
	}
}

// A negative TTL (a typo for a lifetime) must not give a token that never
// expires.
func TestStore_negativeTTL(t *testing.T) {
	s := MustOpen(t, nil)
	ctx := context.Background()
	if tok, rec, err := s.Create(ctx, sqlitetokens.CreateOptions{Tenant: "t", TTL: -time.Hour}); err == nil {
		t.Fatalf("created %s with a negative TTL: expires %v", tok, rec.ExpiresAt)
	}
	if list, _ := s.List(ctx); len(list) != 0 {
		t.Fatalf("%d tokens stored, want none", len(list))
	}
}

// A folder name with URI syntax in it must open that folder's file, not
// another one.
func TestOpen_pathCharacters(t *testing.T) {
	for _, dir := range []string{"a#b", "a?b", "100%"} {
		path := filepath.Join(t.TempDir(), dir, "tokens.db")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		s, err := sqlitetokens.Open(path, nil)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the store is not at %s: %v", dir, path, err)
		}
	}
}

// Open creates the store's folder, as rampart tokens does in a fresh data
// folder (<data>/gateway/tokens.db): it failed with "unable to open database
// file (14)".
func TestOpen_createsFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "gateway", "tokens.db")
	s, err := sqlitetokens.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the store is not at %s: %v", path, err)
	}
}
