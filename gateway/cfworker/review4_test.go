package cfworker_test

// review4: a hostile review of the Worker's start and first requests, in
// real workerd.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/cfworker"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// The tokens cmd/gatewayworker's warm-up decides at module scope (public
// in the source): its record grants every scope with no practical limit.
const (
	r4WarmupToken  = "rpt_warmup0000000000_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	r4UnknownToken = "rpt_unknown000000000_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
)

// TestReview4_workerWarmupLeavesNothing starts two isolates with the same
// GATEWAY_SEED (the runtime's randomness at module scope is the same in
// both) and the default warm-up, and checks that nothing of the warm-up
// reaches a real request: the warm-up's token is no token of the
// isolate's (not even in its first request, nor once the isolate has
// served one), the warm-up decides no access record the isolate prints,
// and request ids differ between the isolates and from the warm-up's own
// fixed ones.
func TestReview4_workerWarmupLeavesNothing(t *testing.T) {
	needHarness(t) // here: the workers start in goroutines of their own
	v, seeded := loadSeeded(t, "")
	origin := gatewaytest.NewOrigin(t)
	seed := testSeed(t)
	var logs [2]testingutil.Buffer
	var ls [2]*cfworker.Local
	var wg sync.WaitGroup
	for i := range ls {
		wg.Go(func() {
			ls[i] = startWorkerWith(t, v, seeded, origin.URL, &logs[i], &workerOptions{Vars: map[string]string{cfworker.SeedVar: seed}})
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// The warm-up's ids are fixed (no randomness at module scope): "warm"
	// and zeros from Go, 16 times 1 or 2 from the glue.
	warmIDs := map[string]bool{
		hex.EncodeToString([]byte("warm\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")): true,
		strings.Repeat("01", 16): true, strings.Repeat("02", 16): true, strings.Repeat("00", 16): true,
	}
	ids := map[string]int{}
	for i, l := range ls {
		for k, tok := range []string{r4WarmupToken, r4UnknownToken, r4WarmupToken, seeded.Tokens["alice"], r4WarmupToken} {
			for _, path := range []string{"/api/items", "/admin/x"} {
				status, id, body := get(t, l, path, tok)
				want := 401
				if tok == seeded.Tokens["alice"] {
					want = map[string]int{"/api/items": 200, "/admin/x": 403}[path]
				}
				if status != want {
					t.Errorf("isolate %d, request %d %s: status %d %s, want %d", i, k, path, status, body, want)
				}
				if warmIDs[id] {
					t.Errorf("isolate %d: request id %s is one of the warm-up's fixed ids", i, id)
				}
				if j, ok := ids[id]; ok {
					t.Errorf("isolates %d and %d both gave request id %s", j, i, id)
				}
				ids[id] = i
			}
		}
	}
	if n := origin.Count(); n != 2 {
		t.Errorf("origin saw %d requests, want 2 (alice's, one per isolate)", n)
	}
	for i := range ls {
		waitLog(t, &logs[i], "access", "request_id", func() string {
			for id, j := range ids {
				if j == i {
					return id
				}
			}
			return ""
		}())
		ls[i].Close()
		out := logs[i].String()
		// (The requests above carry the warm-up's token ids: the records
		// name them.)
		for _, s := range []string{`"tenant":"warmup"`, `"route":"warmup`, "192.0.2.1", "warmup.invalid", `"path":"/warmup`, `"path":"/public/warmup`} {
			if strings.Contains(out, s) {
				t.Errorf("isolate %d's output mentions the warm-up's %q:\n%s", i, s, out)
			}
		}
		if n := len(logRecords(t, out, "access")); n != 10 {
			t.Errorf("isolate %d printed %d access records, want its 10:\n%s", i, n, out)
		}
	}
	_ = http.StatusOK
	for i := range ls {
		for _, r := range logRecords(t, logs[i].String(), "access") {
			if r["token_id"] == "warmup0000000000" && r["auth_error"] != "unknown_id" {
				t.Errorf("isolate %d: the warm-up token was refused as %v, want unknown_id (no such record in KV)", i, r["auth_error"])
			}
		}
	}
}

// TestReview4_workerStreamsPastTheTimeout: Config.Timeout bounds the
// origin's answer up to its header; a body that keeps moving streams for
// as long as it moves (issue 17 item 2, as natively:
// TestHandler_slowReaderIsNotCutAtTheTimeout). The origin answers at once
// and sends its body in 12 parts 100 ms apart, with a 400 ms timeout: the
// client must get the whole body and the access record say 200, no
// response_truncated (the glue's AbortSignal.timeout cut it until
// cdeb27c).
func TestReview4_workerStreamsPastTheTimeout(t *testing.T) {
	v, seeded := loadSeeded(t, `{"routes":[{"name":"api","prefix":"/"}],"timeout":"400ms"}`)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(200)
		for i := range 12 {
			fmt.Fprintf(w, "part%02d;", i)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	defer origin.Close()
	var logs testingutil.Buffer
	l := startWorker(t, v, seeded, origin.URL, &logs)
	req, _ := http.NewRequest("GET", l.URL+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+seeded.Tokens["root"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := 12 * len("part00;"); resp.StatusCode != 200 || len(body) != want || err != nil {
		t.Errorf("status %d, %d bytes (%v), want 200 and %d bytes: %q", resp.StatusCode, len(body), err, want, body)
	}
	acc := waitLog(t, &logs, "access", "path", "/stream")
	if acc["status"] != float64(200) || acc["error"] != nil {
		t.Errorf("access record %v, want status 200 without error", acc)
	}
	if strings.Contains(logs.String(), "response truncated") {
		t.Errorf("the Worker logged the streamed body as truncated:\n%s", logs.String())
	}
}

// TestReview4_workerVectors runs review4's cases
// (gateway/testdata/review4_vectors.json; natively: httpproxy's
// TestReview4_vectors) in workerd, and on the same Worker:
//
//   - underscoreTwins (httpproxy's TestReview4_underscoreTwinsOfGatewayFields):
//     no forwarded field shares its CGI name (PHP, WSGI, Rack: "-" is "_")
//     with another, and none of the gateway's own comes from the client
//     (fixed in 07722d2);
//   - httpoxy (httpproxy's TestReview4_httpoxy): the client's Proxy field
//     never reaches the origin (f0cb457);
//   - refusalReasons (httpproxy's TestReview4_refusalReasonsAreLoggedNotSent):
//     a revoked, expired, wrong-secret or unknown token gets invalid_token
//     and nothing more; the access record names the reason and the token id.
func TestReview4_workerVectors(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	mine, err := gatewaytest.Load(filepath.Join(filepath.Dir(gatewaytest.Path()), "review4_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	v.Cases = mine.Cases
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	var logs testingutil.Buffer
	l := startWorker(t, v, seeded, origin.URL, &logs)
	gatewaytest.Run(t, v, gatewaytest.Target{Name: "worker", URL: l.URL, Origin: origin, Client: "127.0.0.1", Seeded: seeded})
	t.Run("underscoreTwins", func(t *testing.T) {
		req, _ := http.NewRequest("GET", l.URL+"/api/twins", nil)
		req.Header.Set("Authorization", "Bearer "+seeded.Tokens["alice"])
		for _, k := range []string{"X-Rampart_Tenant", "X-Rampart-Token_Id", "X_Forwarded_For", "X-Forwarded_Host", "X-Request_Id", "X_Real_Ip", "Cf_Connecting_Ip"} {
			req.Header[k] = []string{"spoofed"}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		seen, ok := origin.Seen(resp.Header.Get("X-Request-Id"))
		if resp.StatusCode != 200 || !ok {
			t.Fatalf("status %d, origin saw it: %v", resp.StatusCode, ok)
		}
		byCGI := map[string][]string{}
		for k, vs := range seen.Header {
			name := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
			byCGI[name] = append(byCGI[name], k+": "+strings.Join(vs, ","))
			for _, v := range vs {
				if v == "spoofed" {
					t.Errorf("origin got the client's %s: %q (%s to a CGI-style origin)", k, v, name)
				}
			}
		}
		for name, fields := range byCGI {
			if len(fields) > 1 {
				t.Errorf("origin fields %q are one field, %s, to a CGI-style origin", fields, name)
			}
		}
	})
	t.Run("httpoxy", func(t *testing.T) {
		req, _ := http.NewRequest("GET", l.URL+"/api/httpoxy", nil)
		req.Header.Set("Authorization", "Bearer "+seeded.Tokens["alice"])
		req.Header.Set("Proxy", "http://evil.example:3128")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		seen, ok := origin.Seen(resp.Header.Get("X-Request-Id"))
		if resp.StatusCode != 200 || !ok {
			t.Fatalf("status %d, origin saw it: %v", resp.StatusCode, ok)
		}
		if v := seen.Header.Values("Proxy"); len(v) > 0 {
			t.Errorf("origin got the client's Proxy field %q (HTTP_PROXY to a CGI origin: httpoxy, CVE-2016-5385)", v)
		}
	})
	t.Run("refusalReasons", func(t *testing.T) {
		unknown, unknownID, err := gateway.GenerateToken(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		alice := seeded.Tokens["alice"]
		wrong := alice[:len(alice)-4] + "AAAA"
		if wrong == alice {
			wrong = alice[:len(alice)-4] + "BBBB"
		}
		for _, c := range []struct{ name, tok, id, reason string }{
			{"revoked", seeded.Tokens["revoked"], seeded.Records["revoked"].ID, gateway.AuthRevoked},
			{"expired", seeded.Tokens["expired"], seeded.Records["expired"].ID, gateway.AuthExpired},
			{"wrong secret", wrong, seeded.Records["alice"].ID, gateway.AuthWrongSecret},
			{"unknown id", unknown, unknownID, gateway.AuthUnknownID},
		} {
			status, id, body := get(t, l, "/api/r4-"+strings.ReplaceAll(c.name, " ", "-"), c.tok)
			if status != 401 || !strings.Contains(body, `"code":"invalid_token"`) || strings.Contains(body, c.reason) {
				t.Errorf("%s: %d %q, want 401 invalid_token without the reason", c.name, status, body)
			}
			rec := waitLog(t, &logs, "access", "request_id", id)
			if rec["auth_error"] != c.reason || rec["token_id"] != c.id || rec["status"] != float64(401) {
				t.Errorf("%s: access record auth_error %v token_id %v status %v, want %s %s 401", c.name, rec["auth_error"], rec["token_id"], rec["status"], c.reason, c.id)
			}
			if _, secret, _ := gateway.ParseToken(c.tok); strings.Contains(logs.String(), secret) {
				t.Errorf("%s: the token's secret is in the Worker's output", c.name)
			}
		}
	})
	if t.Failed() {
		t.Logf("worker output:\n%s", logs.String())
	}
}
