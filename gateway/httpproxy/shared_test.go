package httpproxy_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/gateway/redislimiter"
	"github.com/rampartdev/rampart/internal/testenv"
)

// TestHandler_sharedRedisLimit runs two gateway instances with their limits
// in one real Redis: a token's burst is shared, not doubled.
func TestHandler_sharedRedisLimit(t *testing.T) {
	addr := testenv.RedisAddr(t)
	v := gatewaytest.MustLoad(t)
	seeded, _ := v.Seed(time.Now())
	origin := gatewaytest.NewOrigin(t)
	prefix := "test:shared:" + seeded.Records["flood"].ID + ":"
	var urls []string
	for range 2 {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { rdb.Close() })
		cfg, _ := v.GatewayConfig()
		cfg.Tokens = seeded.Store()
		cfg.Limiter = redislimiter.New(rdb, &redislimiter.Options{Prefix: prefix})
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		urls = append(urls, mustServe(t, cfg, origin.URL).URL)
	}
	// The flood token has a burst of 3 and then one request an hour.
	var statuses []int
	for i := range 6 {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", urls[i%2]+"/api/x", nil)
		req.Header.Set("Authorization", "Bearer "+seeded.Tokens["flood"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	want := []int{200, 200, 200, 429, 429, 429}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses across two instances %v, want %v", statuses, want)
		}
	}
}
