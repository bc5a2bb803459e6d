// Package peerbench measures the native gateway side by side with its
// peers: the same origin called directly, through Rampart (`rampart
// gateway`), through nginx and through Caddy, each a real process on
// loopback, loaded by wrk. It reports each proxy's CPU per request (its
// processes' user and system time from /proc, divided by the requests
// served) and, at fixed rates, the latency each adds over calling the
// origin directly.
//
// The proxies do equivalent work where they can:
//
//   - a bearer check: Rampart its token store (SQLite behind its cache,
//     SHA-256 of the token compared in constant time); nginx a map of the
//     one valid Authorization value; Caddy a header matcher on it;
//   - a per-token rate limit: Rampart's GCRA, nginx's limit_req keyed by
//     the Authorization value (both set far above the load); Caddy has none
//     without a plugin outside Debian's package, so it does less work here;
//   - keep-alive connections to the origin (nginx: an upstream with
//     keepalive; Caddy and Rampart keep them by default);
//   - an access log line per request in JSON, buffered by Rampart (100 ms)
//     and nginx (64 KiB, 100 ms); Caddy 2.6 writes each line as it comes;
//   - a request id sent to the origin, client-supplied forwarding fields
//     replaced.
//
// Runs are interleaved: every round runs every target once per mode, in a
// rotated order, so that the machine's other load falls on all of them
// alike. Modes: saturation (wrk, closed loop), fixed rates (the repo's
// open-loop loadgen, since Debian's wrk has no rate option), and a flood of
// random well-formed tokens (wrk with a Lua script), which measures the
// cost of a refusal.
package peerbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/loadgen"
	"github.com/rampartdev/rampart/gateway/sqlitetokens"
)

// Targets, in the order of the first round.
const (
	Direct         = "direct"          // the origin itself
	Rampart        = "rampart"         // rampart gateway, default configuration
	RampartNoLimit = "rampart-nolimit" // rampart gateway without the per-address failure budget
	Nginx          = "nginx"
	Caddy          = "caddy"
	FloorProxy     = "net/http floor"   // Floor: net/http's server and Transport, nothing else
	Baseline       = "rampart-baseline" // Options.Baseline's rampart gateway, when given
)

// Options configure a run. The zero value of each field means its default.
type Options struct {
	// Rampart is the command that runs the rampart binary (and any leading
	// arguments); required.
	Rampart []string
	// Baseline, if set, is another rampart command (a build of another
	// commit) whose gateway is measured too, as target Baseline, with the
	// same configuration: two builds side by side in one run.
	Baseline []string
	// Dir holds the configurations, logs and token database; "" means a
	// new temporary folder, removed afterwards.
	Dir string
	// Rounds of every mode over every target; 0 means 3.
	Rounds int
	// Duration of each saturation and flood run, in whole seconds (wrk's
	// resolution, rounded up); 0 means 8s.
	Duration time.Duration
	// Connections wrk keeps open; 0 means 32.
	Connections int
	// Rates are the fixed rates in requests per second; nil means 500 and
	// 2000.
	Rates []float64
	// RateDuration is the length of each fixed-rate run; 0 means 5s.
	RateDuration time.Duration
	// Progress receives a line per run; nil discards them.
	Progress io.Writer
}

// Row is one run of one target.
type Row struct {
	Round    int     `json:"round"`
	Mode     string  `json:"mode"` // "saturation", "rate 500/s", "random tokens"
	Target   string  `json:"target"`
	Requests int     `json:"requests"`
	RPS      float64 `json:"rps"`
	// CPUPerRequest is the target's processes' CPU per request served, in
	// microseconds (for direct, the origin's).
	CPUPerRequest float64        `json:"cpu_us_per_request"`
	P50           time.Duration  `json:"p50"`
	P99           time.Duration  `json:"p99"`
	AddedP50      time.Duration  `json:"added_p50,omitempty"` // over direct, same round and rate
	AddedP99      time.Duration  `json:"added_p99,omitempty"`
	Statuses      map[string]int `json:"statuses,omitempty"`
	Load          [2]float64     `json:"load"` // the 1-minute load average before and after
}

// Report is the result of Run.
type Report struct {
	Rows     []Row             `json:"rows"`
	Versions map[string]string `json:"versions"`
	CPUs     int               `json:"cpus"`
}

// Ratio returns target's CPU per request over peer's in mode and round,
// or 0 when either is missing.
func (r *Report) Ratio(round int, mode, target, peer string) float64 {
	var a, b float64
	for _, row := range r.Rows {
		if row.Round != round || row.Mode != mode {
			continue
		}
		switch row.Target {
		case target:
			a = row.CPUPerRequest
		case peer:
			b = row.CPUPerRequest
		}
	}
	if a == 0 || b == 0 {
		return 0
	}
	return a / b
}

// Modes returns the modes in the report, in order.
func (r *Report) Modes() []string {
	var out []string
	for _, row := range r.Rows {
		if !slices.Contains(out, row.Mode) {
			out = append(out, row.Mode)
		}
	}
	return out
}

// ErrMissing is returned when wrk, nginx or caddy is not installed.
var ErrMissing = errors.New("peerbench: wrk, nginx and caddy must be installed (Debian packages wrk, nginx-light, caddy)")

// Run starts the origin and the proxies, measures them and stops them.
func Run(ctx context.Context, opts *Options) (*Report, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	for _, tool := range []string{"wrk", "nginx", "caddy"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%w: %s not found", ErrMissing, tool)
		}
	}
	if len(o.Rampart) == 0 {
		return nil, errors.New("peerbench: Options.Rampart is required")
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Duration <= 0 {
		o.Duration = 8 * time.Second
	}
	if o.Connections <= 0 {
		o.Connections = 32
	}
	if o.Rates == nil {
		o.Rates = []float64{500, 2000}
	}
	if o.RateDuration <= 0 {
		o.RateDuration = 5 * time.Second
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "rampart-peers-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	s := &setup{dir: dir, rampart: o.Rampart, baseline: o.Baseline}
	defer s.stop()
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	rep := &Report{Versions: versions(), CPUs: runtime.NumCPU()}
	wrkTargets := []string{Direct, Rampart, Nginx, Caddy, FloorProxy}
	if len(o.Baseline) > 0 {
		wrkTargets = append(wrkTargets, Baseline)
	}
	floodTargets := []string{Rampart, RampartNoLimit, Nginx, Caddy}
	for round := 1; round <= o.Rounds; round++ {
		for _, target := range rotate(wrkTargets, round-1) {
			row, err := s.wrk(ctx, target, o.Duration, o.Connections, false)
			if err != nil {
				return rep, err
			}
			row.Round, row.Mode = round, "saturation"
			fmt.Fprintf(progress, "round %d saturation %-15s %8.0f req/s %7.1f µs CPU/req (load %.1f)\n", round, target, row.RPS, row.CPUPerRequest, row.Load[1])
			rep.Rows = append(rep.Rows, row)
		}
		for _, rate := range o.Rates {
			mode := fmt.Sprintf("rate %.0f/s", rate)
			var direct Row
			for _, target := range append([]string{Direct}, rotate(wrkTargets[1:], round-1)...) {
				row, err := s.fixedRate(ctx, target, rate, o.RateDuration)
				if err != nil {
					return rep, err
				}
				row.Round, row.Mode = round, mode
				if target == Direct {
					direct = row
				} else {
					row.AddedP50, row.AddedP99 = row.P50-direct.P50, row.P99-direct.P99
				}
				fmt.Fprintf(progress, "round %d %s %-15s p50 %v p99 %v (added %v / %v) %7.1f µs CPU/req\n", round, mode, target, row.P50, row.P99, row.AddedP50, row.AddedP99, row.CPUPerRequest)
				rep.Rows = append(rep.Rows, row)
			}
		}
		for _, target := range rotate(floodTargets, round-1) {
			row, err := s.wrk(ctx, target, o.Duration, o.Connections, true)
			if err != nil {
				return rep, err
			}
			row.Round, row.Mode = round, "random tokens"
			fmt.Fprintf(progress, "round %d random tokens %-15s %8.0f req/s %7.1f µs CPU/refusal %v\n", round, target, row.RPS, row.CPUPerRequest, row.Statuses)
			rep.Rows = append(rep.Rows, row)
		}
	}
	return rep, nil
}

func rotate(s []string, n int) []string {
	n %= len(s)
	return append(append([]string(nil), s[n:]...), s[:n]...)
}

// setup is the running origin and proxies.
type setup struct {
	dir      string
	rampart  []string
	baseline []string
	token    string
	ports    map[string]int
	procs    map[string]*exec.Cmd
}

func (s *setup) url(target string) string {
	return "http://127.0.0.1:" + strconv.Itoa(s.ports[target]) + "/api/bench"
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *setup) start(ctx context.Context) error {
	s.ports, s.procs = map[string]int{}, map[string]*exec.Cmd{}
	targets := []string{Direct, Rampart, RampartNoLimit, Nginx, Caddy, FloorProxy}
	if len(s.baseline) > 0 {
		targets = append(targets, Baseline)
	}
	for _, t := range targets {
		p, err := freePort()
		if err != nil {
			return err
		}
		s.ports[t] = p
	}
	db := filepath.Join(s.dir, "tokens.db")
	store, err := sqlitetokens.Open(db, nil)
	if err != nil {
		return err
	}
	s.token, _, err = store.Create(ctx, sqlitetokens.CreateOptions{Tenant: "bench", Limit: gateway.Limit{Rate: 1 << 30, Burst: 1 << 30}})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	origin := "http://127.0.0.1:" + strconv.Itoa(s.ports[Direct])
	noLimit := filepath.Join(s.dir, "nolimit.json")
	if err := os.WriteFile(noLimit, []byte(`{"auth_failure_limit":{"rate":-1}}`), 0o644); err != nil {
		return err
	}
	if err := s.writeConfigs(); err != nil {
		return err
	}
	cmds := map[string][]string{
		Direct:         append(slices.Clone(s.rampart), "gateway", "origin", "--addr", addr(s.ports[Direct])),
		Rampart:        append(slices.Clone(s.rampart), "gateway", "--addr", addr(s.ports[Rampart]), "--origin", origin, "--db", db),
		RampartNoLimit: append(slices.Clone(s.rampart), "gateway", "--addr", addr(s.ports[RampartNoLimit]), "--origin", origin, "--db", db, "--config", noLimit),
		Nginx:          {"nginx", "-p", s.dir, "-c", filepath.Join(s.dir, "nginx.conf"), "-g", "daemon off;"},
		Caddy:          {"caddy", "run", "--config", filepath.Join(s.dir, "Caddyfile"), "--adapter", "caddyfile"},
		FloorProxy:     append(slices.Clone(s.rampart), "gateway", "origin", "--addr", addr(s.ports[FloorProxy]), "--forward", origin),
		Baseline:       append(slices.Clone(s.baseline), "gateway", "--addr", addr(s.ports[Baseline]), "--origin", origin, "--db", db),
	}
	for _, t := range targets {
		args := cmds[t]
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "HOME="+s.dir, "XDG_DATA_HOME="+s.dir, "XDG_CONFIG_HOME="+s.dir)
		logf, err := os.Create(filepath.Join(s.dir, strings.NewReplacer("/", "-", " ", "-").Replace(t)+".out"))
		if err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("peerbench: start %s: %w", t, err)
		}
		s.procs[t] = cmd
		if err := waitPort(ctx, s.ports[t], cmd); err != nil {
			b, _ := os.ReadFile(logf.Name())
			return fmt.Errorf("peerbench: %s: %w\n%s", t, err, b)
		}
	}
	// Check that every proxy forwards the valid token and refuses others.
	for _, t := range slices.DeleteFunc(slices.Clone(targets), func(t string) bool { return t == Direct || t == FloorProxy }) {
		for tok, want := range map[string]int{s.token: 200, "rpt_0000000000000000_" + strings.Repeat("A", 43): 401} {
			req, _ := http.NewRequestWithContext(ctx, "GET", s.url(t), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("peerbench: %s: %w", t, err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				return fmt.Errorf("peerbench: %s answered %d, want %d", t, resp.StatusCode, want)
			}
		}
	}
	return nil
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func waitPort(ctx context.Context, port int, cmd *exec.Cmd) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr(port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if cmd.ProcessState != nil {
			return errors.New("exited")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("did not listen within 30s")
}

// stop ends every process group the setup started.
func (s *setup) stop() {
	for _, cmd := range s.procs {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	for _, cmd := range s.procs {
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
}

var nginxConf = template.Must(template.New("nginx").Parse(`# Written by rampart's peerbench.
worker_processes auto;
error_log {{.Dir}}/nginx-error.log warn;
pid {{.Dir}}/nginx.pid;
events { worker_connections 4096; }
http {
	client_body_temp_path {{.Dir}}/nginx-body;
	proxy_temp_path {{.Dir}}/nginx-proxy;
	fastcgi_temp_path {{.Dir}}/nginx-fastcgi;
	uwsgi_temp_path {{.Dir}}/nginx-uwsgi;
	scgi_temp_path {{.Dir}}/nginx-scgi;
	log_format json escape=json '{"time":"$time_iso8601","request_id":"$request_id","method":"$request_method","path":"$uri","status":$status,"client":"$remote_addr","latency_ms":$request_time}';
	access_log {{.Dir}}/nginx-access.log json buffer=64k flush=100ms;
	keepalive_requests 100000;
	# The bearer check: the one valid Authorization value.
	map_hash_bucket_size 128;
	map $http_authorization $token_ok {
		default 0;
		"Bearer {{.Token}}" 1;
	}
	# The per-token limit, far above the load (as Rampart's token's).
	limit_req_zone $http_authorization zone=per_token:10m rate=1000000r/s;
	upstream origin {
		server 127.0.0.1:{{.Origin}};
		keepalive 64;
	}
	server {
		listen 127.0.0.1:{{.Port}} reuseport;
		location / {
			if ($token_ok = 0) {
				return 401 '{"error":{"code":"invalid_token"}}';
			}
			limit_req zone=per_token burst=1000000 nodelay;
			proxy_pass http://origin;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Authorization "";
			proxy_set_header X-Forwarded-For $remote_addr;
			proxy_set_header X-Forwarded-Proto $scheme;
			proxy_set_header X-Request-Id $request_id;
			add_header X-Request-Id $request_id always;
		}
	}
}
`))

var caddyfile = template.Must(template.New("caddy").Parse(`# Written by rampart's peerbench.
{
	admin off
	auto_https off
}
http://127.0.0.1:{{.Port}} {
	log {
		output file {{.Dir}}/caddy-access.log
		format json
	}
	@token header Authorization "Bearer {{.Token}}"
	handle @token {
		reverse_proxy 127.0.0.1:{{.Origin}} {
			header_up -Authorization
			header_up X-Request-Id {http.request.uuid}
		}
	}
	handle {
		respond ` + "`" + `{"error":{"code":"invalid_token"}}` + "`" + ` 401
	}
}
`))

func (s *setup) writeConfigs() error {
	for name, t := range map[string]*template.Template{"nginx.conf": nginxConf, "Caddyfile": caddyfile} {
		port := s.ports[Nginx]
		if name == "Caddyfile" {
			port = s.ports[Caddy]
		}
		f, err := os.Create(filepath.Join(s.dir, name))
		if err != nil {
			return err
		}
		err = t.Execute(f, map[string]any{"Dir": s.dir, "Token": s.token, "Origin": s.ports[Direct], "Port": port})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(s.dir, "random-tokens.lua"), []byte(randomTokensLua), 0o644)
}

// randomTokensLua makes wrk send a new random well-formed token with every
// request.
const randomTokensLua = `
local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
math.randomseed(os.time())
request = function()
  local id = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  local t = {}
  for i = 1, 43 do
    local k = math.random(1, #chars)
    t[i] = chars:sub(k, k)
  end
  return wrk.format("GET", "/api/bench", { Authorization = "Bearer rpt_" .. id .. "_" .. table.concat(t) })
end
`

// cpuTicks returns the user and system CPU ticks of pid and every
// process below it; an error when pid has exited, so that a proxy that
// died during a run gives no figure.
func cpuTicks(pid int) (int64, error) {
	children := map[int][]int{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	stats := map[int][]string{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		st := string(b)
		f := strings.Fields(st[strings.LastIndexByte(st, ')')+2:])
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], p)
		stats[p] = f
	}
	if f, ok := stats[pid]; !ok || f[0] == "Z" {
		return 0, fmt.Errorf("peerbench: process %d has exited", pid)
	}
	var total int64
	var walk func(int)
	walk = func(p int) {
		if f, ok := stats[p]; ok {
			u, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
			s, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
			total += u + s
		}
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(pid)
	return total, nil
}

const ticksPerSecond = 100 // USER_HZ on Linux

func load1() float64 {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func (s *setup) cpuOf(target string) (int64, error) {
	t, err := cpuTicks(s.procs[target].Process.Pid)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", target, err)
	}
	return t, nil
}

var (
	wrkTotal   = regexp.MustCompile(`(\d+) requests in ([\d.]+)(\w+)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkPercent = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
)

// wrk runs wrk against target (random tokens when flood) and measures the
// target's CPU over it.
func (s *setup) wrk(ctx context.Context, target string, d time.Duration, conns int, flood bool) (Row, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(conns), "-d" + wrkSeconds(d), "--latency"}
	if flood {
		args = append(args, "-s", filepath.Join(s.dir, "random-tokens.lua"))
	} else {
		args = append(args, "-H", "Authorization: Bearer "+s.token)
	}
	args = append(args, s.url(target))
	row := Row{Target: target, Statuses: map[string]int{}}
	row.Load[0] = load1()
	c0, err := s.cpuOf(target)
	if err != nil {
		return row, err
	}
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	row.Load[1] = load1()
	if err != nil {
		return row, fmt.Errorf("peerbench: wrk %s: %w\n%s", target, err, out)
	}
	c1, err := s.cpuOf(target)
	if err != nil {
		return row, err
	}
	m := wrkTotal.FindSubmatch(out)
	if m == nil {
		return row, fmt.Errorf("peerbench: wrk %s: no total in\n%s", target, out)
	}
	row.Requests, _ = strconv.Atoi(string(m[1]))
	secs, _ := strconv.ParseFloat(string(m[2]), 64)
	switch string(m[3]) {
	case "ms":
		secs /= 1000
	case "m":
		secs *= 60
	}
	if secs > 0 {
		row.RPS = float64(row.Requests) / secs
	}
	non2xx := 0
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		non2xx, _ = strconv.Atoi(string(m[1]))
	}
	row.Statuses["2xx"] = row.Requests - non2xx
	row.Statuses["other"] = non2xx
	if !flood && non2xx > 0 {
		return row, fmt.Errorf("peerbench: wrk %s: %d requests failed", target, non2xx)
	}
	if flood && non2xx != row.Requests {
		return row, fmt.Errorf("peerbench: wrk %s: %d random tokens were accepted", target, row.Requests-non2xx)
	}
	for _, m := range wrkPercent.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[3])]
		if string(m[1]) == "50" {
			row.P50 = time.Duration(v * float64(unit))
		} else {
			row.P99 = time.Duration(v * float64(unit))
		}
	}
	if row.Requests > 0 {
		row.CPUPerRequest = float64(c1-c0) * 1e6 / ticksPerSecond / float64(row.Requests)
	}
	return row, nil
}

// wrkSeconds is d for wrk's -d, which counts whole seconds: rounded up, so
// that a run shorter than a second is not a run of none.
func wrkSeconds(d time.Duration) string {
	return strconv.FormatInt(int64(max(1, (d+time.Second-1)/time.Second)), 10) + "s"
}

// fixedRate runs loadgen at rate against target.
func (s *setup) fixedRate(ctx context.Context, target string, rate float64, d time.Duration) (Row, error) {
	hdr := http.Header{"Authorization": {"Bearer " + s.token}}
	// Warm the client's connections.
	if _, err := loadgen.Run(ctx, &loadgen.Options{URL: s.url(target), Header: hdr, Concurrency: 64, Requests: 256}); err != nil {
		return Row{}, err
	}
	row := Row{Target: target}
	row.Load[0] = load1()
	c0, err := s.cpuOf(target)
	if err != nil {
		return row, err
	}
	res, err := loadgen.Run(ctx, &loadgen.Options{URL: s.url(target), Header: hdr, Rate: rate, Concurrency: 64, Duration: d})
	row.Load[1] = load1()
	if err != nil {
		return row, err
	}
	c1, err := s.cpuOf(target)
	if err != nil {
		return row, err
	}
	if res.Statuses[200] != res.Sent || res.Errors > 0 {
		return row, fmt.Errorf("peerbench: %s at %.0f/s: %v", target, rate, res)
	}
	row.Requests, row.RPS, row.P50, row.P99 = res.Sent, res.RPS, res.P50, res.P99
	row.Statuses = map[string]int{"2xx": res.Sent}
	if res.Missed > 0 {
		row.Statuses["missed"] = res.Missed
	}
	if res.Sent > 0 {
		row.CPUPerRequest = float64(c1-c0) * 1e6 / ticksPerSecond / float64(res.Sent)
	}
	return row, nil
}

func versions() map[string]string {
	out := map[string]string{}
	for name, args := range map[string][]string{"nginx": {"-v"}, "caddy": {"version"}, "wrk": {"-v"}} {
		b, _ := exec.Command(name, args...).CombinedOutput()
		line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		out[name] = line
	}
	return out
}

// WriteTable writes the report as text: every run, then per round and
// mode the CPU ratios of Rampart to nginx and to Caddy.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUND\tMODE\tTARGET\tREQUESTS\tREQ/S\tCPU µs/REQ\tP50\tP99\tADDED P50\tADDED P99\tLOAD")
	for _, row := range r.Rows {
		added50, added99 := "", ""
		if row.Mode != "saturation" && row.Mode != "random tokens" && row.Target != Direct {
			added50, added99 = row.AddedP50.String(), row.AddedP99.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.0f\t%.1f\t%v\t%v\t%s\t%s\t%.1f-%.1f\n", row.Round, row.Mode, row.Target, row.Requests, row.RPS,
			row.CPUPerRequest, row.P50, row.P99, added50, added99, row.Load[0], row.Load[1])
	}
	fmt.Fprintln(tw)
	rounds, baseline := 0, false
	for _, row := range r.Rows {
		rounds = max(rounds, row.Round)
		baseline = baseline || row.Target == Baseline
	}
	extra := ""
	if baseline {
		extra = "\tRAMPART/BASELINE CPU\tBASELINE/NGINX CPU"
	}
	fmt.Fprintln(tw, "ROUND\tMODE\tRAMPART/NGINX CPU\tRAMPART/CADDY CPU\tNO-LIMIT/NGINX CPU\tFLOOR/NGINX CPU\tRAMPART/FLOOR CPU"+extra)
	for round := 1; round <= rounds; round++ {
		for _, mode := range r.Modes() {
			nl, floor, overFloor := "", "", ""
			if mode == "random tokens" {
				nl = fmt.Sprintf("%.2f", r.Ratio(round, mode, RampartNoLimit, Nginx))
			} else {
				floor = fmt.Sprintf("%.2f", r.Ratio(round, mode, FloorProxy, Nginx))
				overFloor = fmt.Sprintf("%.2f", r.Ratio(round, mode, Rampart, FloorProxy))
			}
			fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.2f\t%s\t%s\t%s", round, mode, r.Ratio(round, mode, Rampart, Nginx), r.Ratio(round, mode, Rampart, Caddy), nl, floor, overFloor)
			switch {
			case baseline && mode != "random tokens":
				fmt.Fprintf(tw, "\t%.2f\t%.2f", r.Ratio(round, mode, Rampart, Baseline), r.Ratio(round, mode, Baseline, Nginx))
			case baseline:
				fmt.Fprint(tw, "\t\t") // as many cells as the other rows, so that tabwriter keeps one column block
			}
			fmt.Fprintln(tw)
		}
	}
	fmt.Fprintf(tw, "(%d CPUs; %s; %s; %s)\n", r.CPUs, r.Versions["nginx"], r.Versions["caddy"], r.Versions["wrk"])
	return tw.Flush()
}

// Floor returns the least a net/http proxy does: net/http's server, an
// http.Transport round trip with keep-alive connections to origin and a
// pooled copy of the body, nothing else (no checks, no log). Run it as a
// process of its own (`rampart gateway origin --forward URL`) to see what
// staying on net/http costs by itself, next to nginx.
func Floor(origin string) (http.Handler, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("peerbench: floor origin %q: not a URL with a host", origin)
	}
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 512, DisableCompression: true}
	bufs := sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := &http.Request{
			Method: r.Method, URL: &url.URL{Scheme: u.Scheme, Host: u.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
			Header: http.Header{"User-Agent": nil}, Host: u.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		}
		resp, err := tr.RoundTrip(out.WithContext(r.Context()))
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		b := bufs.Get().(*[]byte)
		_, _ = io.CopyBuffer(w, resp.Body, *b)
		bufs.Put(b)
	}), nil
}
