package redislimiter_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/gateway/redislimiter"
	"github.com/rampartdev/rampart/internal/testenv"
)

// MustClient connects to the test Redis server and gives the test its own
// key prefix.
func MustClient(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(tb)})
	tb.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	return rdb, "test:" + hex.EncodeToString(b[:]) + ":"
}

func TestLimiter_exact(t *testing.T) {
	rdb, prefix := MustClient(t)
	lim := redislimiter.New(rdb, &redislimiter.Options{Prefix: prefix})
	for _, l := range []gateway.Limit{
		{Rate: 100, Period: time.Second, Burst: 10},
		{Rate: 3, Period: 300 * time.Millisecond, Burst: 1},
	} {
		elapsed := 500 * time.Millisecond
		got := gatewaytest.Exactness(t, lim, l, elapsed, l.Interval()/2, 6)
		want := int64(l.BurstSize()) + int64(elapsed/l.Interval())
		if got != want {
			t.Errorf("%+v: %d allowed, want exactly %d", l, got, want)
		}
	}
}

// TestLimiter_twoInstances runs two limiters (two gateway instances, each
// with its own connection pool) against one key: they share the limit.
func TestLimiter_twoInstances(t *testing.T) {
	rdb1, prefix := MustClient(t)
	rdb2, _ := MustClient(t)
	a := redislimiter.New(rdb1, &redislimiter.Options{Prefix: prefix})
	b := redislimiter.New(rdb2, &redislimiter.Options{Prefix: prefix})
	l := gateway.Limit{Rate: 10, Period: time.Second, Burst: 25}
	now := time.Now()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 10 {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				d, err := lim.Allow(context.Background(), "tok:shared", l, now)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 25 {
		t.Fatalf("%d allowed across two instances, want the burst of 25", allowed.Load())
	}
	d, _ := a.Allow(context.Background(), "tok:shared", l, now.Add(100*time.Millisecond))
	if !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after one interval: %+v", d)
	}
}

func TestLimiter_decisionMatchesGCRA(t *testing.T) {
	rdb, prefix := MustClient(t)
	lim := redislimiter.New(rdb, &redislimiter.Options{Prefix: prefix})
	mem := gateway.NewMemoryLimiter()
	l := gateway.Limit{Rate: 4, Period: time.Second, Burst: 3}
	now := time.UnixMicro(time.Now().UnixMicro())
	for i := range 12 {
		at := now.Add(time.Duration(i) * 70 * time.Millisecond)
		got, err := lim.Allow(context.Background(), "k", l, at)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := mem.Allow(context.Background(), "k", l, at)
		if got != want {
			t.Fatalf("request %d: redis %+v, memory %+v", i, got, want)
		}
	}
}

func TestLimiter_keyExpires(t *testing.T) {
	rdb, prefix := MustClient(t)
	lim := redislimiter.New(rdb, &redislimiter.Options{Prefix: prefix})
	lim.Allow(context.Background(), "k", gateway.Limit{Rate: 1, Period: time.Second, Burst: 1}, time.Now())
	ttl := rdb.PTTL(context.Background(), prefix+"k").Val()
	if ttl <= time.Second || ttl > 2100*time.Millisecond {
		t.Fatalf("key TTL %v, want the time to refill (1s) plus 1s", ttl)
	}
}

func TestLimiter_redisDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	if _, err := redislimiter.New(rdb, nil).Allow(context.Background(), "k", gateway.Limit{Rate: 1}, time.Now()); err == nil {
		t.Fatal("no error with Redis unreachable")
	}
}
