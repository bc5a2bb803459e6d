// Package sqliterecords keeps media records in an embedded SQLite database
// (modernc.org/sqlite, pure Go): the record store of the local runtime.
//
// Each claim runs in an IMMEDIATE transaction that reads the record, applies
// [media.Decide] and writes, so claims are atomic across goroutines and
// processes sharing the file. An index on (status, id) serves listing by
// status.
package sqliterecords

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rampartdev/rampart/internal/sqlitedb"
	"github.com/rampartdev/rampart/media"
)

// Store is a [media.Records] backed by SQLite.
type Store struct {
	db *sql.DB
}

var _ media.Records = (*Store)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS media (
	id        TEXT PRIMARY KEY,
	sequencer TEXT NOT NULL,
	status    TEXT NOT NULL,
	doc       TEXT NOT NULL -- the record as JSON
);
CREATE INDEX IF NOT EXISTS media_status ON media (status, id);
`

// Open opens (creating it and its folder if needed) the database file at
// path; the path may contain any character. The file is in WAL mode with
// IMMEDIATE transactions (see internal/sqlitedb), a busy timeout of 5 s, and
// synchronous=FULL: a commit is on disk before the thumbnailer completes the
// event and the queue deletes its message, so that a power loss cannot undo
// a record whose event is gone (with NORMAL the record would fall back to
// processing, or vanish, with no delivery left to finish it).
func Open(path string) (*Store, error) {
	db, err := sqlitedb.Open(context.Background(), path, &sqlitedb.Options{Synchronous: sqlitedb.Full, BusyTimeout: 5 * time.Second, CreateDir: true})
	if err != nil {
		return nil, fmt.Errorf("sqliterecords: %w", err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqliterecords: create schema in %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Claim implements [media.Records].
func (s *Store) Claim(ctx context.Context, c media.Claim) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stored, err := get(ctx, tx, c.ID)
		var cur *media.Record
		switch {
		case err == nil:
			cur = &stored
		case !errors.Is(err, media.ErrNotFound):
			return err
		}
		if err := media.Decide(cur, c); err != nil {
			return err
		}
		rec := media.Record{ID: c.ID, Bucket: c.Bucket, Key: c.Key, CreatedAt: c.Now}
		if cur != nil {
			rec = *cur
		}
		rec.Sequencer, rec.Status, rec.Owner, rec.LeaseUntil = c.Sequencer, media.StatusProcessing, c.Owner, c.Until
		rec.CorrelationID, rec.UpdatedAt = c.CorrelationID, c.Now
		return put(ctx, tx, rec)
	})
}

// Commit implements [media.Records].
func (s *Store) Commit(ctx context.Context, rec media.Record) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stored, err := get(ctx, tx, rec.ID)
		switch {
		case errors.Is(err, media.ErrNotFound):
			return media.ErrFenced
		case err != nil:
			return err
		}
		if stored.Status != media.StatusProcessing || stored.Owner != rec.Owner || stored.Sequencer != rec.Sequencer {
			return media.ErrFenced
		}
		return put(ctx, tx, rec)
	})
}

// Get implements [media.Records].
func (s *Store) Get(ctx context.Context, id string) (media.Record, error) {
	return get(ctx, s.db, id)
}

// List implements [media.Records]. Records come in id order.
func (s *Store) List(ctx context.Context, opts media.ListOptions) ([]media.Record, string, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = media.DefaultListLimit
	}
	var rows *sql.Rows
	var err error
	if opts.Status != "" {
		rows, err = s.db.QueryContext(ctx, `SELECT doc FROM media WHERE status = ? AND id > ? ORDER BY id LIMIT ?`, opts.Status, opts.After, limit+1)
	} else {
		rows, err = s.db.QueryContext(ctx, `SELECT doc FROM media WHERE id > ? ORDER BY id LIMIT ?`, opts.After, limit+1)
	}
	if err != nil {
		return nil, "", fmt.Errorf("sqliterecords: list: %w", err)
	}
	defer rows.Close()
	var out []media.Record
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, "", fmt.Errorf("sqliterecords: list: %w", err)
		}
		var rec media.Record
		if err := json.Unmarshal([]byte(doc), &rec); err != nil {
			return nil, "", fmt.Errorf("sqliterecords: decode record: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqliterecords: list: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// Count returns the number of records per status.
func (s *Store) Count(ctx context.Context) (map[media.Status]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM media GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("sqliterecords: count: %w", err)
	}
	defer rows.Close()
	out := map[media.Status]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("sqliterecords: count: %w", err)
		}
		out[media.Status(st)] = n
	}
	return out, rows.Err()
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqliterecords: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqliterecords: commit: %w", err)
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func get(ctx context.Context, q queryer, id string) (media.Record, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM media WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return media.Record{}, media.ErrNotFound
	}
	if err != nil {
		return media.Record{}, fmt.Errorf("sqliterecords: get %s: %w", id, err)
	}
	var rec media.Record
	if err := json.Unmarshal([]byte(doc), &rec); err != nil {
		return media.Record{}, fmt.Errorf("sqliterecords: decode record %s: %w", id, err)
	}
	return rec, nil
}

func put(ctx context.Context, tx *sql.Tx, rec media.Record) error {
	doc, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("sqliterecords: encode record: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO media (id, sequencer, status, doc) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET sequencer = excluded.sequencer, status = excluded.status, doc = excluded.doc`,
		rec.ID, rec.Sequencer, string(rec.Status), string(doc))
	if err != nil {
		return fmt.Errorf("sqliterecords: write %s: %w", rec.ID, err)
	}
	return nil
}
