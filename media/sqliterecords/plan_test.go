package sqliterecords

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/sqlitedb"
	"github.com/rampartdev/rampart/media"
)

// plan returns SQLite's query plan of ListNewest's query for opts.
func plan(t *testing.T, s *Store, opts NewestOptions) string {
	t.Helper()
	query, args, err := newestQuery(opts, 50)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// TestListNewest_plan checks that each kind of listing walks the index
// meant for it (the read model's figures at 100,000 records depend on it):
// no full scan, no sort of the whole table.
func TestListNewest_plan(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "media.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.db.Exec("ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts NewestOptions
		want string
	}{
		{"all", NewestOptions{}, "SCAN media USING INDEX media_updated\n"},
		{"cursor", NewestOptions{After: "2461000.5/x"}, "SEARCH media USING INDEX media_updated (<expr><?)\n"},
		{"status", NewestOptions{Status: "rejected"}, "SEARCH media USING INDEX media_status_updated (status=?)\n"},
		{"status and cursor", NewestOptions{Status: "rejected", After: "2461000.5/x"}, "SEARCH media USING INDEX media_status_updated (status=? AND <expr><?)\n"},
		{"status and time", NewestOptions{Status: "rejected", Since: time.Now()}, "SEARCH media USING INDEX media_status_updated (status=? AND <expr>>?)\n"},
		// The keys under the prefix, sorted by time.
		{"prefix", NewestOptions{Prefix: "uploads/1/"}, "SEARCH media USING INDEX media_key (<expr>>? AND <expr><?)\nUSE TEMP B-TREE FOR ORDER BY\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p := plan(t, s, tc.opts); p != tc.want {
				t.Fatalf("plan:\n%s\nwant:\n%s", p, tc.want)
			}
		})
	}
}

// BenchmarkListNewest reads a page of 50 from 100,000 records: the first
// page, and one halfway down (its cursor seeks in the index rather than
// walking the 50,000 records before it).
func BenchmarkListNewest(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "media.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 100_000
	tx, err := s.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for i := range n {
		key := fmt.Sprintf("uploads/%03d/photo-%06d.jpg", i%500, i)
		at := t0.Add(time.Duration(i) * time.Second)
		rec := media.Record{ID: media.ID("b", key), Bucket: "b", Key: key, Sequencer: fmt.Sprintf("%016X", i), Status: media.StatusProcessed, CreatedAt: at, UpdatedAt: at}
		if err := put(context.Background(), tx, rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var half string
	opts := NewestOptions{Limit: 1000}
	for range n / 2 / opts.Limit {
		if _, opts.After, err = s.ListNewest(ctx, opts); err != nil {
			b.Fatal(err)
		}
	}
	half = opts.After
	for _, bc := range []struct {
		name string
		opts NewestOptions
	}{
		{"first", NewestOptions{Limit: 50}},
		{"halfway", NewestOptions{Limit: 50, After: half}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if recs, _, err := s.ListNewest(ctx, bc.opts); err != nil || len(recs) != 50 {
					b.Fatal(len(recs), err)
				}
			}
		})
	}
}

// TestOpen_dropsTheReadModelsIndexes: a folder whose media table has the
// indexes inspect/local used to create under its own names has them
// replaced by the store's.
func TestOpen_dropsTheReadModelsIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "media.db")
	db, err := sqlitedb.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE media (id TEXT PRIMARY KEY, sequencer TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX inspect_media_updated ON media (` + updated + `, id);
CREATE INDEX inspect_media_status_updated ON media (status, ` + updated + `, id);
CREATE INDEX inspect_media_key ON media (` + objectKey + `);`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := indexes(t, s.db); got != "media_key,media_status,media_status_updated,media_updated" {
		t.Fatalf("indexes: %s", got)
	}
}

func indexes(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'media' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return strings.Join(names, ",")
}
