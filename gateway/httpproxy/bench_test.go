package httpproxy_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/httpproxy"
	"github.com/rampartdev/rampart/gateway/sqlitetokens"
)

// BenchmarkHandler measures one request through the native gateway (SQLite
// token lookup, in-memory GCRA, reverse proxy) to an origin on loopback.
func BenchmarkHandler(b *testing.B) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	defer origin.Close()
	tokens, err := sqlitetokens.Open(":memory:", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tokens.Close()
	tok, _, _ := tokens.Create(context.Background(), sqlitetokens.CreateOptions{Tenant: "b", Limit: gateway.Limit{Rate: 1 << 30, Burst: 1 << 30}})
	gw, _ := gateway.New(gateway.Config{Tokens: tokens, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	h, _ := httpproxy.New(gw, origin.URL, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/x?y=1", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}

// BenchmarkGateway_Handle measures the core's decision alone.
func BenchmarkGateway_Handle(b *testing.B) {
	tokens, err := sqlitetokens.Open(":memory:", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tokens.Close()
	tok, _, _ := tokens.Create(context.Background(), sqlitetokens.CreateOptions{Tenant: "b", Limit: gateway.Limit{Rate: 1 << 30, Burst: 1 << 30}})
	gw, _ := gateway.New(gateway.Config{Tokens: tokens, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	req := httpproxy.Request(httptest.NewRequest("GET", "/api/x?y=1", nil))
	req.Header.Set("authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		if res := gw.Handle(context.Background(), req); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
