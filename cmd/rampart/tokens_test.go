package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/gateway"
)

// runCmd runs the rampart command line args and returns stdout and stderr.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestTokens_createListRevokeExport(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tokens.db")
	tok, msg, err := runCmd(t, "tokens", "create", "--db", db, "--tenant", "acme", "--scope", "read, write", "--rate", "5", "--burst", "9", "--ttl", "24h")
	if err != nil {
		t.Fatal(err)
	}
	tok = strings.TrimSpace(tok)
	id, _, err := gateway.ParseToken(tok)
	if err != nil {
		t.Fatalf("created %q: %v", tok, err)
	}
	if !strings.Contains(msg, id) || strings.Contains(msg, tok) {
		t.Fatalf("stderr %q should name the id, not the token", msg)
	}

	out, _, err := runCmd(t, "tokens", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, id) || !strings.Contains(out, "read,write") || !strings.Contains(out, "5/1s burst 9") || !strings.Contains(out, "active") || strings.Contains(out, tok) {
		t.Fatalf("list:\n%s", out)
	}

	if _, _, err := runCmd(t, "tokens", "revoke", "--db", db, id); err != nil {
		t.Fatal(err)
	}
	out, _, _ = runCmd(t, "tokens", "list", "--db", db, "--json")
	var recs []gateway.TokenRecord
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 1 || !recs[0].Revoked || recs[0].Hash != gateway.HashToken(tok) {
		t.Fatalf("list --json: %v\n%s", err, out)
	}

	out, _, err = runCmd(t, "tokens", "export", "--db", db, "--kv")
	if err != nil {
		t.Fatal(err)
	}
	var pairs []struct{ Key, Value string }
	if err := json.Unmarshal([]byte(out), &pairs); err != nil || len(pairs) != 1 || pairs[0].Key != recs[0].ID {
		t.Fatalf("export --kv: %v\n%s", err, out)
	}
	var rec gateway.TokenRecord
	if err := json.Unmarshal([]byte(pairs[0].Value), &rec); err != nil || rec.ID != id || rec.Tenant != "acme" || strings.Contains(out, tok) {
		t.Fatalf("exported value %q: %v", pairs[0].Value, err)
	}
}

func TestTokens_usageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tokens.db")
	for _, args := range [][]string{
		{"tokens"},
		{"tokens", "frobnicate"},
		{"tokens", "create", "--db", db},
		{"tokens", "create", "--db", db, "--tenant", "a", "extra"},
		{"tokens", "revoke", "--db", db},
		{"tokens", "export", "--db", db},
		{"tokens", "list", "--db", db, "--bogus"},
	} {
		_, _, err := runCmd(t, args...)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, _, err := runCmd(t, "tokens", "revoke", "--db", db, "nope"); err == nil {
		t.Error("revoking an unknown id succeeded")
	}
}
