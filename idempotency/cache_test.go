package idempotency

import (
	"testing"
	"time"
)

func TestResultCache_LRU(t *testing.T) {
	now := time.Now()
	c := newResultCache(2)
	c.put("a", cacheEntry{result: []byte("a"), expiry: now.Add(time.Hour)})
	c.put("b", cacheEntry{result: []byte("b"), expiry: now.Add(time.Hour)})
	if _, ok := c.get("a", now); !ok { // a becomes the most recently used
		t.Fatal("a missing")
	}
	c.put("c", cacheEntry{result: []byte("c"), expiry: now.Add(time.Hour)})
	if _, ok := c.get("b", now); ok {
		t.Error("b survived; the least recently used entry should be evicted")
	}
	if _, ok := c.get("a", now); !ok {
		t.Error("a was evicted")
	}
	if _, ok := c.get("c", now.Add(time.Hour)); ok {
		t.Error("c returned at its expiry")
	}
	if c.len() != 1 {
		t.Errorf("len %d after dropping the expired entry; want 1", c.len())
	}
}
