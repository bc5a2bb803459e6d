package httpproxy_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/httpproxy"
	"github.com/rampartdev/rampart/gateway/sqlitetokens"
)

// benchGateway returns a gateway whose one token cannot reach its limit,
// with its tokens in SQLite behind a TokenCache as `rampart gateway` has
// them (cached) or without the cache, and the token.
func benchGateway(b *testing.B, cached bool) (*gateway.Gateway, string) {
	b.Helper()
	tokens, err := sqlitetokens.Open(":memory:", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tokens.Close() })
	tok, _, err := tokens.Create(context.Background(), sqlitetokens.CreateOptions{Tenant: "b", Limit: gateway.Limit{Rate: 1 << 30, Burst: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	var store gateway.TokenStore = tokens
	if cached {
		store = gateway.NewTokenCache(tokens, &gateway.TokenCacheOptions{TTL: time.Minute})
	}
	gw, err := gateway.New(gateway.Config{Tokens: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return gw, tok
}

var tokenStores = []struct {
	name   string
	cached bool
}{{"tokens=cache", true}, {"tokens=sqlite", false}}

// BenchmarkHandler measures one request through the native gateway (token
// lookup, in-memory GCRA, reverse proxy, JSON access log to io.Discard) to
// an origin on loopback: the client side is httptest's recorder, the origin
// side a real connection.
func BenchmarkHandler(b *testing.B) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	defer origin.Close()
	for _, ts := range tokenStores {
		b.Run(ts.name, func(b *testing.B) {
			gw, tok := benchGateway(b, ts.cached)
			h, err := httpproxy.New(gw, origin.URL, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/api/x?y=1", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("Accept", "application/json")
					req.Header.Set("User-Agent", "bench/1")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("status %d", rec.Code)
					}
				}
			})
		})
	}
}

// BenchmarkGateway_Handle measures the core's decision alone, with the
// conversion of net/http's request. The request's fields are set again
// before each decision (without allocating): the core edits a forwarded
// request's fields in place.
func BenchmarkGateway_Handle(b *testing.B) {
	for _, ts := range tokenStores {
		b.Run(ts.name, func(b *testing.B) {
			gw, tok := benchGateway(b, ts.cached)
			r := httptest.NewRequest("GET", "/api/x?y=1", nil)
			auth, accept, ua := []string{"Bearer " + tok}, []string{"application/json"}, []string{"bench/1"}
			b.ReportAllocs()
			for b.Loop() {
				clear(r.Header)
				r.Header["Authorization"], r.Header["Accept"], r.Header["User-Agent"] = auth, accept, ua
				if res := gw.Handle(context.Background(), httpproxy.Request(r)); res.Err != nil {
					b.Fatal(res.Err)
				}
			}
		})
	}
}
