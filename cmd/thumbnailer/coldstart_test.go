package main

import (
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
	"github.com/rampartdev/rampart/media"
)

// BenchmarkColdStart measures process start to ready-for-first-event: the
// time from exec until the bootstrap asks a fake Lambda Runtime API (on
// 127.0.0.1) for its first invocation, for the thumbnailer and for a
// hello-world Go bootstrap measured the same way in the same run. Both are
// built as the Makefile's lambda target builds them (for the host
// architecture). Reported: median ms/start and the binary's bytes.
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
		"AWS_REGION=eu-central-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024", "HOME=" + dir,
		media.EnvBucket + "=bucket", media.EnvMediaTable + "=media", media.EnvIdempotencyTable + "=idempotency",
	}
	for _, name := range []string{"hello", "thumbnailer"} {
		b.Run(name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				cmd := exec.Command(bins[name])
				cmd.Env = env
				start := time.Now()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				select {
				case <-ready:
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					b.Fatalf("%s never asked for an invocation", name)
				}
				times = append(times, time.Since(start))
				cmd.Process.Kill()
				cmd.Wait()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/start")
			if fi, err := os.Stat(bins[name]); err == nil {
				b.ReportMetric(float64(fi.Size()), "bytes")
			}
		})
	}
}
