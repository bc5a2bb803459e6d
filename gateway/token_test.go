package gateway_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

func TestGenerateToken_roundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		tok, id, err := gateway.GenerateToken(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		gotID, secret, err := gateway.ParseToken(tok)
		if err != nil || gotID != id || len(secret) != 43 {
			t.Fatalf("ParseToken(%q) = %q, %d-byte secret, %v; want id %q", tok, gotID, len(secret), err, id)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
		if h := gateway.HashToken(tok); len(h) != 64 || strings.Contains(h, secret) {
			t.Fatalf("hash %q", h)
		}
	}
}

func TestParseToken_malformed(t *testing.T) {
	for _, s := range []string{
		"", "rpt_", "rpt_abc", "rpt__0123456789abcdef0123", "xyz_abc_0123456789abcdef0123",
		"rpt_abc_short", "rpt_abc_0123456789abcdef0123!", "rpt_abc_0123456789 abcdef0123",
	} {
		if _, _, err := gateway.ParseToken(s); !errors.Is(err, gateway.ErrMalformedToken) {
			t.Errorf("ParseToken(%q) = %v, want ErrMalformedToken", s, err)
		}
	}
}

func TestTokenRecord_scopesAndExpiry(t *testing.T) {
	now := time.Unix(1000, 0)
	r := gateway.TokenRecord{Scopes: []string{"read"}, ExpiresAt: now}
	if !r.HasScope("") || !r.HasScope("read") || r.HasScope("write") {
		t.Error("HasScope")
	}
	if !r.Expired(now) || r.Expired(now.Add(-time.Nanosecond)) {
		t.Error("Expired at the expiry instant")
	}
	if (&gateway.TokenRecord{}).Expired(now) {
		t.Error("zero ExpiresAt expired")
	}
}
