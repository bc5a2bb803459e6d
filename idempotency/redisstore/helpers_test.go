package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/redisstore"
	"github.com/rampartdev/rampart/internal/testenv"
)

// MustClient returns a client of the test Redis server, closed when the test
// ends.
func MustClient(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(tb)})
	tb.Cleanup(func() { c.Close() })
	return c
}

// MustPrefix returns a key prefix no other test uses, and deletes the keys
// under it when the test ends.
func MustPrefix(tb testing.TB, c *redis.Client) string {
	tb.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "rampart-test:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// Counter is a go-redis hook that counts the commands and pipelines a client
// sends: its round trips.
type Counter struct{ n atomic.Int64 }

// Count returns the round trips so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Reset sets the count to zero.
func (c *Counter) Reset() { c.n.Store(0) }

// DialHook passes dials through.
func (c *Counter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

// ProcessHook counts one round trip per command.
func (c *Counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook counts one round trip per pipeline.
func (c *Counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// Foreign wraps a Store with idempotencytest.ForeignWriter: another writer
// completing a record's hash without the owner token.
type Foreign struct {
	*redisstore.Store
	C *redis.Client
}

// CompleteForeign sets key's hash fields status, data and expiration_ms,
// touching no other field.
func (f Foreign) CompleteForeign(ctx context.Context, key string, result []byte, expiry time.Time) error {
	k := f.Prefix() + key
	if n, err := f.C.Exists(ctx, k).Result(); err != nil || n == 0 {
		return errors.Join(err, idempotency.ErrNotFound)
	}
	return f.C.HSet(ctx, k, "status", "COMPLETED", "data", result, "expiration_ms", expiry.UnixMilli()).Err()
}
