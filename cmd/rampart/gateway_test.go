package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/rampartdev/rampart/internal/testingutil"
)

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
	var logs testingutil.Buffer
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
		{"gateway", "bench", "--processes", "--gateway", "http://127.0.0.1:1"},
		{"gateway", "--origin", "http://x", "--log-flush", "-1s"},
		{"gateway", "origin", "extra"},
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
	// Each variant is a Worker project of its own, with the Worker's code.
	project := func() string {
		dir := t.TempDir()
		src, _ := os.ReadFile(filepath.Join(filepath.Dir(good), "src", "worker.mjs"))
		os.Mkdir(filepath.Join(dir, "src"), 0o755)
		os.WriteFile(filepath.Join(dir, "src", "worker.mjs"), src, 0o644)
		return dir
	}
	bad := filepath.Join(project(), "wrangler.toml")
	os.WriteFile(bad, []byte(strings.Replace(string(b), `class_name = "RateLimiter"`, `class_name = "Limiter"`, 1)), 0o644)
	out, _, err = runCmd(t, "gateway", "check", "--config", bad)
	if !errors.As(err, new(findingsError)) || !strings.Contains(out, `gateway-contract: durable_objects.bindings: binding RATE_LIMITER has class_name "Limiter"`) {
		t.Fatalf("bad config: %v %s", err, out)
	}
	// The recipe's placeholder id, which the old check accepted; and a
	// binding renamed in the file but not in the code.
	recipe := filepath.Join(project(), "wrangler.toml")
	os.WriteFile(recipe, []byte(strings.Replace(string(b), `binding = "TOKENS"`, `binding = "TOKENS"`+"\n"+`id = "<your-kv-id>"`, 1)), 0o644)
	out, _, err = runCmd(t, "gateway", "check", "--config", recipe)
	if !errors.As(err, new(findingsError)) || !strings.Contains(out, `wrangler-id: KV namespace TOKENS: id "<your-kv-id>" is a placeholder`) {
		t.Fatalf("recipe's placeholder: %v %s", err, out)
	}
	renamed := filepath.Join(project(), "wrangler.toml")
	os.WriteFile(renamed, []byte(strings.Replace(string(b), `ORIGIN = "https://origin.example.com"`, `UPSTREAM = "https://origin.example.com"`, 1)), 0o644)
	out, _, _ = runCmd(t, "gateway", "check", "--config", renamed)
	if !strings.Contains(out, "wrangler-bindings: the code uses env.ORIGIN, which the file does not declare") ||
		!strings.Contains(out, "wrangler-bindings: binding UPSTREAM is declared but the code never uses env.UPSTREAM") {
		t.Fatalf("renamed binding: %s", out)
	}
	// wrangler.json and wrangler.jsonc, with vars that are not strings
	// (wrangler passes them to the Worker as JSON values): a warm-up count
	// as a number is fine, ORIGIN as a number is a finding on its line.
	var doc map[string]any
	if _, err := toml.Decode(string(b), &doc); err != nil {
		t.Fatal(err)
	}
	vars := doc["vars"].(map[string]any)
	vars["GATEWAY_WARMUP"] = 1500
	js, _ := json.MarshalIndent(doc, "", "  ")
	withSecrets := func() string { // .dev.vars.example lists the secret GATEWAY_SEED
		dir := project()
		ex, _ := os.ReadFile(filepath.Join(filepath.Dir(good), ".dev.vars.example"))
		os.WriteFile(filepath.Join(dir, ".dev.vars.example"), ex, 0o644)
		return dir
	}
	asJSON := filepath.Join(withSecrets(), "wrangler.json")
	os.WriteFile(asJSON, js, 0o644)
	if out, _, err = runCmd(t, "gateway", "check", "--config", asJSON); err != nil || !strings.Contains(out, "ok") {
		t.Fatalf("wrangler.json with GATEWAY_WARMUP = 1500: %v %s", err, out)
	}
	vars["ORIGIN"] = 8080
	js, _ = json.MarshalIndent(doc, "", "  ")
	asJSONC := filepath.Join(withSecrets(), "wrangler.jsonc")
	os.WriteFile(asJSONC, append([]byte("// the gateway\n"), js...), 0o644)
	out, _, err = runCmd(t, "gateway", "check", "--config", asJSONC)
	if !errors.As(err, new(findingsError)) || !regexp.MustCompile(`wrangler.jsonc:\d+: gateway-contract: vars: ORIGIN is a number, not a string`).MatchString(out) {
		t.Fatalf("wrangler.jsonc with ORIGIN = 8080: %v %s", err, out)
	}
	// An id not in the account, from wrangler kv namespace list.
	withID := filepath.Join(project(), "wrangler.toml")
	os.WriteFile(withID, []byte(strings.Replace(string(b), `binding = "TOKENS"`, `binding = "TOKENS"`+"\n"+`id = "0f2ac74b498b48028cb68387c421e279"`, 1)), 0o644)
	list := filepath.Join(t.TempDir(), "kv.json")
	os.WriteFile(list, []byte(`[{"id": "6f1b2c0d6f1b2c0d6f1b2c0d6f1b2c0d", "title": "rampart-gateway-TOKENS"}]`), 0o644)
	out, _, err = runCmd(t, "gateway", "check", "--config", withID, "--kv-list", list, "--json")
	if !errors.As(err, new(findingsError)) || !strings.Contains(out, `"rule": "wrangler-kv-account"`) {
		t.Fatalf("id not in the account: %v %s", err, out)
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

// TestGateway_helperProcess is not a test: run by TestGateway_benchProcesses
// as a child process with RAMPART_TEST_HELPER=1, it runs the rampart command
// line given after "--" and exits, as the rampart binary would.
func TestGateway_helperProcess(t *testing.T) {
	if os.Getenv("RAMPART_TEST_HELPER") != "1" {
		t.Skip("run as a child process by TestGateway_benchProcesses")
	}
	args := os.Args
	for len(args) > 0 && args[0] != "--" {
		args = args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rampart:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestGateway_benchProcesses runs the bench with the origin and the gateway
// as child processes (this test binary standing in for rampart).
func TestGateway_benchProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	old := benchCommand
	t.Cleanup(func() { benchCommand = old })
	var mu sync.Mutex
	var started []*exec.Cmd
	benchCommand = func(ctx context.Context, args ...string) (*exec.Cmd, error) {
		c := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^TestGateway_helperProcess$", "--"}, args...)...)
		c.Env = append(os.Environ(), "RAMPART_TEST_HELPER=1")
		mu.Lock()
		started = append(started, c)
		mu.Unlock()
		return c, nil
	}
	out, _, err := runCmd(t, "gateway", "bench", "--processes", "--rate", "500", "--requests", "200", "--duration", "5s", "--concurrency", "8")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, " 200 ") != 4 || !strings.Contains(out, "three processes") {
		t.Fatalf("output:\n%s", out)
	}
	if len(started) != 2 {
		t.Fatalf("%d child processes, want 2 (origin, gateway)", len(started))
	}
	for _, c := range started {
		if c.ProcessState == nil || !c.ProcessState.Exited() {
			t.Errorf("%v still running after the bench: %v", c.Args, c.ProcessState)
		}
	}
}

// TestGateway_benchProcessesChildFails reports a child that exits before it
// listens, with what it said.
func TestGateway_benchProcessesChildFails(t *testing.T) {
	old := benchCommand
	t.Cleanup(func() { benchCommand = old })
	benchCommand = func(ctx context.Context, args ...string) (*exec.Cmd, error) {
		c := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestGateway_helperProcess$", "--", "gateway", "origin", "--addr", "256.0.0.1:0")
		c.Env = append(os.Environ(), "RAMPART_TEST_HELPER=1")
		return c, nil
	}
	// "exited before listening", not the 30 s wait's "did not start
	// listening": the exit was noticed (a time limit here would be a margin
	// a loaded machine eats).
	_, _, err := runCmd(t, "gateway", "bench", "--processes", "--requests", "10")
	if err == nil || !strings.Contains(err.Error(), "exited before listening") || !strings.Contains(err.Error(), "256.0.0.1") {
		t.Fatalf("err = %v", err)
	}
}
