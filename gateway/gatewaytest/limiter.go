package gatewaytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// Exactness drives lim from clients goroutines over a simulated window
// [0, elapsed], in clock steps of step, each client sending three requests
// at every step, and returns how many requests were allowed. Each call uses a fresh key. The key stays
// saturated only if step divides the limit's interval and elapsed; then the
// exact count is Burst + floor(elapsed / interval).
func Exactness(tb testing.TB, lim gateway.Limiter, l gateway.Limit, elapsed, step time.Duration, clients int) int64 {
	tb.Helper()
	start := time.Unix(1_700_000_000, 0)
	var b [8]byte
	_, _ = rand.Read(b[:])
	key := "exactness:" + hex.EncodeToString(b[:])
	var allowed atomic.Int64
	for at := time.Duration(0); at <= elapsed; at += step {
		now := start.Add(at)
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 3 {
					d, err := lim.Allow(context.Background(), key, l, now)
					if err != nil {
						tb.Error(err)
						return
					}
					if d.Allowed {
						allowed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
	}
	return allowed.Load()
}
