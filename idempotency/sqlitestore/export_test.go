package sqlitestore

import (
	"context"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// Statements returns the number of SQL statements the store has run: its
// round trips to the database engine.
func (s *Store) Statements() int64 { return s.statements.Load() }

// Foreign wraps a Store with idempotencytest.ForeignWriter: another program
// on the same file completing a record without the owner token.
type Foreign struct{ *Store }

// CompleteForeign updates key's row to COMPLETED with result and expiry,
// touching no other column.
func (f Foreign) CompleteForeign(ctx context.Context, key string, result []byte, expiry time.Time) error {
	res, err := f.db.ExecContext(ctx, `UPDATE `+f.table+` SET status = 'COMPLETED', result = ?, expiry = ? WHERE key = ?`,
		result, expiry.UnixNano(), key)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return idempotency.ErrNotFound
	}
	return nil
}
