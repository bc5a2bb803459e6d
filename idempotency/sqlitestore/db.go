package sqlitestore

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

// DefaultBusyTimeout is how long a connection waits for another writer's
// lock before SQLite reports SQLITE_BUSY.
const DefaultBusyTimeout = 5 * time.Second

// OpenDB opens (creating it and its folder if needed) the SQLite database
// file at path with the settings every Rampart table in a local data folder
// shares: WAL journal (readers never block the writer), synchronous=NORMAL
// (durable across a process crash), a busy timeout of DefaultBusyTimeout,
// foreign keys on, and transactions that take the write lock when they begin
// (BEGIN IMMEDIATE), so that a read-then-write transaction cannot deadlock
// against another writer.
//
// It pings the database so that a bad path fails here. Other packages may use
// it for their own tables in the same data folder.
func OpenDB(ctx context.Context, path string) (*sql.DB, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("sqlitestore: open: need a file path (an in-memory database is private to one connection)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	// The path is escaped: in a file: URI a '?' or '#' would end it (and open
	// another file) and a '%' would start an escape.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	return db, nil
}
