package sqlitestore_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
	"github.com/rampartdev/rampart/idempotency/sqlitestore"
	"github.com/rampartdev/rampart/internal/sqlitedb"
)

// MustOpen opens a Store on a fresh file in a temporary folder and closes it
// when tb ends.
func MustOpen(tb testing.TB, opts *sqlitestore.Options) (*sqlitestore.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "data", "idempotency.db")
	s, err := sqlitestore.Open(context.Background(), path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

func TestStore(t *testing.T) {
	idempotencytest.Run(t, func(t *testing.T) idempotency.Store {
		s, _ := MustOpen(t, &sqlitestore.Options{MaxResultSize: 256 << 10})
		return sqlitestore.Foreign{Store: s}
	})
}

func TestStore_survivesRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "idempotency.db")
	clock := idempotencytest.NewClock()
	opts := &idempotency.Options{Now: clock.Now}
	var runs atomic.Int64
	fn := func(context.Context) ([]byte, error) { runs.Add(1); return []byte("done"), nil }

	s, err := sqlitestore.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idempotency.New(s, opts).Do(ctx, "k", []byte("p"), fn); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = sqlitestore.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	res, err := idempotency.New(s, opts).Do(ctx, "k", []byte("p"), fn)
	if err != nil || string(res) != "done" || runs.Load() != 1 {
		t.Errorf("after restart: %q, %v, %d runs; want the stored result and 1 run", res, err, runs.Load())
	}
}

// Two Stores on one file (as two processes would have) still let exactly one
// acquirer win.
func TestStore_sharedFile(t *testing.T) {
	ctx := t.Context()
	a, path := MustOpen(t, nil)
	b, err := sqlitestore.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Now()
	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := range 32 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			rec := idempotency.Record{Key: "k", Status: idempotency.StatusInProgress, Owner: string(rune('A' + i)),
				InProgressExpiry: now.Add(time.Minute), Expiry: now.Add(time.Hour)}
			err := s.Acquire(ctx, rec, now)
			var ce *idempotency.ConflictError
			switch {
			case err == nil:
				wins.Add(1)
			case errors.As(err, &ce):
			default:
				t.Errorf("Acquire: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d acquirers won over two connections to one file; want 1", wins.Load())
	}
}

func TestStore_DeleteExpired(t *testing.T) {
	ctx := t.Context()
	s, _ := MustOpen(t, nil)
	now := time.Now()
	for i, exp := range []time.Duration{-time.Second, 0, time.Hour} {
		rec := idempotency.Record{Key: string(rune('a' + i)), Status: idempotency.StatusInProgress, Owner: "o",
			InProgressExpiry: now.Add(exp), Expiry: now.Add(exp)}
		if err := s.Acquire(ctx, rec, now.Add(-2*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpired(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
	}
	if _, err := s.Get(ctx, "c"); err != nil {
		t.Errorf("the live record is gone: %v", err)
	}
}

func TestNew_badTable(t *testing.T) {
	s, _ := MustOpen(t, nil)
	if _, err := sqlitestore.New(t.Context(), s.DB(), &sqlitestore.Options{Table: "x; DROP TABLE y"}); err == nil {
		t.Error("New accepted an invalid table name")
	}
}

func TestOpen_settings(t *testing.T) {
	s, _ := MustOpen(t, nil)
	var mode string
	var timeout int
	if err := s.DB().QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := s.DB().QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&timeout); err != nil || timeout != 5000 {
		t.Errorf("busy_timeout = %d, %v; want 5000", timeout, err)
	}
	var sync int
	if err := s.DB().QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&sync); err != nil || sync != 1 {
		t.Errorf("synchronous = %d, %v; want 1 (NORMAL)", sync, err)
	}
	if _, err := sqlitestore.Open(t.Context(), ":memory:", nil); err == nil {
		t.Error("Open accepted :memory:")
	}
}

// TestOpen_pathCharacters opens databases in folders whose names are
// special in a file: URI, and checks each lands at its own path with the
// settings applied.
func TestOpen_pathCharacters(t *testing.T) {
	for _, name := range []string{"a#b", "a?b", "a%20b", "a b", "a&_pragma=x"} {
		path := filepath.Join(t.TempDir(), name, "records.db")
		s, err := sqlitestore.Open(t.Context(), path, nil)
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		db := s.DB()
		var mode string
		if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (x)"); err != nil {
			t.Errorf("%q: create table: %v", name, err)
		}
		if err := db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("%q: journal_mode = %q, %v; want wal", name, mode, err)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%q: the database is not at its path: %v", name, err)
		}
	}
}

// BenchmarkGuard reports the engine's overhead over the SQLite store; round
// trips are SQL statements.
func BenchmarkGuard(b *testing.B) {
	var s *sqlitestore.Store
	idempotencytest.Benchmark(b, func(tb testing.TB) idempotency.Store {
		s, _ = MustOpen(tb, nil)
		return s
	}, func() int64 { return s.Statements() })
}

func TestStore_List(t *testing.T) {
	idempotencytest.RunList(t, func(t *testing.T) idempotencytest.ListStore {
		s, _ := MustOpen(t, nil)
		return s
	})
}

// A table made by an earlier release (without completed_by and
// result_not_stored) gains the columns when opened: its completed rows keep
// replaying their results, and a result too large for the store is then
// recorded as done without it.
func TestNew_upgradesTable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sqlitedb.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := idempotencytest.NewClock()
	if _, err := db.ExecContext(ctx, `CREATE TABLE idempotency_records (
		key TEXT PRIMARY KEY, status TEXT NOT NULL, owner TEXT NOT NULL, payload_hash TEXT NOT NULL,
		result BLOB, in_progress_expiry INTEGER NOT NULL, expiry INTEGER NOT NULL) WITHOUT ROWID`); err != nil {
		t.Fatal(err)
	}
	g := idempotency.New(nil, &idempotency.Options{Now: clock.Now, SkipPayloadValidation: true})
	if _, err := db.ExecContext(ctx, `INSERT INTO idempotency_records VALUES (?, 'COMPLETED', 'o', '', 'old result', 0, ?)`,
		g.StoreKey("old"), clock.Now().Add(time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}
	s, err := sqlitestore.New(ctx, db, &sqlitestore.Options{MaxResultSize: 4})
	if err != nil {
		t.Fatalf("New over an old table: %v", err)
	}
	defer s.Close()
	g = idempotency.New(s, &idempotency.Options{Now: clock.Now, SkipPayloadValidation: true, Logger: slog.New(slog.DiscardHandler)})
	ran := func(context.Context) ([]byte, error) { return []byte("ran again"), nil }
	if res, err := g.Do(ctx, "old", nil, ran); err != nil || string(res) != "old result" {
		t.Errorf("old completed row: %q, %v; want its result replayed", res, err)
	}
	if _, err := g.Do(ctx, "big", nil, ran); !errors.Is(err, idempotency.ErrNotRecorded) {
		t.Fatalf("too large a result: %v; want ErrNotRecorded", err)
	}
	if _, err := g.Do(ctx, "big", nil, ran); !errors.Is(err, idempotency.ErrResultNotStored) {
		t.Errorf("its duplicate: %v; want ErrResultNotStored", err)
	}
	if _, err := sqlitestore.New(ctx, db, nil); err != nil { // and again: nothing left to add
		t.Errorf("New over the upgraded table: %v", err)
	}
}
