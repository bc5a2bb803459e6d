package gateway

import (
	"context"
	"errors"
	"sync"
	"time"
)

// TokenCache is a [TokenStore] that remembers another store's answers, found
// and not found, for a short time, keeping the store off the hot path. A
// token revoked or created in the store takes up to the TTL to take effect
// through the cache. Store errors are not cached.
//
// A hit takes a read lock and allocates nothing: the record returned is the
// cache's own and is shared by every caller until the entry expires, so it
// must not be modified (the [Gateway] only reads it).
type TokenCache struct {
	store TokenStore
	ttl   time.Duration
	max   int
	now   func() time.Time

	mu      sync.RWMutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	rec     *TokenRecord // nil for not found
	expires time.Time
}

var _ TokenStore = (*TokenCache)(nil)

// NewTokenCache caches store's answers for ttl, holding at most max
// entries (0 means 10000); when full, it drops the expired entries, or all
// of them. now is the clock; nil means time.Now.
func NewTokenCache(store TokenStore, ttl time.Duration, max int, now func() time.Time) *TokenCache {
	if max <= 0 {
		max = 10000
	}
	if now == nil {
		now = time.Now
	}
	return &TokenCache{store: store, ttl: ttl, max: max, now: now, entries: map[string]cacheEntry{}}
}

// LookupToken implements [TokenStore]. The record returned is shared and
// read-only; the cache keeps its own copy of the store's record, so the
// store's caller-owned value is never aliased.
func (c *TokenCache) LookupToken(ctx context.Context, hash string) (*TokenRecord, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[hash]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		if e.rec == nil {
			return nil, ErrTokenNotFound
		}
		return e.rec, nil
	}
	rec, err := c.store.LookupToken(ctx, hash)
	if err != nil && !errors.Is(err, ErrTokenNotFound) {
		return nil, err
	}
	e = cacheEntry{expires: now.Add(c.ttl)}
	if err == nil {
		r := *rec
		e.rec = &r
	}
	c.mu.Lock()
	if len(c.entries) >= c.max {
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[hash] = e
	c.mu.Unlock()
	return rec, err
}
