package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/cfworker"
	"github.com/rampartdev/rampart/gateway/httpproxy"
	"github.com/rampartdev/rampart/gateway/loadgen"
	"github.com/rampartdev/rampart/gateway/peerbench"
	"github.com/rampartdev/rampart/gateway/redislimiter"
	"github.com/rampartdev/rampart/gateway/sqlitetokens"
	"github.com/rampartdev/rampart/vet"
	"github.com/rampartdev/rampart/vet/wrangler"
)

const gatewayUsage = `usage: rampart gateway [flags]            serve the API gateway on 127.0.0.1
       rampart gateway check --config FILE  check a wrangler.toml: ids, main, bindings, the Worker's contract
       rampart gateway bench [flags]        measure the gateway's added latency on loopback
       rampart gateway origin [--addr A]    serve a fixed JSON answer (the bench's origin; --forward URL: the net/http floor proxy)

serve flags:
`

// runGateway is `rampart gateway`.
func runGateway(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runGatewayCheck(args[1:], stdout, stderr)
		case "bench":
			return runGatewayBench(ctx, args[1:], stdout, stderr)
		case "origin":
			return runGatewayOrigin(ctx, args[1:], stderr)
		}
	}
	fs := newFlags("gateway", gatewayUsage, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	origin := fs.String("origin", "", "origin URL to forward to (required)")
	db := fs.String("db", gatewayTokensDB(), "token database (SQLite file, see rampart tokens)")
	configFile := fs.String("config", "", "gateway configuration (JSON: routes, limits; see gateway.Config); default one route / that needs a token")
	redisAddr := fs.String("redis", "", "Redis host:port for limits shared by several gateways; default in memory")
	logFormat := fs.String("log", "json", "access log format: json or text")
	cacheTTL := fs.Duration("token-cache", time.Second, "how long to cache token lookups (a revocation takes this long to apply); 0 disables")
	logFlush := fs.Duration("log-flush", 100*time.Millisecond, "write the buffered access log this often (a record is at most this late); 0 writes each record at once")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *origin == "" {
		return usageError{"gateway: --origin is required"}
	}
	var cfg gateway.Config
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return err
		}
		if cfg, err = gateway.ParseConfig(b); err != nil {
			return fmt.Errorf("gateway: %s: %w", *configFile, err)
		}
	}
	if *logFormat != "json" && *logFormat != "text" {
		return usageError{"gateway: --log must be json or text"}
	}
	if *logFlush < 0 {
		return usageError{"gateway: --log-flush must not be negative"}
	}
	logOut := stdout
	if *logFlush > 0 {
		// A write system call per request costs more than the rest of the
		// access log; buffer it and write it every --log-flush.
		lw := httpproxy.NewLogWriter(stdout, *logFlush, 0)
		defer lw.Close()
		logOut = lw
	}
	if *logFormat == "json" {
		cfg.Logger = slog.New(httpproxy.NewLogHandler(logOut, nil)) // slog's JSON, cheaper per access record
	} else {
		cfg.Logger = slog.New(slog.NewTextHandler(logOut, nil))
	}
	tokens, err := openGatewayTokens(*db)
	if err != nil {
		return err
	}
	defer tokens.Close()
	cfg.Tokens = tokens
	if *cacheTTL > 0 {
		cfg.Tokens = gateway.NewTokenCache(tokens, &gateway.TokenCacheOptions{TTL: *cacheTTL})
	}
	limiterDesc := "memory"
	if *redisAddr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: *redisAddr})
		defer rdb.Close()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("gateway: redis %s: %w", *redisAddr, err)
		}
		cfg.Limiter = redislimiter.New(rdb, nil)
		limiterDesc = "redis " + *redisAddr
	} else {
		mem := gateway.NewMemoryLimiter()
		cfg.Limiter = mem
		go sweepLimiter(ctx, mem)
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// The gateway's live heap is small (its caches, the limiter):
		// collecting at 5x it instead of 2x costs megabytes and saves a
		// tenth of the CPU per request (rampart gateway bench --peers).
		debug.SetGCPercent(400)
	}
	h, err := httpproxy.New(gw, *origin, nil)
	if err != nil {
		return usageError{"gateway: " + err.Error()}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := httpproxy.NewServer(h)
	fmt.Fprintf(stderr, "gateway listening on http://%s, forwarding to %s (tokens %s, limits in %s)\n", ln.Addr(), *origin, *db, limiterDesc)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	h.CloseIdleConnections()
	return err
}

// sweepLimiter drops full buckets from the in-memory limiter every minute.
func sweepLimiter(ctx context.Context, m *gateway.MemoryLimiter) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.Sweep(now)
		}
	}
}

// runGatewayCheck is `rampart gateway check`: vet/wrangler's rules (the
// binding values, main, the bindings the Worker's code uses, preview ids,
// ids in the account) and the gateway's contract with its Worker
// (cfworker.Check), as findings.
func runGatewayCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gateway check", "", stderr)
	config := fs.String("config", filepath.Join("deploy", "cloudflare", "wrangler.toml"), "wrangler configuration to check")
	kvList := fs.String("kv-list", "", "JSON printed by `wrangler kv namespace list`: KV ids must be in it")
	remote := fs.Bool("remote", false, "`wrangler dev --remote` is used: KV, R2 and D1 bindings need preview ids")
	jsonOut := fs.Bool("json", false, "print the findings as JSON")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	findings, err := gatewayFindings(*config, &wrangler.Options{KVList: *kvList, Remote: *remote})
	if err != nil {
		return err
	}
	if *jsonOut {
		if findings == nil {
			findings = []vet.Finding{}
		}
		if err := writeIndentedJSON(stdout, findings); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(stdout, f)
		}
	}
	if len(findings) > 0 {
		return findingsError(len(findings))
	}
	if !*jsonOut {
		fmt.Fprintf(stdout, "%s: ok (KV %s, Durable Object %s -> %s with a SQLite migration, %s set; ids, main, bindings used by the code)\n",
			*config, cfworker.TokensBinding, cfworker.LimiterBinding, cfworker.LimiterClass, cfworker.OriginVar)
	}
	return nil
}

// gatewayFindings checks a wrangler configuration (wrangler.toml, .json or
// .jsonc) with vet/wrangler's rules and the
// gateway's contract (rule gateway-contract).
func gatewayFindings(path string, opts *wrangler.Options) ([]vet.Finding, error) {
	findings, err := wrangler.CheckFile(path, opts)
	if err != nil {
		return nil, err
	}
	cfg, err := cfworker.Load(path)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var contract []vet.Finding
	for _, p := range cfworker.Check(cfg) {
		contract = append(contract, vet.NewFinding("gateway-contract", path, keyLine(src, p.Field), "%s: %s", p.Field, p.Message))
	}
	return append(findings, vet.Suppress(contract, src)...), nil
}

// keyLine returns the line of the first TOML key or table, or JSON
// member, named like field (its last dotted part), or 0.
func keyLine(src []byte, field string) int {
	name := field[strings.LastIndex(field, ".")+1:]
	for i, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, name+" ") || strings.HasPrefix(l, name+"=") || strings.HasPrefix(l, `"`+name+`"`) ||
			strings.Contains(l, "["+field+"]") || strings.Contains(l, "[["+field+"]]") {
			return i + 1
		}
	}
	return 0
}

// runGatewayBench is `rampart gateway bench`: it starts an origin and a
// gateway in this process on loopback and compares calling the origin
// directly with calling it through the gateway, at a steady rate and at
// saturation.
func runGatewayBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gateway bench", "", stderr)
	rate := fs.Float64("rate", 5000, "steady rate in requests per second")
	duration := fs.Duration("duration", 5*time.Second, "time bound of each run")
	requests := fs.Int("requests", 25000, "count bound of each run")
	concurrency := fs.Int("concurrency", 64, "client workers")
	asJSON := fs.Bool("json", false, "print JSON")
	gatewayFlag := fs.String("gateway", "", "measure a running gateway at this base URL instead of one in this process (needs --origin, and the token in RAMPART_BENCH_TOKEN)")
	originFlag := fs.String("origin", "", "with --gateway: the origin it forwards to, called directly for comparison")
	path := fs.String("path", "/api/bench", "request path")
	processes := fs.Bool("processes", false, "run the origin and the gateway (`rampart gateway` with a SQLite token file) as two child processes of this binary, the load generator in this one")
	peers := fs.Bool("peers", false, "compare with nginx and Caddy instead: wrk against the origin directly, through `rampart gateway`, nginx and Caddy, each a process of its own, interleaved rounds; CPU per request and added latency at fixed rates (needs wrk, nginx and caddy; `make bench-gateway-peers` installs them)")
	rounds := fs.Int("rounds", 3, "with --peers: rounds of every run")
	rates := fs.String("rates", "500,2000", "with --peers: fixed rates for the latency runs, req/s")
	baseline := fs.String("baseline", "", "with --peers: also measure the gateway of this other rampart binary (a build of another commit), as target rampart-baseline")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *peers {
		return runGatewayPeers(ctx, stdout, stderr, *rounds, *rates, *duration, *asJSON, *baseline)
	}
	if *rate <= 0 || *duration <= 0 || *requests <= 0 || *concurrency <= 0 {
		return usageError{"gateway bench: --rate, --duration, --requests and --concurrency must be positive"}
	}
	directURL, frontURL := *originFlag, *gatewayFlag
	tok := os.Getenv("RAMPART_BENCH_TOKEN")
	var setup string
	switch {
	case frontURL != "" && *processes:
		return usageError{"gateway bench: --processes starts its own gateway; it cannot be used with --gateway"}
	case frontURL != "":
		if directURL == "" || tok == "" {
			return usageError{"gateway bench: --gateway needs --origin and the token in RAMPART_BENCH_TOKEN"}
		}
	default:
		start := benchInProcess
		setup = fmt.Sprintf("origin, gateway and load generator share this process and this machine's %d CPUs", runtime.NumCPU())
		if *processes {
			start = benchProcesses
			setup = fmt.Sprintf("origin, gateway and load generator in three processes on this machine's %d CPUs", runtime.NumCPU())
		}
		stop, d, f, t, err := start(ctx)
		if err != nil {
			return err
		}
		defer stop()
		directURL, frontURL, tok = d, f, t
	}
	directURL = strings.TrimSuffix(directURL, "/") + *path
	frontURL = strings.TrimSuffix(frontURL, "/") + *path

	type row struct {
		Mode    string         `json:"mode"`
		Target  string         `json:"target"`
		Result  loadgen.Result `json:"result"`
		AddP50  time.Duration  `json:"added_p50,omitempty"`
		AddP99  time.Duration  `json:"added_p99,omitempty"`
		RPSLoss float64        `json:"rps_ratio,omitempty"`
	}
	var rows []row
	auth := http.Header{"Authorization": {"Bearer " + tok}}
	for _, mode := range []struct {
		name string
		rate float64
	}{{fmt.Sprintf("steady %.0f/s", *rate), *rate}, {"saturation", 0}} {
		var direct loadgen.Result
		for _, target := range []string{"origin", "gateway"} {
			o := loadgen.Options{URL: directURL, Rate: mode.rate, Concurrency: *concurrency, Requests: *requests, Duration: *duration}
			if target == "gateway" {
				o.URL, o.Header = frontURL, auth
			}
			// Warm the connection pools first.
			if _, err := loadgen.Run(ctx, &loadgen.Options{URL: o.URL, Header: o.Header, Concurrency: *concurrency, Requests: 2 * *concurrency}); err != nil {
				return err
			}
			res, err := loadgen.Run(ctx, &o)
			if err != nil {
				return err
			}
			// Requests the generator could not send on time (the rate is
			// above what this machine sustains) are reported, not fatal.
			if res.Statuses[200] != res.Sent {
				return fmt.Errorf("gateway bench: %s %s: not all requests succeeded: %v", mode.name, target, res)
			}
			r := row{Mode: mode.name, Target: target, Result: res}
			if target == "origin" {
				direct = res
			} else {
				r.AddP50, r.AddP99 = res.P50-direct.P50, res.P99-direct.P99
				r.RPSLoss = res.RPS / direct.RPS
			}
			rows = append(rows, r)
		}
	}
	if *asJSON {
		return writeIndentedJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODE\tTARGET\tREQUESTS\tMISSED\tREQ/S\tP50\tP99\tMAX\tADDED P50\tADDED P99")
	for _, r := range rows {
		added50, added99 := "", ""
		if r.Target == "gateway" {
			added50, added99 = r.AddP50.String(), r.AddP99.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%v\t%v\t%v\t%s\t%s\n", r.Mode, r.Target, r.Result.Sent, r.Result.Missed, r.Result.RPS,
			r.Result.P50, r.Result.P99, r.Result.Max, added50, added99)
	}
	if setup != "" {
		fmt.Fprintf(tw, "(%s)\n", setup)
	}
	return tw.Flush()
}

// runGatewayPeers is `rampart gateway bench --peers`.
func runGatewayPeers(ctx context.Context, stdout, stderr io.Writer, rounds int, rates string, d time.Duration, asJSON bool, baseline string) error {
	var rs []float64
	for _, r := range strings.Split(rates, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || v <= 0 {
			return usageError{"gateway bench: --rates must be positive numbers, comma-separated"}
		}
		rs = append(rs, v)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o := &peerbench.Options{Rampart: []string{exe}, Rounds: rounds, Duration: d, RateDuration: d, Rates: rs, Progress: stderr}
	if baseline != "" {
		o.Baseline = []string{baseline}
	}
	rep, err := peerbench.Run(ctx, o)
	if err != nil {
		return err
	}
	if asJSON {
		return writeIndentedJSON(stdout, rep)
	}
	return rep.WriteTable(stdout)
}

// benchInProcess starts an origin and a gateway in front of it on
// loopback, with a token whose limit the run cannot reach, and returns a
// function that stops them, their URLs and the token.
func benchInProcess(ctx context.Context) (stop func(), originURL, gatewayURL, token string, err error) {
	origin, err := benchServer(benchOrigin)
	if err != nil {
		return nil, "", "", "", err
	}
	tokens, err := sqlitetokens.Open(":memory:", nil)
	if err != nil {
		origin.Close()
		return nil, "", "", "", err
	}
	closeBoth := func() { origin.Close(); tokens.Close() }
	tok, _, err := tokens.Create(ctx, sqlitetokens.CreateOptions{Tenant: "bench", Limit: gateway.Limit{Rate: 1 << 30, Burst: 1 << 30}})
	if err != nil {
		closeBoth()
		return nil, "", "", "", err
	}
	gw, err := gateway.New(gateway.Config{Tokens: gateway.NewTokenCache(tokens, nil), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		closeBoth()
		return nil, "", "", "", err
	}
	h, err := httpproxy.New(gw, origin.URL, nil)
	if err != nil {
		closeBoth()
		return nil, "", "", "", err
	}
	front, err := benchGatewayServer(h)
	if err != nil {
		closeBoth()
		return nil, "", "", "", err
	}
	return func() { front.Close(); closeBoth() }, origin.URL, front.URL, tok, nil
}

// benchServer serves h on a free 127.0.0.1 port.
type benchSrv struct {
	URL string
	srv interface{ Close() error }
}

func (b *benchSrv) Close() error { return b.srv.Close() }

func benchServer(h http.Handler) (*benchSrv, error) { return benchServerOn("127.0.0.1:0", h) }

func benchServerOn(addr string, h http.Handler) (*benchSrv, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &benchSrv{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// benchGatewayServer serves h on a free 127.0.0.1 port as `rampart
// gateway` does: httpproxy's server.
func benchGatewayServer(h *httpproxy.Handler) (*benchSrv, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := httpproxy.NewServer(h)
	go srv.Serve(ln)
	return &benchSrv{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// runGatewayOrigin is `rampart gateway origin`: the bench's origin, a fixed
// small JSON answer, served until ctx ends.
func runGatewayOrigin(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("gateway origin", "", stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	forward := fs.String("forward", "", "instead of answering, forward to this URL with nothing but net/http's server and Transport: the floor of a net/http proxy, for `gateway bench --peers`")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	var h http.Handler = benchOrigin
	if *forward != "" {
		f, err := peerbench.Floor(*forward)
		if err != nil {
			return usageError{"gateway origin: " + err.Error()}
		}
		h = f
	}
	srv, err := benchServerOn(*addr, h)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "origin listening on %s\n", srv.URL)
	<-ctx.Done()
	return srv.Close()
}

// benchOrigin is the origin of every bench setup.
var benchOrigin = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
})

// benchCommand returns the command that runs this binary with args; tests
// replace it.
var benchCommand = func(ctx context.Context, args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.CommandContext(ctx, exe, args...), nil
}

// benchProcesses starts `rampart gateway origin` and `rampart gateway` in
// front of it as child processes, with a token whose limit the run cannot
// reach in a temporary SQLite file, and returns a function that stops them,
// their URLs and the token. The gateway's access log goes to the null device
// through its usual buffer.
func benchProcesses(ctx context.Context) (stop func(), originURL, gatewayURL, token string, err error) {
	dir, err := os.MkdirTemp("", "rampart-bench-")
	if err != nil {
		return nil, "", "", "", err
	}
	var children []*child
	cleanup := func() {
		for _, c := range children {
			stopChild(c)
		}
		os.RemoveAll(dir)
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	db := filepath.Join(dir, "tokens.db")
	tokens, err := sqlitetokens.Open(db, nil)
	if err != nil {
		return nil, "", "", "", err
	}
	token, _, err = tokens.Create(ctx, sqlitetokens.CreateOptions{Tenant: "bench", Limit: gateway.Limit{Rate: 1 << 30, Burst: 1 << 30}})
	if cerr := tokens.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, "", "", "", err
	}
	start := func(args ...string) (string, error) {
		c, url, err := startChild(ctx, args...)
		if c != nil {
			children = append(children, c)
		}
		return url, err
	}
	if originURL, err = start("gateway", "origin", "--addr", "127.0.0.1:0"); err != nil {
		return nil, "", "", "", err
	}
	if gatewayURL, err = start("gateway", "--addr", "127.0.0.1:0", "--origin", originURL, "--db", db); err != nil {
		return nil, "", "", "", err
	}
	return cleanup, originURL, gatewayURL, token, nil
}

var listeningRE = regexp.MustCompile(`listening on (http://[^\s,]+)[,\s]`)

// child is a started child process of the bench.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when Wait has returned
}

// startChild starts this binary with args and waits for the line on its
// standard error that says where it listens.
func startChild(ctx context.Context, args ...string) (*child, string, error) {
	c, err := benchCommand(ctx, args...)
	if err != nil {
		return nil, "", err
	}
	c.Stdout = nil // the null device
	c.Cancel = func() error { return c.Process.Kill() }
	found := make(chan string, 1)
	lw := &listenWatcher{found: found}
	c.Stderr = lw
	name := strings.Join(args, " ")
	if err := c.Start(); err != nil {
		return nil, "", fmt.Errorf("gateway bench: start %s: %w", name, err)
	}
	ch := &child{cmd: c, exited: make(chan struct{})}
	go func() { _ = c.Wait(); close(ch.exited) }()
	select {
	case u := <-found:
		return ch, u, nil
	case <-ch.exited:
		return ch, "", fmt.Errorf("gateway bench: %s exited before listening: %s", name, lw.text())
	case <-time.After(30 * time.Second):
		return ch, "", fmt.Errorf("gateway bench: %s did not start listening within 30s", name)
	case <-ctx.Done():
		return ch, "", ctx.Err()
	}
}

// stopChild interrupts c, so a gateway writes out its log, and kills it if
// it has not exited within 10 seconds.
func stopChild(c *child) {
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// listenWatcher is a child's standard error: it reports the URL of the
// first "listening on" line and keeps the first 4 KiB for error messages.
type listenWatcher struct {
	mu    sync.Mutex
	buf   []byte
	found chan string // receives the URL once; nil after
}

func (w *listenWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.found == nil {
		return len(p), nil
	}
	w.buf = append(w.buf, p[:min(len(p), 4<<10-len(w.buf))]...)
	if m := listeningRE.FindSubmatch(w.buf); m != nil {
		w.found <- string(m[1])
		w.found = nil
	}
	return len(p), nil
}

func (w *listenWatcher) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.TrimSpace(string(w.buf))
}
