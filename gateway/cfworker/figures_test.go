package cfworker_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway/cfworker"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// MaxWasmGzip is the budget for gateway.wasm gzipped.
const MaxWasmGzip = 1536 << 10

func wasmSizes(tb testing.TB) (raw, gz int) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(MustBuild(tb), "gateway.wasm"))
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return len(b), buf.Len()
}

func TestWorker_wasmSize(t *testing.T) {
	raw, gz := wasmSizes(t)
	t.Logf("gateway.wasm: %d bytes raw, %d bytes gzipped", raw, gz)
	if gz > MaxWasmGzip {
		t.Fatalf("gateway.wasm is %d bytes gzipped, over the %d budget", gz, MaxWasmGzip)
	}
}

// BenchmarkWorker_request measures requests through workerd on loopback:
// token lookup in KV, the token's Durable Object, and the origin fetch. It
// also reports workerd's start-up and the first request, which includes
// instantiating the Go runtime in a fresh isolate.
func BenchmarkWorker_request(b *testing.B) {
	v := gatewaytest.MustLoad(b)
	v.Tokens["bench"] = gatewaytest.TokenSpec{Tenant: "bench", Scopes: []string{"*"}, Rate: 1 << 30, Burst: 1 << 30}
	seeded, err := v.Seed(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(b)
	var logs testingutil.Buffer
	l := startWorker(b, v, seeded, origin.URL, &logs)
	req := func() time.Duration {
		r, _ := http.NewRequest("GET", l.URL+"/api/bench", nil)
		r.Header.Set("Authorization", "Bearer "+seeded.Tokens["bench"])
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(t0)
	}
	first := req()
	b.ResetTimer()
	for b.Loop() {
		req()
	}
	b.ReportMetric(float64(first.Microseconds())/1000, "first-request-wall-ms")
	b.ReportMetric(float64(l.Startup.Milliseconds()), "workerd-start-ms")
}

// BenchmarkWorker_cpu runs deploy/cloudflare/test/workerd-cpu.mjs: the
// Worker's CPU inside workerd, as the workerd process's CPU time, against
// trivial JavaScript Workers in the same Miniflare setup, in fresh workerd
// processes, interleaved (see the script). It reports the medians over the
// rounds: the CPU the Go core and its glue add per request on a token
// route (storage measured separately and subtracted) and on a public one,
// the storage's own CPU, the first request of a fresh isolate, and the
// start-up (module scope included; all threads, and the main thread).
//
//	go test -run '^$' -bench Worker_cpu -benchtime 1x ./gateway/cfworker
func BenchmarkWorker_cpu(b *testing.B) {
	node := testenv.Command(b, "node")
	cfg, err := cfworker.Load(filepath.Join(repoRoot(b), "deploy", "cloudflare", "wrangler.toml"))
	if err != nil {
		b.Fatal(err)
	}
	dist := MustBuild(b)
	type scenario struct {
		First      float64 `json:"first_request_cpu_ms"`
		FirstMain  float64 `json:"first_request_main_thread_ms"`
		CPU        float64 `json:"cpu_us_per_request"`
		StartupCPU float64 `json:"startup_cpu_ms"`
		// StartupMain is the start-up's CPU on workerd's main thread, where
		// the module scope runs.
		StartupMain float64 `json:"startup_main_thread_ms"`
	}
	type round struct {
		Gateway     scenario `json:"gateway"`
		Public      scenario `json:"gateway-public"`
		Trivial     scenario `json:"trivial"`
		Storage     scenario `json:"trivial-storage"`
		Added       float64  `json:"added_us_per_request"`
		AddedPublic float64  `json:"added_public_us_per_request"`
		StorageCPU  float64  `json:"storage_us_per_request"`
	}
	var out struct {
		Rounds []round   `json:"rounds"`
		Load   []float64 `json:"load_before"`
	}
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		cmd := exec.CommandContext(ctx, node, filepath.Join("test", "workerd-cpu.mjs"), dist, cfworker.HarnessOptions(cfg, nil), "300", "3")
		cmd.Dir = filepath.Join(repoRoot(b), "deploy", "cloudflare")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		res, err := cmd.Output()
		cancel()
		if err != nil {
			b.Fatalf("%v\n%s", err, stderr.Bytes()[max(0, stderr.Len()-4000):])
		}
		if err := json.Unmarshal(res, &out); err != nil {
			b.Fatalf("%v: %s", err, res)
		}
		b.Logf("%s", res)
	}
	med := func(f func(round) float64) float64 {
		var v []float64
		for _, r := range out.Rounds {
			v = append(v, f(r))
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	b.ReportMetric(med(func(r round) float64 { return r.Added }), "added-µs/req")
	b.ReportMetric(med(func(r round) float64 { return r.AddedPublic }), "added-public-µs/req")
	b.ReportMetric(med(func(r round) float64 { return r.StorageCPU }), "storage-µs/req")
	b.ReportMetric(med(func(r round) float64 { return r.Gateway.FirstMain }), "first-request-ms")
	b.ReportMetric(med(func(r round) float64 { return r.Public.FirstMain }), "first-public-request-ms")
	b.ReportMetric(med(func(r round) float64 { return r.Trivial.FirstMain }), "first-trivial-request-ms")
	b.ReportMetric(med(func(r round) float64 { return r.Gateway.StartupCPU }), "startup-ms")
	b.ReportMetric(med(func(r round) float64 { return r.Gateway.StartupMain }), "startup-main-thread-ms")
}
