package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a strings.Builder safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestGateway_serve issues a token with `rampart tokens create` and uses it
// through `rampart gateway` in front of a test origin.
func TestGateway_serve(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "tokens.db")
	tok, _, err := runCmd(t, "tokens", "create", "--db", db, "--tenant", "acme", "--rate", "1", "--period", "1h", "--burst", "2")
	if err != nil {
		t.Fatal(err)
	}
	tok = strings.TrimSpace(tok)
	var seen sync.Map
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("X-Request-Id"), r.Header.Get("X-Rampart-Tenant"))
		io.WriteString(w, "hello")
	}))
	defer origin.Close()
	config := filepath.Join(dir, "gateway.json")
	os.WriteFile(config, []byte(`{"routes":[{"name":"api","prefix":"/"}],"timeout":"5s"}`), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"gateway", "--addr", "127.0.0.1:0", "--origin", origin.URL, "--db", db, "--config", config}, &logs, pw)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no start-up line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if m == "" {
		t.Fatalf("start-up line %q", line)
	}
	get := func(auth string) *http.Response {
		req, _ := http.NewRequest("GET", m+"/things", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	var statuses []int
	for range 3 {
		statuses = append(statuses, get("Bearer "+tok).StatusCode)
	}
	if statuses[0] != 200 || statuses[1] != 200 || statuses[2] != 429 {
		t.Fatalf("statuses %v, want 200 200 429 (burst 2)", statuses)
	}
	if resp := get(""); resp.StatusCode != 401 {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "access" {
			n++
			if _, ok := seen.Load(rec["request_id"]); !ok && rec["status"] == float64(200) {
				t.Errorf("access record for a request the origin did not see: %s", line)
			}
		}
	}
	if n != 4 || strings.Contains(logs.String(), tok) {
		t.Fatalf("%d access records (want 4), or the token is logged:\n%s", n, logs.String())
	}
}

func TestGateway_usageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"gateway"},
		{"gateway", "--origin", "ftp://x", "--db", filepath.Join(t.TempDir(), "t.db")},
		{"gateway", "--origin", "http://x", "--log", "xml"},
		{"gateway", "bench", "--rate", "0"},
		{"gateway", "check", "--nope"},
	} {
		_, _, err := runCmd(t, args...)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestGateway_check(t *testing.T) {
	good := filepath.Join("..", "..", "deploy", "cloudflare", "wrangler.toml")
	out, _, err := runCmd(t, "gateway", "check", "--config", good)
	if err != nil || !strings.Contains(out, "ok") {
		t.Fatalf("%v %s", err, out)
	}
	b, _ := os.ReadFile(good)
	bad := filepath.Join(t.TempDir(), "wrangler.toml")
	os.WriteFile(bad, []byte(strings.Replace(string(b), `class_name = "RateLimiter"`, `class_name = "Limiter"`, 1)), 0o644)
	if _, _, err := runCmd(t, "gateway", "check", "--config", bad); err == nil || !strings.Contains(err.Error(), `class_name "Limiter"`) {
		t.Fatalf("bad config: %v", err)
	}
}

func TestGateway_bench(t *testing.T) {
	out, _, err := runCmd(t, "gateway", "bench", "--rate", "500", "--requests", "200", "--duration", "5s", "--concurrency", "8", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Mode, Target string
		Result       struct{ Sent int }
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 4 {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, r := range rows {
		if r.Result.Sent != 200 {
			t.Errorf("%s %s sent %d, want 200", r.Mode, r.Target, r.Result.Sent)
		}
	}
}

// TestGateway_benchExternal measures a gateway running elsewhere (here a
// `rampart gateway` in this test) against its origin.
func TestGateway_benchExternal(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "tokens.db")
	tok, _, err := runCmd(t, "tokens", "create", "--db", db, "--tenant", "bench", "--rate", "100000", "--burst", "100000")
	if err != nil {
		t.Fatal(err)
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	defer origin.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	go func() {
		run(ctx, []string{"gateway", "--addr", "127.0.0.1:0", "--origin", origin.URL, "--db", db}, io.Discard, pw)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	gw := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)

	if _, _, err := runCmd(t, "gateway", "bench", "--gateway", gw, "--origin", origin.URL); err == nil {
		t.Fatal("bench without RAMPART_BENCH_TOKEN accepted")
	}
	t.Setenv("RAMPART_BENCH_TOKEN", strings.TrimSpace(tok))
	out, _, err := runCmd(t, "gateway", "bench", "--gateway", gw, "--origin", origin.URL, "--path", "/x",
		"--rate", "400", "--requests", "100", "--duration", "5s", "--concurrency", "4")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "gateway") != 2 || strings.Contains(out, "share this process") {
		t.Fatalf("output:\n%s", out)
	}
}
