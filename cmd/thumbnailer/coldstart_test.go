package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

// BenchmarkColdStart measures process start to ready-for-first-event: the
// time from exec until the bootstrap asks a fake Lambda Runtime API (on
// 127.0.0.1) for its first invocation. Each iteration is one pair: a start
// of a hello-world Go bootstrap and a start of the thumbnailer, in
// alternating order (hello first in even pairs, thumbnailer first in odd
// ones), so that both see the same machine load. Both are built as the
// Makefile's lambda target builds them (for the host architecture) and get
// the environment Lambda sets.
//
// Every pair is printed with its ratio (thumbnailer / hello). Reported: the
// median ms/start of each, the median and 90th percentile of the per-pair
// ratios, and the thumbnailer's bytes.
//
//	go test -run '^$' -bench ColdStart -benchtime 50x ./cmd/thumbnailer
func BenchmarkColdStart(b *testing.B) {
	goTool := testenv.Command(b, "go")
	dir := b.TempDir()
	bins := map[string]string{}
	for name, pkg := range map[string]string{"hello": "./testdata/hello", "thumbnailer": "."} {
		out := filepath.Join(dir, name)
		cmd := exec.Command(goTool, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("build %s: %v\n%s", name, err, msg)
		}
		bins[name] = out
	}

	ready := make(chan struct{}, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/runtime/invocation/next") {
			select {
			case ready <- struct{}{}:
			default:
			}
			<-r.Context().Done() // no event: hold the long poll until the process dies
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer api.Close()
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(api.URL, "http://"),
		"AWS_REGION=eu-central-1", "AWS_DEFAULT_REGION=eu-central-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_SESSION_TOKEN=test",
		"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"HOME=" + dir, "LAMBDA_TASK_ROOT=" + dir,
		thumbnailer.EnvBucket + "=bucket", thumbnailer.EnvMediaTable + "=media", thumbnailer.EnvIdempotencyTable + "=idempotency",
	}
	start := func(name string) time.Duration {
		cmd := exec.Command(bins[name])
		cmd.Env = env
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		select {
		case <-ready:
			return time.Since(t0)
		case <-time.After(10 * time.Second):
			b.Fatalf("%s never asked for an invocation", name)
			return 0
		}
	}
	var hello, thumb, ratios []float64
	for i := 0; b.Loop(); i++ {
		var h, t time.Duration
		if i%2 == 0 {
			h, t = start("hello"), start("thumbnailer")
		} else {
			t, h = start("thumbnailer"), start("hello")
		}
		hms, tms := ms(h), ms(t)
		hello, thumb, ratios = append(hello, hms), append(thumb, tms), append(ratios, tms/hms)
	}
	// testing truncates a benchmark's log, so the pairs go to stdout.
	for i := range ratios {
		fmt.Printf("pair %d: hello %.2f ms, thumbnailer %.2f ms, ratio %.2f\n", i+1, hello[i], thumb[i], ratios[i])
	}
	b.ReportMetric(quantile(hello, 0.5), "hello-ms/start")
	b.ReportMetric(quantile(thumb, 0.5), "thumbnailer-ms/start")
	b.ReportMetric(quantile(ratios, 0.5), "ratio-p50")
	b.ReportMetric(quantile(ratios, 0.9), "ratio-p90")
	if fi, err := os.Stat(bins["thumbnailer"]); err == nil {
		b.ReportMetric(float64(fi.Size()), "bytes")
	}
	b.ReportMetric(0, "ns/op") // the loop's time is two process starts and their teardown: meaningless
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// quantile returns the q-quantile of xs (nearest rank).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
