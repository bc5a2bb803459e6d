package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rampartdev/rampart/dashboard"
	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/imaging"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/inspect/writegate"
	"github.com/rampartdev/rampart/internal/datadir"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

const devUsage = `usage: rampart dev [flags]

Runs the media service on this machine: an HTTP API on --addr, a filesystem
bucket and SQLite stores under --data, an at-least-once queue with SQS
semantics between uploads and the thumbnailer, and structured JSON logs on
stdout.

  curl -T cat.jpg http://127.0.0.1:8080/objects/uploads/cat.jpg
  curl http://127.0.0.1:8080/media
  curl -o thumb.jpg http://127.0.0.1:8080/objects/derived/512/uploads/cat.jpg

The dashboard is at http://127.0.0.1:8080/ui/; the logs are also written to
<data>/logs/rampart.jsonl for it and for rampart mcp.

flags:
`

// runDev implements "rampart dev".
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dev", devUsage, stderr)
	data := fs.String("data", ".rampart", "data folder (objects, media records, idempotency records, queue)")
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP listen address")
	bucket := fs.String("bucket", devserver.DefaultBucket, "bucket name used in events")
	prefix := fs.String("prefix", thumbnailer.DefaultSourcePrefix, "source prefix: only uploads under it are thumbnailed")
	sizes := fs.String("sizes", "1024,512,128", "thumbnail long edges, comma-separated")
	quality := fs.Int("quality", imaging.DefaultQuality, "JPEG quality of thumbnails (1-100)")
	workers := fs.Int("workers", 0, "queue pollers (0 = number of CPUs)")
	visibility := fs.Duration("visibility-timeout", devserver.DefaultVisibilityTimeout, "queue visibility timeout: a message whose worker died is delivered again this long after its last heartbeat")
	invocation := fs.Duration("invocation-timeout", devserver.DefaultInvocationTimeout, "each invocation's timeout (as a Lambda function's); a heartbeat keeps its messages invisible meanwhile")
	batchSize := fs.Int("batch-size", devserver.DefaultBatchSize, "most messages one invocation receives")
	maxReceives := fs.Int("max-receive-count", devserver.DefaultMaxReceiveCount, "receives before a message goes to the dead-letter queue")
	dupRate := fs.Float64("dup-rate", 0, "fault: probability that an event is delivered twice")
	concurrentDups := fs.Bool("concurrent-dups", false, "fault: also deliver duplicates concurrently to a second worker")
	crashRate := fs.Float64("crash-rate", 0, "fault: probability of a crash after the side effects, before the idempotency record completes")
	transientRate := fs.Float64("transient-rate", 0, "fault: probability that reading a source object fails with a throttling error")
	seed := fs.Uint64("seed", 0, "fault injection seed (0 = random)")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	maxUpload := byteSize(devserver.DefaultMaxUploadBytes)
	fs.Var(&maxUpload, "max-upload", "largest upload body, a `size` such as 256MiB or 2GiB; bigger ones get 413")
	maxUploads := fs.Int("max-concurrent-uploads", devserver.DefaultMaxConcurrentUploads, "uploads streaming at once; more get 503 with Retry-After")
	bodyTimeout := fs.Duration("body-read-timeout", devserver.DefaultBodyReadTimeout, "close a connection whose request body sends nothing for this long")
	var allowHosts stringList
	fs.Var(&allowHosts, "allow-host", "a `name` (or name:port) requests may carry in their Host header besides 127.0.0.1, localhost and [::1] (repeatable); other names are refused, against DNS rebinding")
	memLimit := fs.String("memory-limit", "", "soft memory limit of the process (Go's GOMEMLIMIT), e.g. 512MiB or 2GiB, or off; image work is admitted against half of it (default $GOMEMLIMIT when set, else 1GiB)")
	allowWrites := fs.Bool("allow-writes", false, "allow dead-letter redrive from the dashboard and POST /queue/redrive (same-origin or non-browser requests only)")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	sz, err := thumbnailer.ParseSizes(*sizes)
	if err != nil {
		return usageError{"dev: --sizes: " + err.Error()}
	}
	if *quality < 1 || *quality > 100 {
		return usageError{"dev: --quality must be from 1 to 100"}
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return usageError{"dev: --log-level: " + err.Error()}
	}
	limit, err := devMemoryLimit(*memLimit, os.Getenv("GOMEMLIMIT"))
	if err != nil {
		return usageError{"dev: " + err.Error()}
	}
	opts := &devserver.Options{
		Bucket:               *bucket,
		Thumbnailer:          thumbnailer.Options{SourcePrefix: *prefix, Imaging: imaging.Options{Sizes: sz, Quality: *quality}},
		Workers:              *workers,
		VisibilityTimeout:    *visibility,
		InvocationTimeout:    *invocation,
		BatchSize:            *batchSize,
		AllowWrites:          *allowWrites,
		AllowedHosts:         allowHosts,
		MaxUploadBytes:       int64(maxUpload),
		MaxConcurrentUploads: *maxUploads,
		BodyReadTimeout:      *bodyTimeout,
		MaxReceiveCount:      *maxReceives,
		Faults:               devserver.Faults{DuplicateRate: *dupRate, ConcurrentDuplicates: *concurrentDups, CrashRate: *crashRate, TransientRate: *transientRate, Seed: *seed},
		Version:              Version,
	}
	if err := opts.Validate(); err != nil {
		return usageError{"dev: " + err.Error()}
	}
	// The logs also go to a size-capped file in the data folder, where the
	// inspection read model (rampart mcp, the dashboard) queries them.
	logFile, err := local.OpenLogFile(filepath.Join(*data, datadir.LogFile), 0)
	if err != nil {
		return err
	}
	defer logFile.Close()
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(stdout, logFile), &slog.HandlerOptions{Level: lvl})).With(slog.String("service", "rampart-media"))

	opts.Logger = logger
	logger.Info("memory limit", slog.Int64("gomemlimit_bytes", applyMemoryLimit(limit)))
	s, err := devserver.Open(ctx, *data, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("dev: %w; pick another address with --addr (make run ADDR=127.0.0.1:8081)", err)
		}
		return err
	}
	// The dashboard under /ui/ reads the same data folder through the
	// inspection read model; / redirects there.
	insp, err := local.Open(ctx, *data, nil)
	if err != nil {
		return err
	}
	defer insp.Close()
	mux := http.NewServeMux()
	mux.Handle("/ui/", dashboard.New(insp, &dashboard.Options{AllowWrites: *allowWrites, AllowedHosts: allowHosts, Logger: logger}))
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	mux.Handle("/", s.Handler())
	srv := s.HTTPServer(writegate.NewHosts(allowHosts...).Wrap(mux))
	logger.Info("listening", slog.String("addr", "http://"+ln.Addr().String()), slog.String("data", *data),
		slog.String("bucket", *bucket), slog.String("source_prefix", *prefix), slog.Any("faults", opts.Faults), slog.Duration("invocation_timeout", s.Options().InvocationTimeout))

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	workersDone := make(chan struct{})
	go func() { s.Run(runCtx); close(workersDone) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	stop()
	<-workersDone
	logger.Info("stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// byteSize is a flag of a number of bytes, with an optional unit: 1048576,
// 512KiB, 256MiB, 2GiB (or KB, MB, GB for powers of ten).
type byteSize int64

func (b *byteSize) String() string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if *b > 0 && int64(*b)%u.mult == 0 {
			return strconv.FormatInt(int64(*b)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return fmt.Errorf("want a positive size such as 256MiB or 2GiB")
	}
	*b = byteSize(n * mult)
	return nil
}
