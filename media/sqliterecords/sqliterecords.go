// Package sqliterecords keeps media records in an embedded SQLite database
// (modernc.org/sqlite, pure Go): the record store of the local runtime.
//
// Each claim runs in an IMMEDIATE transaction that reads the record, applies
// [media.Decide] and writes, so claims are atomic across goroutines and
// processes sharing the file.
//
// # Listings
//
// [Store.List] (the [media.Records] listing) is in id order, served by an
// index on (status, id). [Store.ListNewest] is the listing people and AI
// tools read (the inspection read model, package inspect/local): newest
// update first across pages, filtered by status, key prefix and update
// time. Three expression indexes serve it: (update time, id), (status,
// update time, id) and the object key, so that a page with a status and a
// time range reads only the rows it returns and a key prefix reads only the
// keys under it. [Store.Count] counts by status.
package sqliterecords

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rampartdev/rampart/internal/sqlitedb"
	"github.com/rampartdev/rampart/media"
)

// Store is a [media.Records] backed by SQLite.
type Store struct {
	db *sql.DB
}

var _ media.Records = (*Store)(nil)

// updated is the SQL expression of a media record's UpdatedAt as a Julian
// day number, with millisecond precision; objectKey is its object key.
const (
	updated   = `julianday(json_extract(doc, '$.updatedAt'))`
	objectKey = `json_extract(doc, '$.key')`
)

// schema creates the table and its indexes. The inspect_media_* indexes
// are the same ones under the names the read model (inspect/local) gave
// them when it created them itself; a folder it opened has them, and they
// go.
const schema = `
CREATE TABLE IF NOT EXISTS media (
	id        TEXT PRIMARY KEY,
	sequencer TEXT NOT NULL,
	status    TEXT NOT NULL,
	doc       TEXT NOT NULL -- the record as JSON
);
CREATE INDEX IF NOT EXISTS media_status ON media (status, id);
CREATE INDEX IF NOT EXISTS media_updated ON media (` + updated + `, id);
CREATE INDEX IF NOT EXISTS media_status_updated ON media (status, ` + updated + `, id);
CREATE INDEX IF NOT EXISTS media_key ON media (` + objectKey + `);
DROP INDEX IF EXISTS inspect_media_updated;
DROP INDEX IF EXISTS inspect_media_status_updated;
DROP INDEX IF EXISTS inspect_media_key;
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

// NewestOptions select a page of [Store.ListNewest]. The zero value lists
// every record.
type NewestOptions struct {
	// Status keeps only records with this status; "" means any.
	Status media.Status
	// Prefix keeps only records whose object key starts with it.
	Prefix string
	// Since and Until bound the record's last update (UpdatedAt), to the
	// millisecond: Since inclusive, Until exclusive; zero means unbounded.
	Since, Until time.Time
	// After is the cursor of the previous page; "" starts at the newest.
	After string
	// Limit is the page size; zero or less means media.DefaultListLimit.
	Limit int
}

// ErrInvalidCursor means a [NewestOptions].After that [Store.ListNewest]
// did not return.
var ErrInvalidCursor = errors.New("sqliterecords: invalid cursor")

// ListNewest returns up to opts.Limit records that pass its filters, newest
// update first (UpdatedAt descending, then id descending) across pages,
// and the cursor of the next page ("" on the last). A page is full unless
// it is the last. The cursor holds the last record's update time and id,
// so pages stay in order while records are written: a record updated after
// the first page was read moves ahead of it and is not seen again.
func (s *Store) ListNewest(ctx context.Context, opts NewestOptions) ([]media.Record, string, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = media.DefaultListLimit
	}
	query, args, err := newestQuery(opts, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqliterecords: list newest: %w", err)
	}
	defer rows.Close()
	var out []media.Record
	var lastJD float64
	next := ""
	for rows.Next() {
		var doc string
		var jd sql.NullFloat64
		if err := rows.Scan(&doc, &jd); err != nil {
			return nil, "", fmt.Errorf("sqliterecords: list newest: %w", err)
		}
		if len(out) == limit {
			next = strconv.FormatFloat(lastJD, 'g', -1, 64) + "/" + out[limit-1].ID
			break
		}
		var rec media.Record
		if err := json.Unmarshal([]byte(doc), &rec); err != nil {
			return nil, "", fmt.Errorf("sqliterecords: decode record: %w", err)
		}
		out = append(out, rec)
		lastJD = jd.Float64
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqliterecords: list newest: %w", err)
	}
	return out, next, nil
}

// newestQuery is ListNewest's query for a page of limit records (and one
// more, to tell whether there is a next page).
func newestQuery(opts NewestOptions, limit int) (string, []any, error) {
	where := []string{"1"}
	var args []any
	if opts.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(opts.Status))
	}
	if !opts.Since.IsZero() {
		where = append(where, updated+" >= ?")
		args = append(args, julian(opts.Since))
	}
	if !opts.Until.IsZero() {
		where = append(where, updated+" < ?")
		args = append(args, julian(opts.Until))
	}
	if opts.Prefix != "" {
		// A range on the indexed key: the planner reads only the keys
		// under the prefix, then sorts them by time.
		where = append(where, objectKey+" >= ?")
		args = append(args, opts.Prefix)
		if end, ok := prefixEnd(opts.Prefix); ok {
			where = append(where, objectKey+" < ?")
			args = append(args, end)
		}
	}
	if opts.After != "" {
		jd, id, ok := strings.Cut(opts.After, "/")
		f, err := strconv.ParseFloat(jd, 64)
		if !ok || err != nil || math.IsNaN(f) {
			return "", nil, fmt.Errorf("%w: %q", ErrInvalidCursor, opts.After)
		}
		// The plain bound lets the planner seek in the index; the row
		// value then orders the records of that same millisecond by id.
		where = append(where, updated+" <= ?", "("+updated+", id) < (?, ?)")
		args = append(args, f, f, id)
	}
	args = append(args, limit+1)
	return `SELECT doc, ` + updated + ` FROM media WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + updated + ` DESC, id DESC LIMIT ?`, args, nil
}

// julian converts t to a Julian day number as SQLite's julianday does, to
// the millisecond.
func julian(t time.Time) float64 {
	return float64(t.UnixMilli())/86_400_000 + 2440587.5
}

// prefixEnd returns the least string greater than every string with the
// given prefix, if there is one.
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
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
