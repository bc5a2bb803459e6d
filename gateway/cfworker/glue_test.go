package cfworker_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway/cfworker"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// The glue's own failures, in real workerd: what a request gets and what
// the log says when the start fails, the configuration is wrong, the glue
// throws, or the client leaves in the middle of a response.

const glueTestConfig = `{"routes":[{"name":"public","prefix":"/public","public":true},{"name":"api","prefix":"/"}]}`

// get sends a GET with the token (none when tok is "") and returns the
// status, the X-Request-Id and the body.
func get(t *testing.T, l *cfworker.Local, path, tok string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", l.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Request-Id"), string(b)
}

// logRecords returns the JSON records in out with msg.
func logRecords(t *testing.T, out, msg string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(out, "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == msg {
			recs = append(recs, r)
		}
	}
	return recs
}

// waitLog waits until out holds a record with msg and field = value.
func waitLog(t *testing.T, logs *testingutil.Buffer, msg, field string, value any) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, r := range logRecords(t, logs.String(), msg) {
			if r[field] == value {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q record with %s=%v in the Worker's output:\n%s", msg, field, value, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertErrorBody checks a JSON error body without a stack.
func assertErrorBody(t *testing.T, body, code, requestID string) {
	t.Helper()
	var e struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != code || e.Error.RequestID != requestID || requestID == "" {
		t.Errorf("body %s: want the JSON error %s with request id %q", body, code, requestID)
	}
	if strings.Contains(body, "worker.mjs") || strings.Contains(body, "    at ") || strings.Contains(body, "injected") {
		t.Errorf("the error body shows the glue's internals: %s", body)
	}
}

// startPatched serves the glue test configuration, with the glue's line
// old replaced by new and the Worker's output in logs.
func startPatched(t *testing.T, logs *testingutil.Buffer, old, new string) (*cfworker.Local, *gatewaytest.Seeded) {
	t.Helper()
	v, seeded := loadSeeded(t, glueTestConfig)
	origin := gatewaytest.NewOrigin(t)
	l := startWorkerWith(t, v, seeded, origin.URL, logs, &workerOptions{Patch: func(tb testing.TB, glue string) string {
		return mustPatch(tb, glue, old, new)
	}})
	return l, seeded
}

// TestWorker_moduleStartFails makes the start at module scope throw once
// (after Go has started, as a warm-up failure would): the isolate must not
// be poisoned; the first request starts a fresh runtime and every request
// is served.
func TestWorker_moduleStartFails(t *testing.T) {
	var logs testingutil.Buffer
	l, seeded := startPatched(t, &logs, "  if (fill) warmUp(warmupCount(moduleEnv?.GATEWAY_WARMUP));\n", "  if (fill) throw new Error(\"injected module-scope failure\");\n")
	for _, path := range []string{"/public/a", "/api/b", "/public/c"} {
		status, id, body := get(t, l, path, seeded.Tokens["root"])
		if status != 200 {
			t.Errorf("GET %s: %d %s, want 200", path, status, body)
		}
		waitLog(t, &logs, "access", "request_id", id)
	}
	out := logs.String()
	failed := logRecords(t, out, "gateway: start at module scope failed")
	if len(failed) != 1 || failed[0]["then"] != "starting in the first request" || !strings.Contains(failed[0]["error"].(string), "injected") {
		t.Errorf("want one record of the failed module-scope start, then a start in the first request:\n%s", out)
	}
	if n := len(logRecords(t, out, "gateway started")); n != 2 {
		t.Errorf("%d gateway started records, want 2 (module scope, then the first request):\n%s", n, out)
	}
}

// TestWorker_badConfig: a GATEWAY_CONFIG the core refuses answers every
// request with a JSON 503 and logs why, with the request id, starting Go
// once rather than per request.
func TestWorker_badConfig(t *testing.T) {
	v, seeded := loadSeeded(t, "")
	origin := gatewaytest.NewOrigin(t)
	var logs testingutil.Buffer
	l := startWorkerWith(t, v, seeded, origin.URL, &logs, &workerOptions{Vars: map[string]string{
		cfworker.ConfigVar: `{"routes":[{"name":"api","prefix":"/"}],"no_such_option":true}`,
	}})
	for range 2 {
		status, id, body := get(t, l, "/api/x", seeded.Tokens["root"])
		if status != 503 {
			t.Errorf("status %d, want 503", status)
		}
		assertErrorBody(t, body, "unavailable", id)
		r := waitLog(t, &logs, "gateway: not started", "request_id", id)
		if !strings.Contains(r["error"].(string), "GATEWAY_CONFIG") {
			t.Errorf("the log does not say the configuration is wrong: %v", r)
		}
	}
	if n := origin.Count(); n != 0 {
		t.Errorf("origin saw %d requests, want none", n)
	}
	if s := logs.String(); strings.Contains(s, `"msg":"gateway started"`) {
		t.Errorf("a gateway started with a bad configuration:\n%s", s)
	}
}

// TestWorker_glueThrows makes the glue throw after the core's decision:
// the client gets the gateway's JSON 500 with the request id and no
// stack, and the log one error record and the access record, with it.
func TestWorker_glueThrows(t *testing.T) {
	var logs testingutil.Buffer
	const at = "  const res = state.res = await decide(fields.join(\"\\0\"), env);\n"
	l, seeded := startPatched(t, &logs, at, at+"  if (res.forward?.path === \"/glue-throws\") throw new Error(\"injected glue failure\");\n")
	status, id, body := get(t, l, "/glue-throws", seeded.Tokens["root"])
	if status != 500 {
		t.Errorf("status %d, want 500", status)
	}
	assertErrorBody(t, body, "internal_error", id)
	rec := waitLog(t, &logs, "gateway: internal error", "request_id", id)
	if !strings.Contains(rec["error"].(string), "injected glue failure") {
		t.Errorf("error record %v does not name the failure", rec)
	}
	acc := waitLog(t, &logs, "access", "request_id", id)
	if acc["status"] != float64(500) || acc["error"] != "internal_error" {
		t.Errorf("access record %v: want status 500, error internal_error", acc)
	}
	if status, _, _ := get(t, l, "/public/after", ""); status != 200 {
		t.Errorf("the next request: %d, want 200", status)
	}
}

// TestWorker_clientLeavesMidResponse: the client reads part of a streamed
// response and hangs up. The access record must say the response was cut
// short (response_truncated, with the status sent), with an error record
// naming the cause, as natively.
func TestWorker_clientLeavesMidResponse(t *testing.T) {
	v, seeded := loadSeeded(t, glueTestConfig)
	chunk := strings.Repeat("x", 16<<10)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		for i := 0; i < 400; i++ { // ~6 MB over up to 20 s: far more than the client reads
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}))
	defer origin.Close()
	var logs testingutil.Buffer
	l := startWorkerWith(t, v, seeded, origin.URL, &logs, nil)

	req, _ := http.NewRequest("GET", l.URL+"/public/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	id := resp.Header.Get("X-Request-Id")
	if _, err := io.ReadFull(resp.Body, make([]byte, 32<<10)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // hangs up: the body is not read to its end

	acc := waitLog(t, &logs, "access", "request_id", id)
	if acc["status"] != float64(200) || acc["error"] != "response_truncated" || acc["level"] != "ERROR" {
		t.Errorf("access record %v: want status 200 (sent), error response_truncated, level ERROR", acc)
	}
	cut := waitLog(t, &logs, "gateway: response truncated", "request_id", id)
	if c, _ := cut["cause"].(string); c == "" {
		t.Errorf("truncation record %v names no cause", cut)
	}
	t.Logf("truncation record: %v", cut)
}

// TestWorker_goRuntimeExits kills the Go runtime in a request (an
// allocation it cannot survive: a fatal error, which Go cannot recover
// from): that request gets the JSON 500, and the next one a fresh runtime
// rather than the dead one.
func TestWorker_goRuntimeExits(t *testing.T) {
	var logs testingutil.Buffer
	const at = "  const u = splitURL(request.url);\n"
	l, seeded := startPatched(t, &logs, at, at+"  if (u.path === \"/go-exits\") wasmExports.rampartBuffer(-1);\n")
	if status, _, body := get(t, l, "/public/before", ""); status != 200 {
		t.Fatalf("before: %d %s", status, body)
	}
	status, id, body := get(t, l, "/go-exits", "")
	if status != 500 {
		t.Errorf("the request that kills Go: %d, want 500", status)
	}
	assertErrorBody(t, body, "internal_error", id)
	waitLog(t, &logs, "gateway: internal error; the Go runtime exited, the next request starts it again", "request_id", id)
	for _, path := range []string{"/public/after", "/api/after"} {
		if status, _, body := get(t, l, path, seeded.Tokens["root"]); status != 200 {
			t.Errorf("GET %s after the runtime exited: %d %s, want 200", path, status, body)
		}
	}
	if n := len(logRecords(t, logs.String(), "gateway started")); n != 2 {
		t.Errorf("%d gateway started records, want 2 (module scope, then after the exit):\n%s", n, logs.String())
	}
}

// TestWorker_warmupCount: GATEWAY_WARMUP sets the module-scope warm-up's
// size; 0 skips it (the shortest start-up) and the gateway still serves
// both routes; a value that is not a count is logged once, at start, and
// the default is used.
func TestWorker_warmupCount(t *testing.T) {
	v, seeded := loadSeeded(t, glueTestConfig)
	origin := gatewaytest.NewOrigin(t)
	for value, warns := range map[string]bool{"0": false, "lots": true} {
		t.Run(value, func(t *testing.T) {
			var logs testingutil.Buffer
			l := startWorkerWith(t, v, seeded, origin.URL, &logs, &workerOptions{Vars: map[string]string{cfworker.WarmupVar: value}})
			for _, path := range []string{"/public/x", "/api/x"} {
				if status, _, body := get(t, l, path, seeded.Tokens["root"]); status != 200 {
					t.Errorf("%s: status %d: %s", path, status, body)
				}
			}
			waitLog(t, &logs, "access", "path", "/api/x")
			out := logs.String()
			if strings.Contains(out, "start at module scope failed") || !strings.Contains(out, `"msg":"gateway started"`) {
				t.Errorf("Go did not start at module scope:\n%s", out)
			}
			recs := logRecords(t, out, "gateway: GATEWAY_WARMUP is not a count from 0 to 4000; warming up with the default")
			if warns && (len(recs) != 1 || recs[0]["value"] != value) || !warns && len(recs) != 0 {
				t.Errorf("GATEWAY_WARMUP=%q: warnings %v\n%s", value, recs, out)
			}
			warmed := logRecords(t, out, "gateway warmed up")
			if want := map[string]int{"0": 0, "lots": 2000}[value]; want == 0 && len(warmed) != 0 || want != 0 && (len(warmed) != 1 || warmed[0]["requests"] != float64(want)) {
				t.Errorf("GATEWAY_WARMUP=%q: warm-up records %v, want %d requests warmed up\n%s", value, warmed, want, out)
			}
		})
	}
}

// TestWorker_varsOfOtherKinds: wrangler passes a var written as a number
// (GATEWAY_WARMUP = 0 unquoted in wrangler.toml) or as an object (vars in
// wrangler.json) to the Worker as a JavaScript number or object. A number
// of warm-up requests is that count; a GATEWAY_CONFIG object is the policy
// (never silently the defaults); a number where text must be is refused
// with a logged reason, never used.
func TestWorker_varsOfOtherKinds(t *testing.T) {
	v, seeded := loadSeeded(t, glueTestConfig)
	origin := gatewaytest.NewOrigin(t)
	serve := func(t *testing.T, logs *testingutil.Buffer, vars map[string]string) *cfworker.Local {
		t.Helper()
		j := map[string]json.RawMessage{}
		for k, val := range vars {
			j[k] = json.RawMessage(val)
		}
		return startWorkerWith(t, v, seeded, origin.URL, logs, &workerOptions{JSONVars: j})
	}
	t.Run("number and object", func(t *testing.T) {
		var logs testingutil.Buffer
		l := serve(t, &logs, map[string]string{cfworker.WarmupVar: "0", cfworker.ConfigVar: glueTestConfig})
		// The object's public route: under the defaults it would need a token.
		if status, _, body := get(t, l, "/public/x", ""); status != 200 {
			t.Errorf("/public/x without a token: status %d, want 200 (GATEWAY_CONFIG's object not used): %s", status, body)
		}
		if status, _, _ := get(t, l, "/api/x", ""); status != 401 {
			t.Errorf("/api/x without a token: status %d, want 401", status)
		}
		waitLog(t, &logs, "access", "path", "/api/x")
		out := logs.String()
		if len(logRecords(t, out, "gateway started")) != 1 || len(logRecords(t, out, "gateway warmed up")) != 0 {
			t.Errorf("GATEWAY_WARMUP = 0 (a number) is not a start at module scope without warm-up:\n%s", out)
		}
		if strings.Contains(out, "GATEWAY_WARMUP is not a count") {
			t.Errorf("GATEWAY_WARMUP = 0 (a number) refused:\n%s", out)
		}
	})
	t.Run("number for config", func(t *testing.T) {
		var logs testingutil.Buffer
		l := serve(t, &logs, map[string]string{cfworker.ConfigVar: "42"})
		status, id, body := get(t, l, "/public/x", "")
		if status != 503 {
			t.Errorf("status %d, want 503: %s", status, body)
		}
		assertErrorBody(t, body, "unavailable", id)
		r := waitLog(t, &logs, "gateway: not started", "request_id", id)
		if e, _ := r["error"].(string); !strings.Contains(e, "GATEWAY_CONFIG: want a JSON object") || !strings.Contains(e, "number") {
			t.Errorf("logged error %q, want why GATEWAY_CONFIG = 42 is refused", e)
		}
	})
	t.Run("numbers for origin and seed", func(t *testing.T) {
		var logs testingutil.Buffer
		l := serve(t, &logs, map[string]string{cfworker.OriginVar: "8080", cfworker.SeedVar: "1234567890123456789012345678901234567890"})
		status, id, body := get(t, l, "/public/x", "")
		if status != 500 {
			t.Errorf("status %d, want 500: %s", status, body)
		}
		assertErrorBody(t, body, "internal_error", id)
		r := waitLog(t, &logs, "gateway: ORIGIN (a URL string), TOKENS or RATE_LIMITER binding missing", "request_id", id)
		if r["origin_type"] != "number" {
			t.Errorf("record %v: want origin_type number", r)
		}
		recs := logRecords(t, logs.String(), "gateway: GATEWAY_SEED is not at least 32 bytes in hex; Go starts in the first request of each isolate")
		if len(recs) != 1 || recs[0]["seed_type"] != "number" {
			t.Errorf("GATEWAY_SEED as a number: records %v, want one saying so\n%s", recs, logs.String())
		}
		if strings.Contains(logs.String(), "12345678901234567890") {
			t.Errorf("the seed's value is in the log:\n%s", logs.String())
		}
	})
}

// TestWorker_requestIDs: request ids are 32 hex digits and never repeat,
// in one isolate and between isolates started from the same GATEWAY_SEED
// (each id is drawn with crypto.getRandomValues in its request); an id the
// glue failed to draw is read from crypto/rand, never left to repeat.
func TestWorker_requestIDs(t *testing.T) {
	v, seeded := loadSeeded(t, glueTestConfig)
	origin := gatewaytest.NewOrigin(t)
	seed := testSeed(t)
	seen := map[string]string{}
	for _, name := range []string{"isolate 1", "isolate 2", "no draws"} {
		var logs testingutil.Buffer
		opts := &workerOptions{Vars: map[string]string{cfworker.SeedVar: seed}}
		if name == "no draws" {
			opts.Patch = func(tb testing.TB, glue string) string {
				return mustPatch(tb, glue, "else crypto.getRandomValues(idBytes);", "")
			}
		}
		l := startWorkerWith(t, v, seeded, origin.URL, &logs, opts)
		for i := range 10 {
			status, id, body := get(t, l, "/public/x", "")
			if status != 200 || len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
				t.Fatalf("%s, request %d: status %d, X-Request-Id %q, want 200 and 32 hex digits: %s", name, i, status, id, body)
			}
			if other, ok := seen[id]; ok {
				t.Fatalf("%s, request %d: X-Request-Id %s repeats one of %s", name, i, id, other)
			}
			seen[id] = name
		}
	}
}
