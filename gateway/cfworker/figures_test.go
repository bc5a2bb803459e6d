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
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway/cfworker"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/internal/testenv"
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
	var logs lockedBuffer
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
	b.ReportMetric(float64(first.Microseconds())/1000, "first-request-ms")
	b.ReportMetric(float64(l.Startup.Milliseconds()), "workerd-start-ms")
}

// BenchmarkWorker_coreCPU runs deploy/cloudflare/test/cpu.mjs: the Go core
// in V8 (Node) with in-process bindings, reporting process CPU time per
// request, the Go runtime's start in a new isolate, and the wasm size.
func BenchmarkWorker_coreCPU(b *testing.B) {
	node := testenv.Command(b, "node")
	dist := MustBuild(b)
	raw, gz := wasmSizes(b)
	var last struct {
		CPU   float64 `json:"cpu_us_per_request"`
		Start float64 `json:"start_ms"`
		First float64 `json:"first_request_ms"`
	}
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, node, filepath.Join(repoRoot(b), "deploy", "cloudflare", "test", "cpu.mjs"), dist, "3000").Output()
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(out, &last); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
	b.ReportMetric(last.CPU, "cpu-µs/req")
	b.ReportMetric(last.Start, "go-start-ms")
	b.ReportMetric(last.First, "first-request-ms")
	b.ReportMetric(float64(raw), "wasm-bytes")
	b.ReportMetric(float64(gz), "wasm-gzip-bytes")
}

// BenchmarkWorker_profile profiles the Worker inside workerd with V8's
// sampling profiler (deploy/cloudflare/test/cpuprofile.mjs). The samples are
// wall-clock: on an idle machine they approximate CPU time, on a busy one
// they overstate it by the time the isolate's thread waited for a core.
func BenchmarkWorker_profile(b *testing.B) {
	node := testenv.Command(b, "node")
	cfg, err := cfworker.Load(filepath.Join(repoRoot(b), "deploy", "cloudflare", "wrangler.toml"))
	if err != nil {
		b.Fatal(err)
	}
	dist := MustBuild(b)
	var last struct {
		Busy float64 `json:"cpu_us_per_request"`
		Go   float64 `json:"go_us_per_request"`
	}
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, node, filepath.Join("test", "cpuprofile.mjs"), dist, cfworker.HarnessOptions(cfg, nil), "300")
		cmd.Dir = filepath.Join(repoRoot(b), "deploy", "cloudflare")
		out, err := cmd.Output()
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(out, &last); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
	b.ReportMetric(last.Busy, "busy-µs/req")
	b.ReportMetric(last.Go, "go-µs/req")
}
