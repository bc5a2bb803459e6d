package gateway_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// benchCore returns a gateway as `rampart gateway` configures one (tokens
// behind a TokenCache, the in-memory limiter, a JSON log to io.Discard): a
// public route under /pub with a per-address limit, the rest needing a
// token; and a token that cannot reach its limit.
func benchCore(b *testing.B, failureLimit gateway.LimitConfig) (*gateway.Gateway, string) {
	b.Helper()
	tok, id, err := gateway.GenerateToken(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	rec := &gateway.TokenRecord{ID: id, Hash: gateway.HashToken(tok), Tenant: "b", Rate: 1 << 30, Burst: 1 << 30}
	store := gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
		if id == rec.ID {
			r := *rec
			return &r, nil
		}
		return nil, gateway.ErrTokenNotFound
	})
	g, err := gateway.New(gateway.Config{
		Routes:           []gateway.Route{{Prefix: "/pub", Public: true}, {Name: "api", Prefix: "/"}},
		AnonymousLimit:   gateway.LimitConfig{Rate: 1 << 30, Burst: 1 << 30},
		AuthFailureLimit: failureLimit,
		Tokens:           gateway.NewTokenCache(store, &gateway.TokenCacheOptions{TTL: time.Hour}),
		Logger:           slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	return g, tok
}

// BenchmarkGateway_Handle measures the core's decision and its access
// record, per request as an adapter asks for them, on the Fetch API's form
// of a request (lowercase names): a public route, a valid token, and
// random well-formed tokens (refused), from one address (whose failure
// budget is soon spent: the flood's case) and with the budget disabled
// (every token looked up, unknown ids from the negative cache). The
// request's fields are set again before each decision, without allocating,
// since a forwarded request's header is the core's to edit.
func BenchmarkGateway_Handle(b *testing.B) {
	randomTokens := make([][]string, 4096)
	for i := range randomTokens {
		t, _, err := gateway.GenerateToken(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		randomTokens[i] = []string{"Bearer " + t}
	}
	for _, bc := range []struct {
		name   string
		path   string
		random bool
		limit  gateway.LimitConfig
		status int
	}{
		{"public", "/pub/x", false, gateway.LimitConfig{}, 0},
		{"token", "/api/x", false, gateway.LimitConfig{}, 0},
		{"token=random", "/api/x", true, gateway.LimitConfig{}, 429},
		{"token=random,budget=off", "/api/x", true, gateway.LimitConfig{Rate: -1}, 401},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g, tok := benchCore(b, bc.limit)
			auth := []string{"Bearer " + tok}
			accept, ua := []string{"application/json"}, []string{"bench/1"}
			req := &gateway.Request{Header: gateway.Header{}}
			ctx := context.Background()
			var status int
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				*req = gateway.Request{
					Method: "GET", Path: bc.path, Query: "y=1", Host: "api.example", Scheme: "http", Proto: "HTTP/1.1",
					Header: req.Header, RemoteAddr: "192.0.2.1", ContentLength: -1,
				}
				clear(req.Header)
				req.Header["accept"], req.Header["user-agent"] = accept, ua
				switch {
				case bc.random:
					req.Header["authorization"] = randomTokens[i%len(randomTokens)]
					i++
				case bc.path != "/pub/x":
					req.Header["authorization"] = auth
				}
				res := g.Handle(ctx, req)
				status = 200
				if res.Err != nil {
					status = res.Err.Status
				}
				g.LogAccess(ctx, req, res, status, time.Millisecond)
			}
			if want := max(bc.status, 200); status != want {
				b.Fatalf("status %d, want %d", status, want)
			}
		})
	}
}

// BenchmarkGateway_LogAccess measures one access record of a forwarded
// request to io.Discard: through NewLogHandler (written without a
// slog.Record), through NewLogHandler behind a wrapper (the slog.Record
// path every other handler gets) and through slog's JSON handler.
func BenchmarkGateway_LogAccess(b *testing.B) {
	req := &gateway.Request{Method: "GET", Path: "/api/bench"}
	res := &gateway.Result{RequestID: "0123456789abcdef0123456789abcdef", Route: "default", TokenID: "33b3bf894fdea74f", Tenant: "bench", Client: "127.0.0.1"}
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"handler=gateway", gateway.NewLogHandler(io.Discard, nil)},
		{"handler=gateway,record", wrappedHandler{gateway.NewLogHandler(io.Discard, nil)}},
		{"handler=slog", slog.NewJSONHandler(io.Discard, nil)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/", Public: true}}, Logger: slog.New(bc.h)})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				g.LogAccess(ctx, req, res, 200, 123*time.Microsecond)
			}
		})
	}
}

// wrappedHandler hides a handler's type.
type wrappedHandler struct{ slog.Handler }
