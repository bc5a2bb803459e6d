//go:build js && wasm

package main

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

func main() {
	debug.SetGCPercent(400) // a small heap in a 128 MB isolate: collect less often
	js.Global().Set("rampartConfigure", js.FuncOf(configure))
	js.Global().Set("rampartStart", js.FuncOf(start))
	js.Global().Set("rampartResume", js.FuncOf(resume))
	js.Global().Set("rampartDone", js.FuncOf(done))
	js.Global().Set("rampartGCRA", js.FuncOf(gcra))
	js.Global().Set("rampartWarmup", js.FuncOf(warmup))
	js.Global().Set("rampartCollect", js.FuncOf(collect))
	select {}
}

// sep separates the fields of the strings the glue and Go exchange: no
// header name or value, URL or number can hold a NUL (Fetch refuses it in
// headers, URL parsing escapes it).
const sep = "\x00"

var (
	mu      sync.Mutex
	gw      *gateway.Gateway         // built by rampartConfigure
	warmGW  *gateway.Gateway         // the same policy, for rampartWarmup's requests
	pending = map[int64]pendingLog{} // by session id, until rampartDone
	logger  = slog.New(slog.NewJSONHandler(&consoleWriter{}, nil))
)

type pendingLog struct {
	g   *gateway.Gateway
	req *gateway.Request
	res *gateway.Result
}

type sessionKey struct{}

// consoleWriter writes each record to console.log in one call: Workers Logs
// collects console output, and Go's os.Stdout goes through the emulated
// file system of wasm_exec.js, which costs several crossings per write.
type consoleWriter struct {
	once    sync.Once
	console js.Value
}

func (w *consoleWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { w.console = js.Global().Get("console") })
	w.console.Call("log", string(p[:len(p)-min(len(p), 1)]))
	return len(p), nil
}

// configure is rampartConfigure(configJSON): it builds the isolate's
// gateway from GATEWAY_CONFIG ("" for the defaults) and returns "" or the
// error. The glue calls it once, right after starting the runtime, which
// may be at module scope.
func configure(_ js.Value, args []js.Value) any {
	config := ""
	if len(args) > 0 && args[0].Type() == js.TypeString {
		config = args[0].String()
	}
	var cfg gateway.Config
	if config != "" {
		var err error
		if cfg, err = gateway.ParseConfig([]byte(config)); err != nil {
			return err.Error()
		}
	}
	// KV reads cross into JavaScript and cost a binding call: remember
	// records for a second and unknown ids for a few (as natively).
	cfg.Tokens = gateway.NewTokenCache(gateway.TokenStoreFunc(kvLookup), nil)
	cfg.Limiter = limiterFunc(objectLimit)
	cfg.Logger = logger
	cfg.NewRequestID = requestIDs.next
	g, err := gateway.New(cfg)
	if err != nil {
		return err.Error()
	}
	// The warm-up gateway runs the same code on its own cache, limiter
	// answers and a discarded log, with ids that need no randomness.
	var n int64
	cfg.Routes, cfg.Hosts = []gateway.Route{{Name: "warmup", Prefix: "/"}}, nil
	cfg.Tokens = gateway.NewTokenCache(gateway.TokenStoreFunc(kvLookup), nil)
	cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg.NewRequestID = func() string { n++; return "warmup-" + strconv.FormatInt(n, 10) }
	w, err := gateway.New(cfg)
	if err != nil {
		return err.Error()
	}
	mu.Lock()
	gw, warmGW = g, w
	mu.Unlock()
	// One record now, at module scope when the glue starts Go there: an
	// isolate's first console.log and the Go side of the log path cost
	// milliseconds that the first request's access log would pay.
	logger.Info("gateway started", "routes", len(g.Config().Routes))
	return ""
}

// collect is rampartCollect(), called by the glue after the warm-up: it
// collects the start's garbage, which the first requests would otherwise
// pay for.
func collect(js.Value, []js.Value) any {
	runtime.GC()
	return nil
}

// warmup is rampartWarmup(): it returns [record, request...] for the glue
// to run each request through rampartStart(request, true) at module scope,
// answering a token step for the record's id with record (null for another
// id), a limit step through rampartGCRA, and then rampartDone. V8 compiles WebAssembly functions on their first call; a
// request's path through the core, the JSON decoding of a token record and
// the access log are thousands of them (tens of milliseconds of CPU), which
// the first request of an isolate would otherwise pay. Nothing of it is
// kept: the warm-up gateway has its own cache and log.
func warmup(js.Value, []js.Value) any {
	tok := "rpt_warmup0000000000_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	rec, _ := json.Marshal(gateway.TokenRecord{ID: "warmup0000000000", Hash: gateway.HashToken(tok), Tenant: "warmup", Scopes: []string{"*"}})
	req := func(tok string) string {
		return strings.Join([]string{"GET", "/warmup", "a=1", "warmup.invalid", "https", "HTTP/1.1", "192.0.2.1", "-1",
			"authorization", "Bearer " + tok, "accept", "*/*", "user-agent", "warmup"}, sep)
	}
	return []any{string(rec), req(tok), req(tok), req("rpt_unknown000000000_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG")}
}

// requestIDs makes request ids from a ChaCha8 generator of its own, seeded
// from crypto/rand (crypto.getRandomValues) on first use, which is always
// in a request: the runtime's own generator may have been seeded at module
// scope from GATEWAY_SEED, the same in every isolate, and ids must differ
// between isolates.
var requestIDs idSource

type idSource struct {
	mu  sync.Mutex
	gen *mathrand.ChaCha8
}

func (s *idSource) next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == nil {
		var seed [32]byte
		if _, err := cryptorand.Read(seed[:]); err != nil {
			panic("gatewayworker: no randomness for request ids: " + err.Error())
		}
		s.gen = mathrand.NewChaCha8(seed)
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], s.gen.Uint64())
	binary.LittleEndian.PutUint64(b[8:], s.gen.Uint64())
	return hex.EncodeToString(b[:])
}

// A session is one request being decided. Its goroutine runs
// gateway.Handle; when the core needs a binding (a KV read, a Durable Object
// call) the session hands the question to JavaScript through out and waits
// for the answer on in. JavaScript awaits the binding and resumes the
// session, so no Promise or js.Func is made per request: the crossings are
// plain synchronous calls with one string each way.
type session struct {
	id   int64
	in   chan string // binding results from rampartResume
	out  chan string // the next step for JavaScript
	err  error       // a binding's failure, set before in is sent
	nul  bool        // the binding's value was null
	warm bool        // a warm-up request (see warmup)
}

var (
	sessions = map[int64]*session{}
	nextID   int64
	work     = make(chan func()) // idle worker goroutines wait here
)

// run runs f on an idle worker goroutine, or a new one. Workers are kept
// so that their grown stacks are reused.
func run(f func()) {
	select {
	case work <- f:
	default:
		go func() {
			f()
			for f := range work {
				f()
			}
		}()
	}
}

// start is rampartStart(request[, warm]): it begins deciding a request and
// returns the first step (see next). request is the fields method, path,
// query, host, scheme, proto, remote address and content length (-1 when
// unknown), then each header's name and value, joined by NULs. warm runs
// it on the warm-up gateway (see warmup).
func start(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return stepError(errors.New("rampartStart: want (request)"))
	}
	reqStr := args[0].String()
	warm := len(args) > 1 && args[1].Truthy()
	mu.Lock()
	nextID++
	s := &session{id: nextID, in: make(chan string), out: make(chan string), warm: warm}
	sessions[s.id] = s
	mu.Unlock()
	run(func() { s.out <- s.decide(reqStr) })
	return s.next()
}

// resume is rampartResume(id, value, error): it answers the binding the
// session asked for (value a string or null; error a string when the
// binding failed) and returns the next step.
func resume(_ js.Value, args []js.Value) any {
	if len(args) < 2 {
		return stepError(errors.New("rampartResume: want (id, value[, error])"))
	}
	id := int64(args[0].Int())
	mu.Lock()
	s := sessions[id]
	mu.Unlock()
	if s == nil {
		return stepError(errors.New("rampartResume: unknown session"))
	}
	if len(args) > 2 && args[2].Type() == js.TypeString {
		s.err = errors.New(args[2].String())
	}
	v := ""
	s.nul = args[1].Type() != js.TypeString
	if !s.nul {
		v = args[1].String()
	}
	s.in <- v
	return s.next()
}

// next waits for the session's next step. A step is a string: "T" id NUL
// token-id asks for the TOKENS value of the token id; "L" id NUL key NUL
// rate NUL period-ns NUL burst asks the RATE_LIMITER object of key for a
// decision; "R" and a JSON object is the result; "E" and a message an
// error.
func (s *session) next() string {
	out := <-s.out
	if out[0] == 'R' || out[0] == 'E' {
		mu.Lock()
		delete(sessions, s.id)
		mu.Unlock()
	}
	return out
}

// ask hands a question to JavaScript and waits for the answer; null is
// false.
func (s *session) ask(step string) (v string, ok bool, err error) {
	s.out <- step
	v = <-s.in
	err, s.err = s.err, nil
	return v, !s.nul, err
}

func stepError(err error) string { return "E" + err.Error() }

func (s *session) decide(reqStr string) string {
	f := strings.Split(reqStr, sep)
	if len(f) < 8 || len(f)%2 != 0 {
		return stepError(errors.New("rampartStart: malformed request"))
	}
	mu.Lock()
	g := gw
	if s.warm {
		g = warmGW
	}
	mu.Unlock()
	if g == nil {
		return stepError(errors.New("rampartStart before rampartConfigure"))
	}
	cl, err := strconv.ParseInt(f[7], 10, 64)
	if err != nil {
		cl = -1
	}
	req := &gateway.Request{
		Method: f[0], Path: f[1], Query: f[2], Host: f[3], Scheme: f[4], Proto: f[5], RemoteAddr: f[6],
		ContentLength: cl, Header: make(gateway.Header, (len(f)-8)/2),
	}
	for i := 8; i < len(f); i += 2 {
		// Fetch gives lowercase names, and repeats a name for each value
		// only for Set-Cookie; request fields come joined by ", ".
		req.Header[f[i]] = append(req.Header[f[i]], f[i+1])
	}
	ctx := context.WithValue(context.Background(), sessionKey{}, s)
	res := g.Handle(ctx, req)
	mu.Lock()
	pending[s.id] = pendingLog{g, req, res}
	mu.Unlock()
	return "R" + string(appendResult(nil, s.id, g.Config(), res))
}

// appendResult writes the result for the glue as JSON, by hand: the
// reflection of encoding/json costs more than the rest of a decision in
// WebAssembly. Fields: id, request_id, status and body on refusal, header
// and forward.header as [name, value] pairs, close, timeout_ms, max_body.
func appendResult(b []byte, id int64, cfg gateway.Config, res *gateway.Result) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"request_id":`...)
	b = gateway.AppendJSONString(b, res.RequestID)
	if res.Err != nil {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(res.Err.Status), 10)
		b = append(b, `,"body":`...)
		b = gateway.AppendJSONString(b, string(gateway.ErrorBody(res.Err, res.RequestID)))
	}
	if res.Close {
		b = append(b, `,"close":true`...)
	}
	b = append(b, `,"header":`...)
	b = appendPairs(b, res.Header)
	b = append(b, `,"timeout_ms":`...)
	b = strconv.AppendInt(b, time.Duration(cfg.Timeout).Milliseconds(), 10)
	b = append(b, `,"max_body":`...)
	b = strconv.AppendInt(b, cfg.MaxBodyBytes, 10)
	if f := res.Forward; f != nil {
		b = append(b, `,"forward":{"method":`...)
		b = gateway.AppendJSONString(b, f.Method)
		b = append(b, `,"path":`...)
		b = gateway.AppendJSONString(b, f.Path)
		b = append(b, `,"query":`...)
		b = gateway.AppendJSONString(b, f.Query)
		b = append(b, `,"header":`...)
		b = appendPairs(b, f.Header)
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendPairs(b []byte, h gateway.Header) []byte {
	b = append(b, '[')
	first := true
	for k, vs := range h {
		for _, v := range vs {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, '[')
			b = gateway.AppendJSONString(b, k)
			b = append(b, ',')
			b = gateway.AppendJSONString(b, v)
			b = append(b, ']')
		}
	}
	return append(b, ']')
}

// done is rampartDone(id, status, latencyMs[, errorCode]): it writes the
// access log record of session id once the glue knows the final status.
// errorCode names a failed origin call (upstream_error, upstream_timeout,
// body_too_large).
func done(_ js.Value, args []js.Value) any {
	if len(args) < 3 {
		return nil
	}
	id := int64(args[0].Int())
	mu.Lock()
	p, ok := pending[id]
	delete(pending, id)
	mu.Unlock()
	if !ok {
		return nil
	}
	status := args[1].Int()
	if p.res.Err == nil && len(args) > 3 && args[3].Type() == js.TypeString {
		p.res.Err = &gateway.Error{Status: status, Code: args[3].String()}
	}
	latency := time.Duration(args[2].Float() * float64(time.Millisecond))
	p.g.LogAccess(context.Background(), p.req, p.res, status, latency)
	return nil
}

// gcra is rampartGCRA(rate, periodNs, burst, tat, now) for the Durable
// Object: the limit as the "L" step gave it, and the stored theoretical
// arrival time and the current time in Unix nanoseconds, as decimal
// strings (JavaScript numbers cannot hold them exactly). It returns the
// new tat and the decision: tat NUL decision, where the decision is what
// rampartResume takes for a limit (see parseDecision).
func gcra(_ js.Value, args []js.Value) any {
	if len(args) < 5 {
		return js.Global().Get("Error").New("rampartGCRA: want (rate, period, burst, tat, now)")
	}
	rate, err1 := strconv.Atoi(args[0].String())
	period, err2 := strconv.ParseInt(args[1].String(), 10, 64)
	burst, err3 := strconv.Atoi(args[2].String())
	tat, _ := strconv.ParseInt(args[3].String(), 10, 64)
	now, err4 := strconv.ParseInt(args[4].String(), 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return js.Global().Get("Error").New("rampartGCRA: " + err.Error())
	}
	newTAT, d := gateway.GCRA(gateway.Limit{Rate: rate, Period: time.Duration(period), Burst: burst}, tat, now)
	b := strconv.AppendInt(nil, newTAT, 10)
	b = append(b, sep...)
	return string(appendDecision(b, d))
}

// appendDecision writes a limit decision as allowed (1 or 0), limit,
// remaining, and the reset, retry and window durations in nanoseconds,
// joined by NULs.
func appendDecision(b []byte, d gateway.LimitDecision) []byte {
	if d.Allowed {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	for _, n := range []int64{int64(d.Limit), int64(d.Remaining), int64(d.ResetAfter), int64(d.RetryAfter), int64(d.Window)} {
		b = append(b, sep...)
		b = strconv.AppendInt(b, n, 10)
	}
	return b
}

func parseDecision(s string) (gateway.LimitDecision, error) {
	f := strings.Split(s, sep)
	if len(f) != 6 || f[0] != "0" && f[0] != "1" {
		return gateway.LimitDecision{}, errors.New("malformed decision")
	}
	var n [5]int64
	for i := range n {
		v, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return gateway.LimitDecision{}, errors.New("malformed decision")
		}
		n[i] = v
	}
	return gateway.LimitDecision{
		Allowed: f[0] == "1", Limit: int(n[0]), Remaining: int(n[1]),
		ResetAfter: time.Duration(n[2]), RetryAfter: time.Duration(n[3]), Window: time.Duration(n[4]),
	}, nil
}

// kvLookup reads the token record of a token id from the TOKENS namespace
// through the glue. The cache in front of it is per isolate; a lookup made
// by another request's session is answered through that session, so the
// session comes from ctx.
func kvLookup(ctx context.Context, id string) (*gateway.TokenRecord, error) {
	s := ctx.Value(sessionKey{}).(*session)
	v, ok, err := s.ask("T" + strconv.FormatInt(s.id, 10) + sep + id)
	if err != nil {
		return nil, errors.New("kv: " + err.Error())
	}
	if !ok {
		return nil, gateway.ErrTokenNotFound
	}
	var rec gateway.TokenRecord
	if err := json.Unmarshal([]byte(v), &rec); err != nil {
		return nil, errors.New("kv: token record: " + err.Error())
	}
	return &rec, nil
}

// limiterFunc adapts a function to gateway.Limiter.
type limiterFunc func(ctx context.Context, key string, l gateway.Limit, now time.Time) (gateway.LimitDecision, error)

func (f limiterFunc) Allow(ctx context.Context, key string, l gateway.Limit, now time.Time) (gateway.LimitDecision, error) {
	return f(ctx, key, l, now)
}

// objectLimit asks the RATE_LIMITER Durable Object for key, through the
// glue. The object reads the clock itself: its decision is serialised there.
func objectLimit(ctx context.Context, key string, l gateway.Limit, _ time.Time) (gateway.LimitDecision, error) {
	s := ctx.Value(sessionKey{}).(*session)
	b := append([]byte("L"), strconv.FormatInt(s.id, 10)...)
	b = append(b, sep...)
	b = append(b, key...)
	b = append(b, sep...)
	b = strconv.AppendInt(b, int64(l.Rate), 10)
	b = append(b, sep...)
	b = strconv.AppendInt(b, int64(l.Period), 10)
	b = append(b, sep...)
	b = strconv.AppendInt(b, int64(l.Burst), 10)
	v, ok, err := s.ask(string(b))
	if err == nil && !ok {
		err = errors.New("no decision")
	}
	if err != nil {
		return gateway.LimitDecision{}, errors.New("durable object: " + err.Error())
	}
	d, err := parseDecision(v)
	if err != nil {
		return d, errors.New("durable object: " + err.Error())
	}
	return d, nil
}
