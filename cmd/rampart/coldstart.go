package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/coldstart/logsource"
)

const coldstartUsage = `usage: rampart coldstart COMMAND [flags]

Measure Lambda cold starts from the logs and say when provisioned
concurrency pays.

commands:
  analyze   analyze logs from files (plain or gzip), stdin (-) or CloudWatch Logs (--log-group)
  generate  write a synthetic log with a weekday morning spike (for trying analyze)
  prices    print the built-in price table as JSON (edit it and pass it to analyze --prices)

examples:
  rampart coldstart generate -o /tmp/week.log
  rampart coldstart analyze --html /tmp/report.html /tmp/week.log
  rampart coldstart analyze --log-group /aws/lambda/checkout --since 168h --p99-target 800ms
`

// runColdstart is ` + "`rampart coldstart`" + `.
func runColdstart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, coldstartUsage)
		if len(args) == 0 {
			return usageError{"coldstart: no command given"}
		}
		return nil
	}
	switch args[0] {
	case "analyze":
		return coldstartAnalyze(ctx, args[1:], stdout, stderr)
	case "generate":
		return coldstartGenerate(ctx, args[1:], stdout, stderr)
	case "prices":
		return coldstartPrices(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, coldstartUsage)
	return usageError{fmt.Sprintf("coldstart: unknown command %q", args[0])}
}

// newLogsClient builds the CloudWatch Logs client; endpoint overrides the
// AWS endpoint (for LocalStack and tests).
var newLogsClient = func(ctx context.Context, region, endpoint string) (logsource.FilterLogEventsAPI, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

func coldstartAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("coldstart analyze", "usage: rampart coldstart analyze [flags] [FILE ... | -]\n\nFILEs may be gzip. With neither FILEs nor --log-group, reads stdin.\n\nflags:\n", stderr)
	var groups stringList
	fs.Var(&groups, "log-group", "CloudWatch Logs group to read (repeatable), e.g. /aws/lambda/checkout")
	since := fs.Duration("since", 0, "with --log-group: read the last `DURATION` (default 168h unless --start)")
	start := fs.String("start", "", "with --log-group: start `TIME` (RFC 3339)")
	end := fs.String("end", "", "with --log-group: end `TIME` (RFC 3339; default now)")
	filter := fs.String("filter-pattern", "", "with --log-group: CloudWatch filter pattern (default: all events)")
	endpoint := fs.String("endpoint", "", "with --log-group: CloudWatch Logs endpoint `URL` (LocalStack, tests)")
	function := fs.String("function", "", "function name of the FILEs (default: from the log or the file name)")
	shape := fs.String("shape", "", "shape of the FILEs: "+shapeNames()+" (default: detected per file)")
	region := fs.String("region", "", "AWS region of the prices and of CloudWatch (default: AWS config, else us-east-1 for prices)")
	arch := fs.String("arch", coldstart.ArchX86, "architecture of the prices: x86_64 or arm64")
	prices := fs.String("prices", "", "price table `FILE` (JSON, see `rampart coldstart prices`) overriding the built-in one")
	target := fs.Duration("p99-target", time.Second, "p99 latency target, met in every hour of the day")
	tz := fs.String("tz", "UTC", "time zone of hours, weekdays and schedules (IANA name or Local)")
	idle := fs.Duration("idle-timeout", 0, "keep-alive of idle environments in the simulation (0: calibrate from the log)")
	lifetime := fs.Duration("max-lifetime", 0, "retire environments after this age in the simulation (0: never)")
	noPlan := fs.Bool("no-plan", false, "skip the simulation and the cost model")
	format := fs.String("format", "text", "output on stdout: text or json")
	htmlOut := fs.String("html", "", "also write the HTML report to `FILE`")
	jsonOut := fs.String("json", "", "also write the JSON report to `FILE`")
	seed := fs.Uint64("seed", 1, "seed of the simulator's random init times")
	verbose := fs.Bool("v", false, "debug logging")
	files, err := parseFlags(fs, args, -1)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError{fmt.Sprintf("coldstart analyze: --format must be text or json, not %q", *format)}
	}
	if *arch != coldstart.ArchX86 && *arch != coldstart.ArchARM64 {
		return usageError{fmt.Sprintf("coldstart analyze: --arch must be x86_64 or arm64, not %q", *arch)}
	}
	if *target <= 0 {
		return usageError{"coldstart analyze: --p99-target must be positive"}
	}
	if !coldstart.Shape(*shape).Valid() && *shape != "" {
		return usageError{fmt.Sprintf("coldstart analyze: --shape must be one of %s, not %q", shapeNames(), *shape)}
	}
	if *shape != "" && len(groups) > 0 {
		return usageError{"coldstart analyze: --shape is for FILEs, not --log-group"}
	}
	if len(groups) > 0 && len(files) > 0 {
		return usageError{"coldstart analyze: give FILEs or --log-group, not both"}
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usageError{fmt.Sprintf("coldstart analyze: --tz: %v", err)}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opts := coldstart.Options{
		Region:    *region,
		Arch:      *arch,
		P99Target: *target,
		Location:  loc,
		Model:     coldstart.Model{IdleTimeout: *idle, MaxLifetime: *lifetime},
		Seed:      *seed,
		SkipPlan:  *noPlan,
		Logger:    logger,
	}
	if *prices != "" {
		f, err := os.Open(*prices)
		if err != nil {
			return fmt.Errorf("coldstart analyze: %w", err)
		}
		opts.Prices, err = coldstart.LoadPriceTable(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("coldstart analyze: %s: %w", *prices, err)
		}
	}
	// The analysis streams; a soft limit keeps the heap's garbage from
	// growing the process beyond what it needs.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(analyzeMemoryLimit))
	prog := newProgress(stderr, logger)
	defer prog.finish()
	opts.Progress = prog.update

	var src coldstart.Source
	if len(groups) > 0 {
		from, to, err := timeRange(*since, *start, *end, time.Now())
		if err != nil {
			return usageError{"coldstart analyze: " + err.Error()}
		}
		client, err := newLogsClient(ctx, *region, *endpoint)
		if err != nil {
			return err
		}
		if opts.Region == "" {
			if c, ok := client.(*cloudwatchlogs.Client); ok {
				opts.Region = c.Options().Region
			}
		}
		src = &logsource.CloudWatch{Client: client, LogGroups: groups, Start: from, End: to, FilterPattern: *filter,
			OnPage: func(g string, events int64, last time.Time) { prog.page(g, events, last, from, to) }}
	} else {
		if len(files) == 0 {
			if f, ok := stdinFile(); ok && isTerminal(f) {
				fs.Usage()
				return usageError{"coldstart analyze: no FILE or --log-group given, and stdin is a terminal"}
			}
			files = []string{"-"}
		}
		src = &logsource.Files{Paths: files, Function: *function, Shape: coldstart.Shape(*shape)}
	}
	if opts.Region != "" && opts.Prices == nil {
		// Regions missing from the built-in table are an error only when
		// they were asked for; a CloudWatch region falls back to us-east-1.
		if _, err := coldstart.DefaultPriceTable().Lookup(opts.Region, opts.Arch); err != nil && *region == "" {
			logger.Warn("no built-in prices for the region; using us-east-1", "region", opts.Region)
			opts.Region = ""
		}
	}
	rep, err := coldstart.Analyze(ctx, src, &opts)
	prog.finish()
	if err != nil {
		return fmt.Errorf("coldstart analyze: %w", err)
	}
	if *htmlOut != "" {
		if err := writeFileWith(*htmlOut, func(w io.Writer) error { return coldstart.WriteHTML(w, rep) }); err != nil {
			return err
		}
		logger.Info("wrote HTML report", "file", *htmlOut)
	}
	if *jsonOut != "" {
		if err := writeFileWith(*jsonOut, func(w io.Writer) error { return writeIndentedJSON(w, rep) }); err != nil {
			return err
		}
		logger.Info("wrote JSON report", "file", *jsonOut)
	}
	if *format == "json" {
		return writeIndentedJSON(stdout, rep)
	}
	return coldstart.WriteText(stdout, rep)
}

// analyzeMemoryLimit is the soft memory limit of coldstart analyze.
const analyzeMemoryLimit = 80 << 20

// timeRange resolves --since, --start and --end.
func timeRange(since time.Duration, start, end string, now time.Time) (time.Time, time.Time, error) {
	to := now
	if end != "" {
		t, err := time.Parse(time.RFC3339, end)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--end: %v", err)
		}
		to = t
	}
	var from time.Time
	switch {
	case start != "" && since != 0:
		return time.Time{}, time.Time{}, errors.New("give --since or --start, not both")
	case start != "":
		t, err := time.Parse(time.RFC3339, start)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--start: %v", err)
		}
		from = t
	case since != 0:
		from = to.Add(-since)
	default:
		from = to.Add(-7 * 24 * time.Hour)
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, errors.New("the start is not before the end")
	}
	return from, to, nil
}

func coldstartGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("coldstart generate", "", stderr)
	out := fs.String("o", "-", "output `FILE` (- for stdout)")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same log")
	days := fs.Int("days", 7, "days of traffic, from Monday 2026-11-02 (0 with --size: as many as needed)")
	size := fs.String("size", "", "stop at this `SIZE` (e.g. 1GB, 200MB); days repeat the weekly pattern")
	format := fs.String("format", coldstart.FormatMixed, "text, json or mixed")
	function := fs.String("function", "checkout", "function name in platform.initStart events")
	memory := fs.Int("memory", 1024, "memory size in MB")
	initMedian := fs.Duration("init", 1800*time.Millisecond, "median init duration")
	scale := fs.Float64("scale", 1, "multiply every request rate by this")
	shape := fs.String("shape", string(coldstart.ShapeTimestamped), "how the lines are written: "+shapeNames())
	tracing := fs.Float64("tracing", 0, "share of invocations traced with X-Ray (their text REPORTs get a second line)")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	switch *format {
	case coldstart.FormatText, coldstart.FormatJSON, coldstart.FormatMixed:
	default:
		return usageError{fmt.Sprintf("coldstart generate: --format must be text, json or mixed, not %q", *format)}
	}
	var maxBytes int64
	if *size != "" {
		n, err := parseSize(*size)
		if err != nil {
			return usageError{"coldstart generate: --size: " + err.Error()}
		}
		maxBytes = n
		if !isFlagSet(fs, "days") {
			*days = 0
		}
	}
	if !coldstart.Shape(*shape).Valid() {
		return usageError{fmt.Sprintf("coldstart generate: --shape must be one of %s, not %q", shapeNames(), *shape)}
	}
	if *tracing < 0 || *tracing > 1 {
		return usageError{"coldstart generate: --tracing must be between 0 and 1"}
	}
	if *scale <= 0 || *memory < 128 || *days < 0 {
		return usageError{"coldstart generate: --scale must be positive, --memory at least 128, --days not negative"}
	}
	cfg := coldstart.GenerateConfig{Seed: *seed, Days: *days, MaxBytes: maxBytes, Format: *format, Function: *function,
		MemoryMB: *memory, InitMedian: *initMedian, Shape: coldstart.Shape(*shape), TracingRate: *tracing,
		NightRate: 0.05 * *scale, DayRate: 0.6 * *scale, MorningBurstRate: 0.1 * *scale}
	write := func(w io.Writer) error {
		st, err := coldstart.Generate(w, cfg)
		if err == nil {
			fmt.Fprintln(stderr, "generated:", st)
		}
		return err
	}
	if *out == "-" {
		return write(stdout)
	}
	return writeFileWith(*out, write)
}

func coldstartPrices(args []string, stdout, stderr io.Writer) error {
	if _, err := parseFlags(newFlags("coldstart prices", "", stderr), args, 0); err != nil {
		return err
	}
	return writeIndentedJSON(stdout, coldstart.DefaultPriceTable())
}

// parseSize parses 1GB, 200MB, 64KiB or a number of bytes.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("bad size %q", s)
			}
			return int64(v * float64(u.mult)), nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q (use e.g. 1GB or 200MB)", s)
	}
	return v, nil
}

// writeIndentedJSON writes v as indented JSON: the output of every
// subcommand's --json mode.
func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeFileWith writes a file through fn, reporting the first error of
// fn or of closing the file. A regular file (or a new one) is written to a
// temporary file beside it and renamed over it only when complete, so that
// a failed or interrupted run never leaves a truncated report in place of
// the previous one (a symbolic link's target is the file replaced);
// anything else (/dev/stdout, a pipe) is written as is.
func writeFileWith(path string, fn func(io.Writer) error) error {
	// A symbolic link keeps pointing where it did: the file it names is
	// the one replaced.
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	st, err := os.Stat(path)
	if err == nil && !st.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		return f.Close()
	}
	mode := os.FileMode(0o644)
	if err == nil {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = fn(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

var stdinFile = func() (*os.File, bool) { return os.Stdin, true }

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress shows how far the analysis is: a bar redrawn on stderr when it
// is a terminal, structured log records every few seconds otherwise.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	logger  *slog.Logger
	start   time.Time
	last    time.Time
	drawn   bool
	stopped bool
}

func newProgress(w io.Writer, logger *slog.Logger) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = isTerminal(f)
	}
	return &progress{w: w, tty: tty, logger: logger, start: time.Now()}
}

func (p *progress) due(now time.Time, done bool) bool {
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if p.stopped || (!done && now.Sub(p.last) < every) {
		return false
	}
	p.last = now
	return true
}

func (p *progress) update(pr coldstart.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !p.due(now, pr.Done) {
		return
	}
	rate := float64(pr.Bytes) / 1e6 / max(now.Sub(p.start).Seconds(), 1e-3)
	if !p.tty {
		p.logger.Info("reading", "stream", pr.Stream, "bytes", pr.StreamBytes, "total_bytes", pr.Bytes, "lines", pr.Lines, "mb_per_s", int(rate), "done", pr.Done)
		return
	}
	bar := "[" + strings.Repeat("·", 30) + "]"
	pct := ""
	if pr.StreamSize > 0 {
		n := int(30 * min(float64(pr.StreamBytes)/float64(pr.StreamSize), 1))
		bar = "[" + strings.Repeat("#", n) + strings.Repeat("·", 30-n) + "]"
		pct = fmt.Sprintf(" %3.0f%%", 100*min(float64(pr.StreamBytes)/float64(pr.StreamSize), 1))
	}
	fmt.Fprintf(p.w, "\r%s%s %s  %d MB  %d lines  %.0f MB/s\x1b[K", bar, pct, pr.Stream, pr.Bytes/1e6, pr.Lines, rate)
	p.drawn = true
}

// page reports CloudWatch pages: the share of the time range covered.
func (p *progress) page(group string, events int64, last, from, to time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.due(time.Now(), false) {
		return
	}
	frac := 0.0
	if !last.IsZero() && to.After(from) {
		frac = min(max(float64(last.Sub(from))/float64(to.Sub(from)), 0), 1)
	}
	if !p.tty {
		p.logger.Info("reading CloudWatch Logs", "log_group", group, "events", events, "up_to", last.UTC().Format(time.RFC3339))
		return
	}
	n := int(30 * frac)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %s  %d events  up to %s\x1b[K", strings.Repeat("#", n), strings.Repeat("·", 30-n), 100*frac, group, events, last.UTC().Format("2006-01-02 15:04"))
	p.drawn = true
}

// finish ends the bar's line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn && !p.stopped {
		fmt.Fprintln(p.w)
	}
	p.stopped = true
}

// shapeNames lists the shapes coldstart reads, for flag help and errors.
func shapeNames() string {
	names := make([]string, len(coldstart.Shapes))
	for i, s := range coldstart.Shapes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
