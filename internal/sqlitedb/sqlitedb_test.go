package sqlitedb_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/sqlitedb"
)

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpen_settings(t *testing.T) {
	for _, tc := range []struct {
		name                string
		opts                *sqlitedb.Options
		synchronous, busyMS string
	}{
		{"defaults", &sqlitedb.Options{CreateDir: true}, "2", "5000"},
		{"normal", &sqlitedb.Options{Synchronous: sqlitedb.Normal, BusyTimeout: 10 * time.Second, CreateDir: true}, "1", "10000"},
		{"full", &sqlitedb.Options{Synchronous: sqlitedb.Full, CreateDir: true}, "2", "5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "sub", "x.db"), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1) // the pragmas are per connection: read them on one
			if got := pragma(t, db, "journal_mode"); got != "wal" {
				t.Errorf("journal_mode = %s, want wal", got)
			}
			if got := pragma(t, db, "synchronous"); got != tc.synchronous {
				t.Errorf("synchronous = %s, want %s", got, tc.synchronous)
			}
			if got := pragma(t, db, "busy_timeout"); got != tc.busyMS {
				t.Errorf("busy_timeout = %s, want %s", got, tc.busyMS)
			}
			if got := pragma(t, db, "foreign_keys"); got != "1" {
				t.Errorf("foreign_keys = %s, want 1", got)
			}
		})
	}
	if _, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), &sqlitedb.Options{Synchronous: "OFF"}); err == nil {
		t.Error("synchronous OFF was accepted")
	}
	if _, err := sqlitedb.Open(context.Background(), "", nil); err == nil {
		t.Error("an empty path was accepted")
	}
	if _, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "missing", "x.db"), nil); err == nil {
		t.Error("a missing folder was created without CreateDir")
	}
}

// TestOpen_pathIsEscaped opens files whose names would end or bend a file:
// URI: each must be created under its own name, not another.
func TestOpen_pathIsEscaped(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a?mode=ro.db", "b#frag.db", "c%41.db", "d&_pragma=x.db", "e f.db"} {
		db, err := sqlitedb.Open(context.Background(), filepath.Join(dir, name), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		db.Close()
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		switch n := e.Name(); n {
		case "a?mode=ro.db", "b#frag.db", "c%41.db", "d&_pragma=x.db", "e f.db":
		default:
			if filepath.Ext(n) != ".db-wal" && filepath.Ext(n) != ".db-shm" {
				t.Errorf("unexpected file %q: a path was cut or unescaped", n)
			}
		}
	}
}

// TestOpen_memoryIsOneDatabase checks that Memory is one private database,
// not one per connection.
func TestOpen_memoryIsOneDatabase(t *testing.T) {
	db, err := sqlitedb.Open(context.Background(), sqlitedb.Memory, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := db.Exec(`INSERT INTO t VALUES (1)`)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("rows = %d, %v; want 4 in the one database", n, err)
	}
}
