package idempotency

import (
	"container/list"
	"sync"
	"time"
)

// cacheEntry is a COMPLETED result held in memory.
type cacheEntry struct {
	result      []byte
	payloadHash string
	expiry      time.Time
	// resultNotStored marks a record completed without its result.
	resultNotStored bool
}

// resultCache is a size-bounded LRU of completed results, safe for
// concurrent use.
type resultCache struct {
	mu    sync.Mutex
	size  int
	ll    *list.List               // front = most recently used
	items map[string]*list.Element // value: *cacheItem
}

type cacheItem struct {
	key   string
	entry cacheEntry
}

func newResultCache(size int) *resultCache {
	return &resultCache{size: size, ll: list.New(), items: make(map[string]*list.Element, size)}
}

// get returns the entry for key if it has not expired at now. Expired
// entries are dropped.
func (c *resultCache) get(key string, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return cacheEntry{}, false
	}
	it := el.Value.(*cacheItem)
	if !now.Before(it.entry.expiry) {
		c.ll.Remove(el)
		delete(c.items, key)
		return cacheEntry{}, false
	}
	c.ll.MoveToFront(el)
	return it.entry, true
}

// put stores e under key, evicting the least recently used entry when full.
func (c *resultCache) put(key string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value.(*cacheItem).entry = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheItem{key: key, entry: e})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheItem).key)
	}
}

// len returns the number of entries, expired or not.
func (c *resultCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
