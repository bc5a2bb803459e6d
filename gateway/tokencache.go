package gateway

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Defaults for the zero values of [TokenCacheOptions].
const (
	DefaultTokenCacheTTL     = time.Second
	DefaultNegativeCacheTTL  = 5 * time.Second
	DefaultTokenCacheEntries = 10000
)

// TokenCacheOptions configure a [TokenCache]. A nil *TokenCacheOptions
// means the defaults.
type TokenCacheOptions struct {
	// TTL is how long a record found in the store is reused: a token
	// revoked in the store is still accepted for up to this long. 0 means
	// DefaultTokenCacheTTL.
	TTL time.Duration
	// NegativeTTL is how long a token id the store does not know is
	// remembered as unknown, so that made-up tokens cost no store lookup. A
	// token created with that id (ids are 64 random bits, so only one
	// someone guessed) works once it has passed. 0 means
	// DefaultNegativeCacheTTL; negative disables the negative cache.
	NegativeTTL time.Duration
	// MaxEntries bounds the known records and, separately, the unknown ids
	// kept (so a flood of unknown ids cannot evict the known tokens); when
	// full, expired entries are dropped, or all of that kind. 0 means
	// DefaultTokenCacheEntries.
	MaxEntries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// TokenCache is a [TokenStore] that remembers another store's answers by
// token id for a short time, keeping the store off the hot path: records
// found for TTL, ids not found for NegativeTTL. Store errors are not
// cached.
//
// A hit takes a read lock and allocates nothing: the record returned is the
// cache's own and is shared by every caller until the entry expires, so it
// must not be modified (the [Gateway] only reads it).
type TokenCache struct {
	store            TokenStore
	ttl, negativeTTL time.Duration
	max              int
	now              func() time.Time
	wallClock        bool // now is time.Now
	mu               sync.RWMutex
	known            map[string]cacheEntry
	unknown          map[string]time.Time // id -> expiry
}

type cacheEntry struct {
	rec     *TokenRecord
	key     string // the token's rate-limit key, "tok:" + rec.ID
	expires time.Time
}

var _ TokenStore = (*TokenCache)(nil)

// NewTokenCache returns a cache in front of store.
func NewTokenCache(store TokenStore, opts *TokenCacheOptions) *TokenCache {
	var o TokenCacheOptions
	if opts != nil {
		o = *opts
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTokenCacheTTL
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = DefaultNegativeCacheTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultTokenCacheEntries
	}
	wallClock := o.Now == nil
	if wallClock {
		o.Now = time.Now
	}
	return &TokenCache{
		store: store, ttl: o.TTL, negativeTTL: o.NegativeTTL, max: o.MaxEntries, now: o.Now, wallClock: wallClock,
		known: map[string]cacheEntry{}, unknown: map[string]time.Time{},
	}
}

// LookupToken implements [TokenStore]. The record returned is shared and
// read-only; the cache keeps its own copy of the store's record, so the
// store's caller-owned value is never aliased.
func (c *TokenCache) LookupToken(ctx context.Context, id string) (*TokenRecord, error) {
	rec, _, err := c.lookup(ctx, id, time.Time{})
	return rec, err
}

// lookup is LookupToken that also returns the record's rate-limit key
// (tokenLimitKey of its ID), made once per cached record rather than per
// request; "" when it returns the store's record. now is the time the
// caller has just read from time.Now, or zero: the cache reads its clock.
// (In a Worker every clock read crosses into JavaScript.)
func (c *TokenCache) lookup(ctx context.Context, id string, now time.Time) (*TokenRecord, string, error) {
	if now.IsZero() || !c.wallClock {
		now = c.now()
	}
	c.mu.RLock()
	e, ok := c.known[id]
	exp, isUnknown := c.unknown[id]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.rec, e.key, nil
	}
	if isUnknown && now.Before(exp) {
		return nil, "", ErrTokenNotFound
	}
	rec, err := c.store.LookupToken(ctx, id)
	switch {
	case errors.Is(err, ErrTokenNotFound):
		if c.negativeTTL > 0 {
			c.mu.Lock()
			makeRoom(c.unknown, c.max, func(t time.Time) bool { return !now.Before(t) })
			c.unknown[id] = now.Add(c.negativeTTL)
			c.mu.Unlock()
		}
		return nil, "", err
	case err != nil:
		return nil, "", err
	}
	r := *rec
	c.mu.Lock()
	makeRoom(c.known, c.max, func(e cacheEntry) bool { return !now.Before(e.expires) })
	c.known[id] = cacheEntry{rec: &r, key: tokenLimitKey(r.ID), expires: now.Add(c.ttl)}
	delete(c.unknown, id)
	c.mu.Unlock()
	return rec, "", nil
}

// makeRoom makes room for one more entry in m, which holds at most max:
// it drops the expired entries, or all of them.
func makeRoom[V any](m map[string]V, max int, expired func(V) bool) {
	if len(m) < max {
		return
	}
	for k, v := range m {
		if expired(v) {
			delete(m, k)
		}
	}
	if len(m) >= max {
		clear(m)
	}
}
