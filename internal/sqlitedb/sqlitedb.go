// Package sqlitedb is the one place Rampart opens an SQLite database: the
// driver (modernc.org/sqlite, pure Go), the file: URI with the path escaped,
// and the settings each use chooses through [Options].
//
// Every database is opened in WAL mode (readers never block the writer, and
// several processes may share a file: rampart dev writes while rampart mcp
// reads), with foreign keys on and transactions that take the write lock
// when they begin (BEGIN IMMEDIATE), so that a read-then-write transaction
// cannot deadlock against another writer. What differs between uses is
// chosen by each store, deliberately, and documented where it opens its
// file:
//
//   - Synchronous: [Full] makes each commit durable across a power loss or
//     an operating system crash, at the cost of an fsync per commit;
//     [Normal] keeps commits durable across a crash of the process only (in
//     WAL mode the last transactions may roll back after a power loss).
//   - BusyTimeout: how long a writer waits for another connection's lock
//     before SQLite reports SQLITE_BUSY.
//   - MaxOpenConns: how many connections the *sql.DB may open.
//
// The stores of a local data folder choose:
//
//	store                          synchronous  busy timeout  connections
//	queue (queue)                  FULL         10 s          1
//	media records (sqliterecords)  FULL         5 s           any
//	idempotency (sqlitestore)      NORMAL       5 s           any
//	gateway tokens (sqlitetokens)  FULL         5 s           any
//
// and say why in their Open functions.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"
)

// Synchronous is SQLite's PRAGMA synchronous setting.
type Synchronous string

// The synchronous settings a store may choose.
const (
	// Full syncs the write-ahead log on every commit: a commit survives a
	// power loss.
	Full Synchronous = "FULL"
	// Normal syncs at checkpoints only: a commit survives a crash of the
	// process, and the last ones may roll back after a power loss.
	Normal Synchronous = "NORMAL"
)

// DefaultBusyTimeout is the busy timeout when Options.BusyTimeout is zero.
const DefaultBusyTimeout = 5 * time.Second

// Memory is the path of a private in-memory database.
const Memory = ":memory:"

// Options configure [Open]. A nil *Options or the zero value selects the
// defaults described on each field.
type Options struct {
	// Synchronous is the durability of a commit. Empty means Full, SQLite's
	// own default and the safe one.
	Synchronous Synchronous
	// BusyTimeout is how long a connection waits for another's lock. Zero
	// means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// MaxOpenConns limits the connections (see sql.DB.SetMaxOpenConns).
	// Zero means no limit; a database at Memory always has one connection.
	MaxOpenConns int
	// CreateDir creates the file's folder (and its parents) when missing;
	// false means a missing folder is an error.
	CreateDir bool
}

// Open opens (creating it if needed) the SQLite database file at path,
// with the settings above, and pings it so that a bad path fails here
// rather than at the first query. The path may contain any character,
// '?', '#' and '%' included. path Memory opens a private in-memory database
// on one connection (a second connection would see another, empty database).
func Open(ctx context.Context, path string, opts *Options) (*sql.DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch o.Synchronous {
	case "":
		o.Synchronous = Full
	case Full, Normal:
	default:
		return nil, fmt.Errorf("open %s: unknown synchronous setting %q", path, o.Synchronous)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if path == "" {
		return nil, fmt.Errorf("open: empty path")
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous("+string(o.Synchronous)+")")
	q.Set("_txlock", "immediate")
	var dsn string
	if path == Memory {
		o.MaxOpenConns = 1
		dsn = "file::memory:?" + q.Encode()
	} else {
		if o.CreateDir {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, fmt.Errorf("open %s: %w", path, err)
			}
		}
		q.Add("_pragma", "journal_mode(WAL)")
		// The path is escaped: in a file: URI a '?' or '#' would end it
		// (and open another file) and a '%' would start an escape.
		dsn = "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if o.MaxOpenConns > 0 {
		db.SetMaxOpenConns(o.MaxOpenConns)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}
