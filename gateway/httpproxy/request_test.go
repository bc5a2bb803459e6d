package httpproxy_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/httpproxy"
)

// tokenGateway returns a gateway with one token, and the token.
func tokenGateway(t *testing.T) (*gateway.Gateway, string) {
	t.Helper()
	tok, id, err := gateway.GenerateToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rec := gateway.TokenRecord{ID: id, Hash: gateway.HashToken(tok), Tenant: "t"}
	gw, err := gateway.New(gateway.Config{
		Tokens: gateway.NewTokenCache(gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
			if id == rec.ID {
				r := rec
				return &r, nil
			}
			return nil, gateway.ErrTokenNotFound
		}), nil),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return gw, tok
}

// TestRequest_sharesTheHeader checks that Request hands the core r.Header
// itself, so that a forwarded request's fields are edited in place, with
// the framing net/http took out of the map put back for the core to see.
func TestRequest_sharesTheHeader(t *testing.T) {
	gw, tok := tokenGateway(t)
	r := httptest.NewRequest("POST", "/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	req := httpproxy.Request(r)
	if !req.CanonicalHeader {
		t.Fatal("CanonicalHeader not set")
	}
	res := gw.Handle(context.Background(), req)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if _, ok := r.Header["Authorization"]; ok {
		t.Errorf("r.Header still has Authorization: the core edited a copy")
	}
	if got := r.Header.Get("X-Forwarded-For"); got != "192.0.2.1" { // httptest's peer
		t.Errorf("X-Forwarded-For = %q, want the peer", got)
	}
	r = httptest.NewRequest("POST", "/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Content-Length", "3")
	r.TransferEncoding = []string{"chunked"}
	if res := gw.Handle(context.Background(), httpproxy.Request(r)); res.Err == nil || res.Err.Status != 400 || !res.Close {
		t.Errorf("Transfer-Encoding with Content-Length: %+v, want 400 and close", res.Err)
	}
}

// TestHandler_leavesTheRequestAlone checks that ServeHTTP, called by
// another server, does not change the request it is given (http.Handler's
// contract: a middleware may read r.Header after it), while the origin
// gets the cleaned fields.
func TestHandler_leavesTheRequestAlone(t *testing.T) {
	seen := make(chan http.Header, 1)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	gw, tok := tokenGateway(t)
	h, err := httpproxy.New(gw, origin.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.CloseIdleConnections()
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set("Connection", "X-Hop")
	r.Header.Set("X-Hop", "1")
	r.Header.Set("Accept", "text/plain")
	before := r.Header.Clone()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if !reflect.DeepEqual(r.Header, before) {
		t.Errorf("ServeHTTP changed r.Header: %q, was %q", r.Header, before)
	}
	got := <-seen
	for _, k := range []string{"Authorization", "X-Hop", "Connection"} {
		if _, ok := got[k]; ok {
			t.Errorf("origin got %s", k)
		}
	}
	if got.Get("X-Forwarded-For") != "192.0.2.1" || got.Get("Accept") != "text/plain" || got.Get("X-Rampart-Tenant") != "t" {
		t.Errorf("origin got %q", got)
	}
}
