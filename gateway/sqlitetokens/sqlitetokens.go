// Package sqlitetokens keeps the gateway's token records in a SQLite file
// (modernc.org/sqlite, pure Go): the native gateway's token store and what
// `rampart tokens` manages. It stores hashes and metadata, never tokens.
package sqlitetokens

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/internal/sqlitedb"
)

// ErrNotFound is returned by Revoke for an unknown token id.
var ErrNotFound = errors.New("sqlitetokens: no token with that id")

// Store is a token store in a SQLite database. It is safe for concurrent
// use.
type Store struct {
	db     *sql.DB
	lookup *sql.Stmt // prepared once: parsing costs more than the query
	now    func() time.Time
	rand   io.Reader
}

var _ gateway.TokenStore = (*Store)(nil)

// Options configure a Store. A nil *Options means the defaults.
type Options struct {
	Now  func() time.Time // nil means time.Now
	Rand io.Reader        // token randomness; nil means crypto/rand.Reader
}

const schema = `
CREATE TABLE IF NOT EXISTS gateway_tokens (
	id         TEXT PRIMARY KEY,
	hash       TEXT NOT NULL UNIQUE,
	tenant     TEXT NOT NULL,
	scopes     TEXT NOT NULL,   -- JSON array
	rate       INTEGER NOT NULL,
	period_ns  INTEGER NOT NULL,
	burst      INTEGER NOT NULL,
	created_at INTEGER NOT NULL, -- Unix nanoseconds
	expires_at INTEGER NOT NULL, -- Unix nanoseconds, 0 for never
	revoked_at INTEGER NOT NULL, -- Unix nanoseconds, 0 while valid
	note       TEXT NOT NULL
)`

// Open opens the store in the SQLite file path, creating the file and its
// folders if needed; the path may contain any character. ":memory:" gives
// a private in-memory store. The file is in WAL mode (see
// internal/sqlitedb), so a running gateway reads while rampart tokens
// writes, with a busy timeout of 5 s and synchronous=FULL: a revocation
// that rampart tokens reported is on disk, and a power loss cannot bring
// the token back. Writes are rare (an operator's command), so the fsync
// costs nothing that matters.
func Open(path string, opts *Options) (*Store, error) {
	db, err := sqlitedb.Open(context.Background(), path, &sqlitedb.Options{Synchronous: sqlitedb.Full, BusyTimeout: 5 * time.Second, CreateDir: true})
	if err != nil {
		return nil, fmt.Errorf("open token store: %w", err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create token table: %w", err)
	}
	lookup, err := db.Prepare(`SELECT ` + columns + ` FROM gateway_tokens WHERE id = ?`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare token lookup: %w", err)
	}
	s := &Store{db: db, lookup: lookup, now: time.Now, rand: rand.Reader}
	if opts != nil && opts.Now != nil {
		s.now = opts.Now
	}
	if opts != nil && opts.Rand != nil {
		s.rand = opts.Rand
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.lookup.Close()
	return s.db.Close()
}

// CreateOptions describe a new token.
type CreateOptions struct {
	Tenant string
	Scopes []string
	Limit  gateway.Limit
	TTL    time.Duration // 0 means the token never expires; negative is an error
	Note   string
}

// Create issues a new token and stores its hash and metadata. The token is
// returned once and cannot be recovered later.
func (s *Store) Create(ctx context.Context, o CreateOptions) (token string, rec gateway.TokenRecord, err error) {
	if o.Tenant == "" {
		return "", rec, errors.New("sqlitetokens: a token needs a tenant")
	}
	if o.TTL < 0 {
		return "", rec, fmt.Errorf("sqlitetokens: negative TTL %v (0 means the token never expires)", o.TTL)
	}
	token, id, err := gateway.GenerateToken(s.rand)
	if err != nil {
		return "", rec, fmt.Errorf("generate token: %w", err)
	}
	now := s.now().UTC()
	rec = gateway.TokenRecord{
		ID: id, Hash: gateway.HashToken(token), Tenant: o.Tenant, Scopes: o.Scopes,
		Rate: o.Limit.Rate, Period: gateway.Duration(o.Limit.Period), Burst: o.Limit.Burst,
		CreatedAt: now, Note: o.Note,
	}
	if rec.Scopes == nil {
		rec.Scopes = []string{}
	}
	if o.TTL > 0 {
		rec.ExpiresAt = now.Add(o.TTL)
	}
	scopes, _ := json.Marshal(rec.Scopes)
	_, err = s.db.ExecContext(ctx, `INSERT INTO gateway_tokens
		(id, hash, tenant, scopes, rate, period_ns, burst, created_at, expires_at, revoked_at, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
		rec.ID, rec.Hash, rec.Tenant, string(scopes), rec.Rate, int64(rec.Period), rec.Burst,
		now.UnixNano(), unixNano(rec.ExpiresAt), rec.Note)
	if err != nil {
		return "", gateway.TokenRecord{}, fmt.Errorf("store token: %w", err)
	}
	return token, rec, nil
}

// LookupToken implements [gateway.TokenStore].
func (s *Store) LookupToken(ctx context.Context, id string) (*gateway.TokenRecord, error) {
	row := s.lookup.QueryRowContext(ctx, id)
	rec, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gateway.ErrTokenNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	return &rec, nil
}

// List returns every token record, oldest first.
func (s *Store) List(ctx context.Context) ([]gateway.TokenRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM gateway_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []gateway.TokenRecord
	for rows.Next() {
		rec, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// Revoke marks the token with id revoked. Revoking twice keeps the first
// time. It returns ErrNotFound for an unknown id.
func (s *Store) Revoke(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE gateway_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ?`,
		s.now().UnixNano(), id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

const columns = `id, hash, tenant, scopes, rate, period_ns, burst, created_at, expires_at, revoked_at, note`

type scanner interface{ Scan(...any) error }

func scan(r scanner) (gateway.TokenRecord, error) {
	var rec gateway.TokenRecord
	var scopes string
	var period, created, expires, revoked int64
	if err := r.Scan(&rec.ID, &rec.Hash, &rec.Tenant, &scopes, &rec.Rate, &period, &rec.Burst, &created, &expires, &revoked, &rec.Note); err != nil {
		return rec, err
	}
	if err := json.Unmarshal([]byte(scopes), &rec.Scopes); err != nil {
		return rec, fmt.Errorf("token %s: scopes: %w", rec.ID, err)
	}
	rec.Period = gateway.Duration(period)
	rec.CreatedAt = time.Unix(0, created).UTC()
	if expires != 0 {
		rec.ExpiresAt = time.Unix(0, expires).UTC()
	}
	rec.Revoked = revoked != 0
	return rec, nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
