package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

var _ idempotency.Lister = (*Store)(nil)

// List implements [idempotency.Lister]. Records come in key order and the
// cursor is the last key of the page. Listing all records walks the primary
// key; a status or stuck filter reads the table in key order and skips what
// does not match (the table has no index on status or lease, which would
// cost every acquire and completion a page write).
func (s *Store) List(ctx context.Context, opts idempotency.ListOptions) ([]idempotency.Record, string, error) {
	limit := opts.PageSize()
	q := `SELECT key, status, owner, payload_hash, result_not_stored, in_progress_expiry, expiry FROM ` + s.table + ` WHERE key > ?`
	args := []any{opts.After}
	switch {
	case !opts.StuckAt.IsZero():
		now := opts.StuckAt.UnixNano()
		q += ` AND status = 'INPROGRESS' AND in_progress_expiry <= ? AND expiry > ?`
		args = append(args, now, now)
	case opts.Status != "":
		q += ` AND status = ?`
		args = append(args, string(opts.Status))
	}
	q += ` ORDER BY key LIMIT ?`
	args = append(args, limit+1)
	s.statements.Add(1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlitestore: list: %w", err)
	}
	defer rows.Close()
	var out []idempotency.Record
	for rows.Next() {
		var rec idempotency.Record
		var status string
		var ipe, exp int64
		if err := rows.Scan(&rec.Key, &status, &rec.Owner, &rec.PayloadHash, &rec.ResultNotStored, &ipe, &exp); err != nil {
			return nil, "", fmt.Errorf("sqlitestore: list: %w", err)
		}
		rec.Status = idempotency.Status(status)
		rec.InProgressExpiry, rec.Expiry = time.Unix(0, ipe), time.Unix(0, exp)
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlitestore: list: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].Key
	}
	return out, next, nil
}
