package cfworker_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/cfworker"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/internal/testingutil"
)

func repoRoot(tb testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// startWorker builds the Worker and serves it in workerd with the vectors'
// tokens in KV and the configuration from wrangler.toml, pointed at origin.
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// TestMain removes the shared Worker build.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// MustBuild builds the Worker bundle once per test binary and returns its
// folder.
func MustBuild(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "rampart-worker-")
		if buildErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			buildErr = cfworker.Build(ctx, repoRoot(tb), buildDir)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildDir
}

func startWorker(t testing.TB, v *gatewaytest.Vectors, seeded *gatewaytest.Seeded, origin string, logs *testingutil.Buffer) *cfworker.Local {
	t.Helper()
	return startWorkerWith(t, v, seeded, origin, logs, nil)
}

// workerOptions change what startWorkerWith serves.
type workerOptions struct {
	// Patch rewrites the built glue (worker.mjs) before it is served: how a
	// test makes the glue fail where nothing outside it can.
	Patch func(tb testing.TB, glue string) string
	// Vars override the variables startWorker sets; JSONVars override
	// those with JSON values (a number, an object).
	Vars     map[string]string
	JSONVars map[string]json.RawMessage
}

// mustPatch returns s with old replaced by new, failing when old is not in
// s exactly once (the glue changed under the test).
func mustPatch(tb testing.TB, s, old, new string) string {
	tb.Helper()
	if n := strings.Count(s, old); n != 1 {
		tb.Fatalf("patching the glue: %q occurs %d times, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// needHarness skips t (fails it in CI) unless node and Miniflare are
// installed, and returns node's path. Call it in the test's goroutine:
// a skip in another one does not stop the test.
func needHarness(t testing.TB) string {
	t.Helper()
	node := testenv.Command(t, "node")
	if _, err := os.Stat(filepath.Join(repoRoot(t), "deploy", "cloudflare", "node_modules", "miniflare")); err != nil {
		testenv.Missing(t, "deploy/cloudflare/node_modules is missing; run the tests with `make test` (it runs npm ci)")
	}
	return node
}

func startWorkerWith(t testing.TB, v *gatewaytest.Vectors, seeded *gatewaytest.Seeded, origin string, logs *testingutil.Buffer, opts *workerOptions) *cfworker.Local {
	t.Helper()
	if opts == nil {
		opts = &workerOptions{}
	}
	node := needHarness(t)
	root := repoRoot(t)
	cfg, err := cfworker.Load(filepath.Join(root, "deploy", "cloudflare", "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dist := MustBuild(t)
	var seed []cfworker.KVPair
	for _, r := range seeded.Records {
		b, _ := json.Marshal(r)
		seed = append(seed, cfworker.KVPair{Key: r.ID, Value: string(b)})
	}
	// Each server gets its own copy: Serve writes the KV seed next to it.
	own := t.TempDir()
	for _, f := range []string{"gateway.wasm", "wasm_exec.js", "worker.mjs"} {
		b, err := os.ReadFile(filepath.Join(dist, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "worker.mjs" && opts.Patch != nil {
			b = []byte(opts.Patch(t, string(b)))
		}
		if err := os.WriteFile(filepath.Join(own, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dist = own
	vars := map[string]string{cfworker.OriginVar: origin, cfworker.ConfigVar: string(v.Config), cfworker.SeedVar: testSeed(t)}
	for k, val := range opts.Vars {
		vars[k] = val
	}
	l, err := cfworker.Serve(ctx, &cfworker.ServeOptions{
		Node: node, Root: root, Dist: dist, Config: cfg, Seed: seed, Output: logs, Vars: vars, JSONVars: opts.JSONVars,
	})
	if err != nil {
		t.Fatalf("serve: %v\n%s", err, logs)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// loadSeeded loads the test vectors, with config (JSON) as their
// GATEWAY_CONFIG unless it is "", and seeds their tokens now.
func loadSeeded(t *testing.T, config string) (*gatewaytest.Vectors, *gatewaytest.Seeded) {
	t.Helper()
	v := gatewaytest.MustLoad(t)
	if config != "" {
		v.Config = json.RawMessage(config)
	}
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return v, seeded
}

// testSeed returns a fresh GATEWAY_SEED.
func testSeed(tb testing.TB) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

func TestWorker_vectors(t *testing.T) {
	v, seeded := loadSeeded(t, "")
	origin := gatewaytest.NewOrigin(t)
	var logs testingutil.Buffer
	l := startWorker(t, v, seeded, origin.URL, &logs)
	t.Logf("workerd ready in %v at %s", l.Startup, l.URL)
	gatewaytest.Run(t, v, gatewaytest.Target{Name: "worker", URL: l.URL, Origin: origin, Client: "127.0.0.1", Seeded: seeded})

	l.Close()
	out := logs.String()
	if t.Failed() {
		t.Logf("worker output:\n%s", out)
	}
	for name, tok := range seeded.Tokens {
		if strings.Contains(out, tok) {
			t.Errorf("token %s appears in the Worker's logs", name)
		}
	}
	if !strings.Contains(out, `"msg":"access"`) || !strings.Contains(out, `"token_id":"`+seeded.Records["alice"].ID+`"`) {
		t.Errorf("no access log with alice's token id in the Worker's output:\n%s", out)
	}
	// Go starts at module scope (GATEWAY_SEED is set) and logs its start
	// there, so that the isolate's first console.log is not paid by the
	// first request: the record comes before any access record.
	if strings.Contains(out, "start at module scope failed") {
		t.Errorf("Go did not start at module scope:\n%s", out)
	}
	started, access := strings.Index(out, `"msg":"gateway started"`), strings.Index(out, `"msg":"access"`)
	if started < 0 || access >= 0 && started > access {
		t.Errorf("no start record before the first access record in the Worker's output:\n%s", out)
	}
}

// TestWorker_limiterExactUnderConcurrency floods one token from concurrent
// clients through workerd: its Durable Object serialises the decisions, so
// exactly the burst passes (the rate adds one request an hour).
func TestWorker_limiterExactUnderConcurrency(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	const burst = 12
	v.Tokens["crowd"] = gatewaytest.TokenSpec{Tenant: "crowd", Scopes: []string{"read"}, Rate: 1, Period: gateway.Duration(time.Hour), Burst: burst}
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	var logs testingutil.Buffer
	l := startWorker(t, v, seeded, origin.URL, &logs)
	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 6 {
				req, _ := http.NewRequest("GET", l.URL+"/api/crowd", nil)
				req.Header.Set("Authorization", "Bearer "+seeded.Tokens["crowd"])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					ok.Add(1)
				case 429:
					limited.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != burst || limited.Load() != 48-burst || other.Load() != 0 {
		t.Fatalf("%d allowed, %d limited, %d other; want exactly %d allowed of 48", ok.Load(), limited.Load(), other.Load(), burst)
	}
	if n := origin.Count(); n != burst {
		t.Fatalf("origin saw %d requests, want %d", n, burst)
	}
}

// TestWorker_originFailuresAndStreamedBody checks what the glue itself
// enforces: the origin timeout (504), an unreachable origin is not needed
// here, and a streamed body over the limit (413) that no Content-Length
// announced.
func TestWorker_originFailuresAndStreamedBody(t *testing.T) {
	v, seeded := loadSeeded(t, `{"routes":[{"name":"api","prefix":"/"}],"timeout":"300ms","max_body_bytes":1024}`)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			// The header at once, then the body for longer than the
			// timeout: the deadline is the answer's, not the body's.
			for i := range 8 {
				fmt.Fprintf(w, "part %d\n", i)
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
			return
		}
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
			return
		}
		io.Copy(io.Discard, r.Body)
	}))
	defer origin.Close()
	var logs testingutil.Buffer
	l := startWorker(t, v, seeded, origin.URL, &logs)

	do := func(method, path string, body io.Reader) (int, string) {
		req, _ := http.NewRequest(method, l.URL+path, body)
		req.Header.Set("Authorization", "Bearer "+seeded.Tokens["root"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := do("GET", "/slow", nil); status != 504 || !strings.Contains(body, `"upstream_timeout"`) {
		t.Errorf("slow origin: %d %s, want 504 upstream_timeout", status, body)
	}
	if status, body := do("GET", "/stream", nil); status != 200 || body != "part 0\npart 1\npart 2\npart 3\npart 4\npart 5\npart 6\npart 7\n" {
		t.Errorf("body streamed past the timeout: %d %q, want 200 and all 8 parts", status, body)
	}
	if r := waitLog(t, &logs, "access", "path", "/stream"); r["status"] != float64(200) || r["error"] != nil {
		t.Errorf("access record of the streamed body: %v, want status 200 and no error", r)
	}
	// An io.Reader that is not a bytes/strings reader makes the client send
	// the body chunked, with no Content-Length.
	big := io.MultiReader(strings.NewReader(strings.Repeat("x", 8192)))
	if status, body := do("POST", "/upload", big); status != 413 || !strings.Contains(body, `"body_too_large"`) {
		t.Errorf("streamed body over the limit: %d %s, want 413 body_too_large", status, body)
	}
	small := io.MultiReader(strings.NewReader(strings.Repeat("x", 512)))
	if status, body := do("POST", "/upload", small); status != 200 {
		t.Errorf("streamed body under the limit: %d %s, want 200", status, body)
	}
	if t.Failed() {
		t.Logf("worker output:\n%s", logs.String())
	}
}

// TestWorker_clientCutsStreamedBody sends a chunked body (no
// Content-Length, so the glue reads it before calling the origin) and
// closes the connection halfway: the request must still get its access
// record, 499 as natively, and not stay pending in the Go side forever.
func TestWorker_clientCutsStreamedBody(t *testing.T) {
	v, seeded := loadSeeded(t, `{"routes":[{"name":"api","prefix":"/"}]}`)
	origin := gatewaytest.NewOrigin(t)
	var logs testingutil.Buffer
	l := startWorker(t, v, seeded, origin.URL, &logs)
	u, _ := url.Parse(l.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST /cut HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n",
		u.Host, seeded.Tokens["root"])
	// The glue must be reading the body when the connection goes; no
	// event says so from outside, so give it a moment.
	time.Sleep(300 * time.Millisecond)
	c.Close()
	acc := waitLog(t, &logs, "access", "path", "/cut")
	if acc["status"] != float64(499) || acc["error"] != "upstream_error" {
		t.Errorf("access record %v of the cut request: want status 499, error upstream_error", acc)
	}
	if n := origin.Count(); n != 0 {
		t.Errorf("origin saw %d requests, want none", n)
	}
}
