package memstore

import (
	"context"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// Foreign wraps a Store with idempotencytest.ForeignWriter: another writer
// completing a record without the owner's completion.
type Foreign struct{ *Store }

// CompleteForeign turns key's record COMPLETED with result and expiry,
// keeping its owner, as a writer without the owner token would.
func (f Foreign) CompleteForeign(_ context.Context, key string, result []byte, expiry time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ex, ok := f.records[key]
	if !ok {
		return idempotency.ErrNotFound
	}
	ex.Status, ex.Result, ex.Expiry = idempotency.StatusCompleted, append([]byte(nil), result...), expiry
	f.records[key] = ex
	return nil
}
