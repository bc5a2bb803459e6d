// Package sqlitestore is the embedded [idempotency.Store]: one table in a
// SQLite database file, through the pure-Go modernc.org/sqlite driver (no
// cgo). Records survive a restart of the process, and several processes on
// one machine may share the file.
//
// Acquire is a single INSERT ... ON CONFLICT DO UPDATE ... WHERE statement
// that replaces only a record that is no longer live, so it is atomic; on
// conflict one more SELECT returns the live record. Complete and Release are
// single UPDATE and DELETE statements conditional on the owner token. A
// Complete that changed nothing costs one more SELECT to tell a record the
// same owner already completed (success, left unchanged) from a fenced one.
// SQLite has no TTL: call [Store.DeleteExpired] from time to time to reclaim
// space (expired records are otherwise replaced when their key comes back).
// It scans the table: the table has no index on expiry, because an index
// would add page writes to every acquire and completion, the hot path.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/internal/sqlitedb"
)

var (
	_ idempotency.Store         = (*Store)(nil)
	_ idempotency.ResultLimiter = (*Store)(nil)
)

// Defaults used for zero Options fields.
const (
	// DefaultTable is the name of the records table.
	DefaultTable = "idempotency_records"
	// DefaultMaxResultSize is the largest result stored: 6 MiB, Lambda's
	// limit for a synchronous response, which no guarded handler can exceed
	// usefully.
	DefaultMaxResultSize = 6 << 20
)

// Options configure a Store. The zero value (or nil) selects the defaults.
type Options struct {
	// Table is the name of the records table, created if missing. Empty
	// means DefaultTable.
	Table string
	// MaxResultSize is the largest result Complete stores, in bytes; a
	// larger one is a *idempotency.ResultTooLargeError. Zero means
	// DefaultMaxResultSize.
	MaxResultSize int
}

// Store is an idempotency store in a SQLite database, safe for concurrent
// use.
type Store struct {
	db      *sql.DB
	ownDB   bool   // Close closes db
	table   string // validated table name
	limit   int
	acquire *sql.Stmt
	get     *sql.Stmt
	done    *sql.Stmt
	doneBy  *sql.Stmt
	release *sql.Stmt
	del     *sql.Stmt
	purge   *sql.Stmt

	statements atomic.Int64 // SQL statements run, for benchmarks
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open opens (creating it and its folder if needed) the database file at
// path and returns a Store over it that closes the database on Close. The
// path may contain any character. The file is in WAL mode with IMMEDIATE
// transactions (see internal/sqlitedb), a busy timeout of 5 s, and
// synchronous=NORMAL: a completed record survives a crash of the process,
// and after a power loss the last completions may be lost, which costs a
// repeated execution, never a wrong answer (a record that is not there is
// acquired again); the fsync per commit that FULL costs would be paid on
// every acquire, complete and release.
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	if path == "" || path == sqlitedb.Memory {
		return nil, fmt.Errorf("sqlitestore: open: need a file path (an in-memory database is private to one connection)")
	}
	db, err := sqlitedb.Open(ctx, path, &sqlitedb.Options{Synchronous: sqlitedb.Normal, BusyTimeout: 5 * time.Second, CreateDir: true})
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	s, err := New(ctx, db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.ownDB = true
	return s, nil
}

// New returns a Store over db, which must be a SQLite database opened with
// the "sqlite" driver (modernc.org/sqlite), preferably in WAL mode with a
// busy timeout and _txlock=immediate, as [Open] opens it. It creates the
// table if missing. Close
// the Store before db.
func New(ctx context.Context, db *sql.DB, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Table == "" {
		o.Table = DefaultTable
	}
	if !identifier.MatchString(o.Table) {
		return nil, fmt.Errorf("sqlitestore: invalid table name %q", o.Table)
	}
	if o.MaxResultSize <= 0 {
		o.MaxResultSize = DefaultMaxResultSize
	}
	t := o.Table
	// Times are Unix nanoseconds.
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+t+` (
		key                TEXT PRIMARY KEY,
		status             TEXT NOT NULL,
		owner              TEXT NOT NULL,
		payload_hash       TEXT NOT NULL,
		result             BLOB,
		in_progress_expiry INTEGER NOT NULL,
		expiry             INTEGER NOT NULL,
		completed_by       TEXT,
		result_not_stored  INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID`); err != nil {
		return nil, fmt.Errorf("sqlitestore: create table %s: %w", t, err)
	}
	// Columns added after the first release, for tables made before them.
	// Rows completed before completed_by existed count as completed by
	// another writer for a retried Complete, which only a process upgraded
	// mid-call could send; rows completed before result_not_stored existed
	// hold their result.
	for _, c := range []struct{ name, decl string }{
		{"completed_by", "TEXT"},
		{"result_not_stored", "INTEGER NOT NULL DEFAULT 0"},
	} {
		if err := addColumn(ctx, db, t, c.name, c.decl); err != nil {
			return nil, err
		}
	}
	s := &Store{db: db, limit: o.MaxResultSize, table: t}
	stmts := []struct {
		dst **sql.Stmt
		sql string
	}{
		// Replace only a record that is not live at ?7 (see Record.Live).
		{&s.acquire, `INSERT INTO ` + t + ` (key, status, owner, payload_hash, result, in_progress_expiry, expiry)
			VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6)
			ON CONFLICT (key) DO UPDATE SET
				status = excluded.status, owner = excluded.owner, payload_hash = excluded.payload_hash,
				result = NULL, result_not_stored = 0, in_progress_expiry = excluded.in_progress_expiry, expiry = excluded.expiry
			WHERE NOT (` + t + `.expiry > ?7 AND (` + t + `.status = 'COMPLETED'
				OR (` + t + `.status = 'INPROGRESS' AND ` + t + `.in_progress_expiry > ?7)))`},
		{&s.get, `SELECT status, owner, payload_hash, result, result_not_stored, in_progress_expiry, expiry FROM ` + t + ` WHERE key = ?`},
		{&s.done, `UPDATE ` + t + ` SET status = 'COMPLETED', result = ?1, expiry = ?2, completed_by = ?4, result_not_stored = ?5
			WHERE key = ?3 AND owner = ?4 AND status = 'INPROGRESS'`},
		{&s.doneBy, `SELECT completed_by IS ?2 FROM ` + t + ` WHERE key = ?1 AND owner = ?2 AND status = 'COMPLETED'`},
		{&s.release, `DELETE FROM ` + t + ` WHERE key = ? AND owner = ? AND status = 'INPROGRESS'`},
		{&s.del, `DELETE FROM ` + t + ` WHERE key = ?`},
		{&s.purge, `DELETE FROM ` + t + ` WHERE expiry <= ?`},
	}
	for _, st := range stmts {
		p, err := db.PrepareContext(ctx, st.sql)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlitestore: prepare: %w", err)
		}
		*st.dst = p
	}
	return s, nil
}

// addColumn adds the column name (declared as decl) to table t if it lacks
// it.
func addColumn(ctx context.Context, db *sql.DB, t, name, decl string) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, t, name).Scan(&n); err != nil {
		return fmt.Errorf("sqlitestore: inspect table %s: %w", t, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE `+t+` ADD COLUMN `+name+` `+decl); err != nil {
		return fmt.Errorf("sqlitestore: add %s to %s: %w", name, t, err)
	}
	return nil
}

// Close releases the prepared statements, and the database if the Store was
// made by Open.
func (s *Store) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.acquire, s.get, s.done, s.doneBy, s.release, s.del, s.purge} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.ownDB {
		errs = append(errs, s.db.Close())
	}
	return errors.Join(errs...)
}

// DB returns the database the Store uses.
func (s *Store) DB() *sql.DB { return s.db }

// MaxResultSize returns the largest result the store accepts, in bytes.
func (s *Store) MaxResultSize() int { return s.limit }

// Acquire implements idempotency.Store.
func (s *Store) Acquire(ctx context.Context, rec idempotency.Record, now time.Time) error {
	for {
		s.statements.Add(1)
		res, err := s.acquire.ExecContext(ctx, rec.Key, string(rec.Status), rec.Owner, rec.PayloadHash,
			rec.InProgressExpiry.UnixNano(), rec.Expiry.UnixNano(), now.UnixNano())
		if err != nil {
			return fmt.Errorf("sqlitestore: acquire: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlitestore: acquire: %w", err)
		} else if n == 1 {
			return nil
		}
		ex, err := s.Get(ctx, rec.Key)
		switch {
		case errors.Is(err, idempotency.ErrNotFound):
			continue // released or deleted between the two statements: try again
		case err != nil:
			return fmt.Errorf("sqlitestore: acquire: %w", err)
		case !ex.Live(now):
			continue // replaced by a record that is not live at now: try again
		}
		return &idempotency.ConflictError{Existing: ex}
	}
}

// Complete implements idempotency.Store.
func (s *Store) Complete(ctx context.Context, rec idempotency.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(rec.Result) > s.limit {
		return &idempotency.ResultTooLargeError{Size: len(rec.Result), Limit: s.limit}
	}
	result := rec.Result
	if result == nil {
		result = []byte{}
	}
	s.statements.Add(1)
	res, err := s.done.ExecContext(ctx, result, rec.Expiry.UnixNano(), rec.Key, rec.Owner, rec.ResultNotStored)
	err = fenced("complete", res, err)
	if !errors.Is(err, idempotency.ErrFenced) {
		return err
	}
	// Complete is idempotent: a record this owner already completed is our
	// own earlier success, left as it was; one that another writer turned
	// COMPLETED while this owner held it is not. Only the fenced path pays
	// for this read.
	var own bool
	s.statements.Add(1)
	switch err := s.doneBy.QueryRowContext(ctx, rec.Key, rec.Owner).Scan(&own); {
	case err == nil && own:
		return nil
	case err == nil:
		return idempotency.ErrForeignCompletion
	case errors.Is(err, sql.ErrNoRows):
		return idempotency.ErrFenced
	default:
		return fmt.Errorf("sqlitestore: complete: %w", err)
	}
}

// Release implements idempotency.Store.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	s.statements.Add(1)
	res, err := s.release.ExecContext(ctx, key, owner)
	return fenced("release", res, err)
}

// fenced turns the outcome of a statement conditional on the owner into
// ErrFenced when it changed nothing.
func fenced(op string, res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	if n == 0 {
		return idempotency.ErrFenced
	}
	return nil
}

// Get implements idempotency.Store.
func (s *Store) Get(ctx context.Context, key string) (idempotency.Record, error) {
	rec := idempotency.Record{Key: key}
	var status string
	var ipe, exp int64
	s.statements.Add(1)
	err := s.get.QueryRowContext(ctx, key).Scan(&status, &rec.Owner, &rec.PayloadHash, &rec.Result, &rec.ResultNotStored, &ipe, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return idempotency.Record{}, idempotency.ErrNotFound
	}
	if err != nil {
		return idempotency.Record{}, fmt.Errorf("sqlitestore: get: %w", err)
	}
	rec.Status = idempotency.Status(status)
	rec.InProgressExpiry = time.Unix(0, ipe)
	rec.Expiry = time.Unix(0, exp)
	return rec, nil
}

// Delete implements idempotency.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	s.statements.Add(1)
	if _, err := s.del.ExecContext(ctx, key); err != nil {
		return fmt.Errorf("sqlitestore: delete: %w", err)
	}
	return nil
}

// DeleteExpired deletes the records whose Expiry is at or before now and
// returns how many it deleted. INPROGRESS records within their expiry are
// kept even if their lease has ended.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	s.statements.Add(1)
	res, err := s.purge.ExecContext(ctx, now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: delete expired: %w", err)
	}
	return res.RowsAffected()
}
