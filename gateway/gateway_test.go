package gateway_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, gateway.Limit, time.Time) (gateway.LimitDecision, error) {
	return gateway.LimitDecision{}, errors.New("limiter down")
}

func newTestGateway(t *testing.T, cfg gateway.Config) (*gateway.Gateway, string) {
	t.Helper()
	tok := "rpt_abcdefgh_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	rec := gateway.TokenRecord{ID: "abcdefgh", Hash: gateway.HashToken(tok), Tenant: "t1", Rate: 10, Burst: 10}
	if cfg.Tokens == nil {
		cfg.Tokens = gateway.TokenStoreFunc(func(_ context.Context, h string) (*gateway.TokenRecord, error) {
			if h == rec.Hash {
				r := rec
				return &r, nil
			}
			return nil, gateway.ErrTokenNotFound
		})
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g, tok
}

func request(tok string, h map[string]string) *gateway.Request {
	r := &gateway.Request{Method: "GET", Path: "/x", Header: gateway.Header{}, RemoteAddr: "192.0.2.1", ContentLength: -1}
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func TestGateway_failsClosed(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{Limiter: failingLimiter{}})
	if res := g.Handle(context.Background(), request(tok, nil)); res.Err == nil || res.Err.Status != 503 || res.Forward != nil {
		t.Fatalf("failing limiter: %+v", res.Err)
	}
	g, tok = newTestGateway(t, gateway.Config{Tokens: gateway.TokenStoreFunc(func(context.Context, string) (*gateway.TokenRecord, error) {
		return nil, errors.New("store down")
	})})
	if res := g.Handle(context.Background(), request(tok, nil)); res.Err == nil || res.Err.Status != 503 {
		t.Fatalf("failing store: %+v", res.Err)
	}
}

func TestGateway_storeReturningAnotherRecord(t *testing.T) {
	// A store that matches loosely must not let a token through on another
	// token's record: the hash is compared again.
	other := gateway.TokenRecord{ID: "other", Hash: strings.Repeat("0", 64)}
	g, tok := newTestGateway(t, gateway.Config{Tokens: gateway.TokenStoreFunc(func(context.Context, string) (*gateway.TokenRecord, error) {
		return &other, nil
	})})
	if res := g.Handle(context.Background(), request(tok, nil)); res.Err == nil || res.Err.Code != gateway.CodeInvalidToken {
		t.Fatalf("got %+v, want invalid_token", res.Err)
	}
}

func TestGateway_platformAddressHeadersNotTrusted(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{})
	res := g.Handle(context.Background(), request(tok, map[string]string{
		"cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "203.0.113.9", "x-client-ip": "203.0.113.9",
	}))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	h := res.Forward.Header
	if h.Get("x-forwarded-for") != "192.0.2.1" || h.Get("cf-connecting-ip") != "" || h.Get("x-client-ip") != "" {
		t.Fatalf("forwarded %v", h)
	}
	if h.Get("authorization") != "" {
		t.Fatal("authorization forwarded by default")
	}
}

func TestGateway_forwardAuthorization(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{ForwardAuthorization: true})
	res := g.Handle(context.Background(), request(tok, nil))
	if res.Err != nil || res.Forward.Header.Get("authorization") != "Bearer "+tok {
		t.Fatalf("%+v", res)
	}
}

func TestGateway_duplicateAuthorization(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{})
	r := request(tok, nil)
	r.Header.Add("Authorization", "Bearer "+tok)
	if res := g.Handle(context.Background(), r); res.Err == nil || res.Err.Code != gateway.CodeInvalidToken {
		t.Fatalf("two Authorization fields: %+v", res.Err)
	}
}

func TestNew_badRoute(t *testing.T) {
	if _, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "api", Public: true}}}); err == nil {
		t.Error("prefix without / accepted")
	}
	if _, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/api"}}}); err == nil {
		t.Error("token route without a token store accepted")
	}
}

// TestGateway_upstreamDoesNotAliasRequest checks that the forwarded fields,
// which share value slices with the request's, can be changed on either
// side without changing the other.
func TestGateway_upstreamDoesNotAliasRequest(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{})
	req := request(tok, nil)
	req.Header["accept"] = append(make([]string, 0, 4), "text/plain")
	req.Header["connection"] = []string{"close, X-Hop"}
	req.Header["x-hop"] = []string{"1"}
	res := g.Handle(context.Background(), req)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	up := res.Forward.Header
	for _, k := range []string{"connection", "x-hop", "authorization"} {
		if _, ok := up[k]; ok {
			t.Errorf("%s forwarded", k)
		}
	}
	up.Add("accept", "application/json")
	req.Header.Add("accept", "image/png")
	if got := up["accept"]; len(got) != 2 || got[1] != "application/json" {
		t.Errorf("forwarded accept = %q", got)
	}
	if got := req.Header["accept"]; len(got) != 2 || got[1] != "image/png" {
		t.Errorf("request accept = %q", got)
	}
	if got := up.Get("x-request-id"); got != res.RequestID {
		t.Errorf("forwarded x-request-id = %q, want %q", got, res.RequestID)
	}
}
