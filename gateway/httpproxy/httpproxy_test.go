package httpproxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/gateway/httpproxy"
)

// newServer starts the native gateway for the vectors' configuration in
// front of origin, logging to logs.
func newServer(t *testing.T, v *gatewaytest.Vectors, seeded *gatewaytest.Seeded, origin string, logs io.Writer) *testServer {
	t.Helper()
	cfg, err := v.GatewayConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tokens = seeded.Store()
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	return mustStart(t, mustHandler(t, cfg, origin))
}

func TestHandler_vectors(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	var logs bytes.Buffer
	srv := newServer(t, v, seeded, origin.URL, &syncWriter{mu: make(chan struct{}, 1), w: &logs})
	gatewaytest.Run(t, v, gatewaytest.Target{Name: "native", URL: srv.URL, Origin: origin, Client: "127.0.0.1", Seeded: seeded})

	// The access log names every request by id and token id, never the token.
	out := logs.String()
	for name, tok := range seeded.Tokens {
		if strings.Contains(out, tok) {
			t.Errorf("token %s appears in the logs", name)
		}
		_, secret, _ := gateway.ParseToken(tok)
		if strings.Contains(out, secret) {
			t.Errorf("secret of token %s appears in the logs", name)
		}
	}
	var n int
	for line := range strings.Lines(out) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] != "access" {
			continue
		}
		n++
		for _, k := range []string{"request_id", "token_id", "status", "latency_ms", "route", "client"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("access record lacks %s: %s", k, line)
			}
		}
	}
	if n == 0 {
		t.Fatal("no access records")
	}
	if !strings.Contains(out, `"token_id":"`+seeded.Records["alice"].ID+`"`) {
		t.Error("access log lacks alice's token id")
	}
}

func TestHandler_streamedBodyOverLimit(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	seeded, _ := v.Seed(time.Now())
	origin := gatewaytest.NewOrigin(t)
	srv := newServer(t, v, seeded, origin.URL, io.Discard)
	// No Content-Length: the limit must hold while streaming.
	req, _ := http.NewRequest("POST", srv.URL+"/api/upload", io.MultiReader(strings.NewReader(strings.Repeat("x", 4096))))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+seeded.Tokens["alice"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || !strings.Contains(string(body), `"body_too_large"`) {
		t.Fatalf("status %d body %s, want 413 body_too_large", resp.StatusCode, body)
	}
}

func TestHandler_originErrors(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	seeded, _ := v.Seed(time.Now())
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	cfg, _ := v.GatewayConfig()
	cfg.Tokens = seeded.Store()
	cfg.Timeout = gateway.Duration(100 * time.Millisecond)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	gw, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// An origin that drops every connection it accepts: kept listening for
	// the test, so that no other test's server can take its port.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closed.Close()
	go func() {
		for {
			c, err := closed.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closedURL := "http://" + closed.Addr().String()
	for _, tc := range []struct {
		origin string
		status int
		code   string
	}{
		{slow.URL, 504, gateway.CodeUpstreamTimeout},
		{closedURL, 502, gateway.CodeUpstreamError},
	} {
		h, err := httpproxy.New(gw, tc.origin, nil)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/api/x", nil)
		req.Header.Set("Authorization", "Bearer "+seeded.Tokens["root"])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.code) || rec.Header().Get("X-Request-Id") == "" {
			t.Errorf("origin %s: %d %s, want %d %s", tc.origin, rec.Code, rec.Body, tc.status, tc.code)
		}
	}
}

func TestNew_badOrigin(t *testing.T) {
	gw, _ := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/", Public: true}}})
	for _, o := range []string{"", "ftp://x", "http://", "http://u:p@host", "http://host/?q=1"} {
		if _, err := httpproxy.New(gw, o, nil); err == nil {
			t.Errorf("New(%q) accepted", o)
		}
	}
}

// syncWriter serialises writes from concurrent handlers.
type syncWriter struct {
	mu chan struct{}
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.w.Write(p)
}

// TestHandler_concurrentRequestsKeepTheirOwnResult sends requests from
// several tenants at once through the one shared ReverseProxy: each
// forwarded request and each response carries its own request's id and
// tenant, never another's.
func TestHandler_concurrentRequestsKeepTheirOwnResult(t *testing.T) {
	records := map[string]gateway.TokenRecord{} // id -> record
	tokens := map[string]string{}               // tenant -> token
	for i := range 4 {
		id := fmt.Sprintf("%08d", i)
		tok := "rpt_" + id + "_0123456789abcdefghijklmnopqrstuv"
		tenant := fmt.Sprintf("tenant-%d", i)
		records[id], tokens[tenant] = gateway.TokenRecord{ID: id, Hash: gateway.HashToken(tok), Tenant: tenant}, tok
	}
	store := gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
		if r, ok := records[id]; ok {
			return &r, nil
		}
		return nil, gateway.ErrTokenNotFound
	})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Header.Get("X-Rampart-Tenant"), r.Header.Get("X-Request-Id"))
	}))
	defer origin.Close()
	srv := mustServe(t, gateway.Config{Tokens: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}, origin.URL)
	var wg sync.WaitGroup
	for tenant, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := tenant + " " + resp.Header.Get("X-Request-Id"); resp.StatusCode != 200 || string(body) != want {
					t.Errorf("status %d, origin saw %q, want %q", resp.StatusCode, body, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// mustHandler returns the native gateway for cfg in front of origin.
func mustHandler(t testing.TB, cfg gateway.Config, origin string) *httpproxy.Handler {
	t.Helper()
	gw, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpproxy.New(gw, origin, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// mustServe serves a gateway for cfg in front of origin on a test server
// that the test's cleanup closes.
func mustServe(t testing.TB, cfg gateway.Config, origin string) *testServer {
	t.Helper()
	return mustStart(t, mustHandler(t, cfg, origin))
}

// testServer is a gateway served for a test.
type testServer struct {
	URL string // http://127.0.0.1:port
}

// Client returns a client for the server.
func (*testServer) Client() *http.Client { return http.DefaultClient }

// mustStart serves h as `rampart gateway` does, with the server from
// NewServer, until the test's cleanup.
func mustStart(t testing.TB, h *httpproxy.Handler) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpproxy.NewServer(h)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &testServer{URL: "http://" + ln.Addr().String()}
}
