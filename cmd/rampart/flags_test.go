package main

import (
	"errors"
	"flag"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/gateway"
)

func TestParseFlags_anyPosition(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		pos     []string
		db      string
		verbose bool
	}{
		{"flags first", []string{"--db", "x.db", "-v", "a", "b"}, []string{"a", "b"}, "x.db", true},
		{"flags last", []string{"a", "b", "--db", "x.db", "-v"}, []string{"a", "b"}, "x.db", true},
		{"flags between", []string{"a", "--db=x.db", "b", "-v"}, []string{"a", "b"}, "x.db", true},
		{"stdin dash is positional", []string{"-", "--db", "x.db"}, []string{"-"}, "x.db", false},
		{"double dash ends the flags", []string{"a", "--", "-v", "--db", "y"}, []string{"a", "-v", "--db", "y"}, "", false},
		{"double dash first", []string{"--", "-v"}, []string{"-v"}, "", false},
		{"double dash as a flag's value", []string{"--db", "--", "a", "-v"}, []string{"a"}, "--", true},
		{"bool flag before double dash", []string{"-v", "--", "-x"}, []string{"-x"}, "", true},
		{"nothing", nil, nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFlags("test", "", io.Discard)
			db := fs.String("db", "", "")
			verbose := fs.Bool("v", false, "")
			pos, err := parseFlags(fs, tc.args, -1)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pos, tc.pos) || *db != tc.db || *verbose != tc.verbose {
				t.Errorf("parseFlags(%q) = %q, db %q, v %v; want %q, db %q, v %v", tc.args, pos, *db, *verbose, tc.pos, tc.db, tc.verbose)
			}
		})
	}
}

func TestParseFlags_errors(t *testing.T) {
	fs := newFlags("tokens revoke", "", io.Discard)
	fs.String("db", "", "")
	var u usageError
	if _, err := parseFlags(fs, []string{"a", "--bogus"}, -1); !errors.As(err, &u) || !strings.HasPrefix(err.Error(), "tokens revoke: ") {
		t.Errorf("unknown flag after an argument: %v, want a usage error naming the command", err)
	}
	if _, err := parseFlags(fs, []string{"a", "--db"}, -1); !errors.As(err, &u) {
		t.Errorf("flag without its value: %v, want a usage error", err)
	}
	if _, err := parseFlags(fs, []string{"a", "--db", "x", "b"}, 1); !errors.As(err, &u) || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("too many arguments: %v, want a usage error naming the extra one", err)
	}
	if _, err := parseFlags(fs, []string{"a"}, 0); !errors.As(err, &u) {
		t.Errorf("an argument to a command that takes none: %v, want a usage error", err)
	}
	if _, err := parseFlags(fs, []string{"a", "-h"}, -1); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h after an argument: %v, want flag.ErrHelp", err)
	}
}

// TestCommands_flagsAnyPosition runs real commands with their flags after
// the positional arguments, and asks every command for its help.
func TestCommands_flagsAnyPosition(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tokens.db")
	tok, _, err := runCmd(t, "tokens", "create", "--tenant", "acme", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := gateway.ParseToken(strings.TrimSpace(tok))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, "tokens", "revoke", id, "--db", db); err != nil {
		t.Fatalf("tokens revoke ID --db: %v", err)
	}
	out, _, err := runCmd(t, "tokens", "list", "--db", db)
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "revoked") {
		t.Fatalf("after revoke ID --db, list = %v:\n%s", err, out)
	}
	if _, _, err := runCmd(t, "tokens", "revoke", id, "--db", db, "another"); err == nil {
		t.Error("revoke with two ids succeeded")
	}

	for _, args := range [][]string{
		{"dev", "-h"}, {"mcp", "--help"}, {"demo", "-h"}, {"gateway", "-h"}, {"gateway", "check", "-h"},
		{"gateway", "bench", "-h"}, {"gateway", "origin", "-h"}, {"tokens", "list", "-h"},
		{"coldstart", "analyze", "x.log", "-h"}, {"coldstart", "generate", "-h"}, {"coldstart", "prices", "-h"}, {"vet", "./...", "-h"},
	} {
		_, stderr, err := runCmd(t, args...)
		if err != nil || !strings.Contains(stderr, "usage: rampart "+args[0]) {
			t.Errorf("%q: %v, stderr %q; want the usage and success", args, err, stderr)
		}
	}
}
