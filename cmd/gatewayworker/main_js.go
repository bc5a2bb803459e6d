//go:build js && wasm

package main

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
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
	warmGW  []*gateway.Gateway       // the same policy, for rampartWarmup's requests (see warmGateways)
	pending = map[int64]pendingLog{} // by session id, until rampartDone
	// accessLog holds the gateway's records until the glue takes them.
	accessLog = &logWriter{}
	logger    = slog.New(gateway.NewLogHandler(accessLog, nil))
)

type pendingLog struct {
	g   *gateway.Gateway
	req *gateway.Request
	res *gateway.Result
}

type sessionKey struct{}

// logWriter collects the records a gateway logs. The glue takes them
// after each call (rampartLogs) and writes each with console.log, which
// Workers Logs collects: Go's os.Stdout goes through the emulated file
// system of wasm_exec.js, and a console.log from Go through syscall/js,
// both far dearer than handing the bytes over.
type logWriter struct{ buf []byte }

func (w *logWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// logs is rampartLogs(): it answers the records logged since its last
// call, one JSON object per line, and forgets them.
//
//go:wasmexport rampartLogs
func logs() uint32 {
	if len(accessLog.buf) == 0 {
		return 0
	}
	n := answer(string(accessLog.buf))
	accessLog.buf = accessLog.buf[:0]
	return n
}

// configure is rampartConfigure(configJSON): it builds the isolate's
// gateway from GATEWAY_CONFIG ("" for the defaults) and returns "" or the
// error. The glue calls it once, right after starting the runtime, which
// may be at module scope.
func configure(_ js.Value, args []js.Value) any {
	config := ""
	if len(args) > 0 {
		switch args[0].Type() {
		case js.TypeString:
			config = args[0].String()
		case js.TypeUndefined, js.TypeNull:
		default: // the glue passes text; never take the defaults for a policy it could not pass
			return "GATEWAY_CONFIG is a " + args[0].Type().String() + ", not JSON text"
		}
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
	cfg.NewRequestID = nextRequestID
	g, err := gateway.New(cfg)
	if err != nil {
		return err.Error()
	}
	w, err := warmGateways(cfg)
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
// drops the warm-up gateways and collects the start's garbage, which the
// first requests would otherwise pay for, unless the warm-up did (see
// warmup).
func collect(js.Value, []js.Value) any {
	mu.Lock()
	warmGW = nil // the warm-up is over
	warmLog.buf = nil
	mu.Unlock()
	if !warmCollected {
		runtime.GC()
	}
	return nil
}

// warmCollected is whether rampartWarmup has collected the start's garbage.
var warmCollected bool

// idBytes holds the next request id's 16 random bytes, which the glue
// draws with crypto.getRandomValues straight into Go's memory (at the
// address rampartIDBuffer gives) before each rampartStart: every id comes
// from the platform's generator, and nothing in Go is seeded for them. (The
// runtime's own generator may be seeded at module scope from GATEWAY_SEED,
// the same in every isolate, so it never makes ids; a generator seeded in
// an isolate's first request costs that request more than a millisecond
// in code V8 compiles there.)
var idBytes [16]byte

// idBuffer is rampartIDBuffer(): the address of idBytes, which does not
// move.
//
//go:wasmexport rampartIDBuffer
//lint:ignore U1000 called by the glue only (a WebAssembly export)
func idBuffer() *byte { return &idBytes[0] }

// nextRequestID is the gateways' Config.NewRequestID: the id is idBytes in
// hex, which it clears. Bytes left clear (the glue drew none) are read
// from crypto/rand instead, so that no id is ever repeated.
func nextRequestID() string {
	b := idBytes
	idBytes = [16]byte{}
	if b == ([16]byte{}) {
		if _, err := cryptorand.Read(b[:]); err != nil {
			panic("gatewayworker: no randomness for request ids: " + err.Error())
		}
	}
	return hex.EncodeToString(b[:])
}

// A session is one request being decided. Its goroutine runs
// gateway.Handle; when the core needs a binding (a KV read, a Durable Object
// call) the session hands the question to JavaScript through out and waits
// for the answer on in. JavaScript awaits the binding and resumes the
// session, so no Promise or js.Func is made per request: the crossings are
// plain synchronous calls with one string each way.
type session struct {
	id  int64
	in  chan string      // binding results from rampartResume
	out chan string      // the next step for JavaScript
	err error            // a binding's failure, set before in is sent
	nul bool             // the binding's value was null
	g   *gateway.Gateway // the gateway deciding it
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

// io is the buffer the glue and Go exchange bytes through, in both
// directions: the glue writes an argument (UTF-8) at the address
// rampartBuffer gives and passes its length; an entry point writes its
// answer there and returns the answer's length, which the glue reads
// before its next call. Go's collector does not move objects, so the
// address holds until rampartBuffer grows the buffer.
var exchange = make([]byte, 16<<10)

// buffer is rampartBuffer(n): the address of the exchange buffer, grown to
// at least n bytes first.
//
//go:wasmexport rampartBuffer
func buffer(n uint32) *byte {
	if int(n) > len(exchange) {
		exchange = make([]byte, n)
	}
	return &exchange[0]
}

// answer writes s into the exchange buffer and returns its length.
func answer(s string) uint32 {
	buffer(uint32(len(s)))
	return uint32(copy(exchange, s))
}

// start is rampartStart(n, warm): it begins deciding the request in the
// buffer's first n bytes and answers the first step (see next). The
// request is the fields method, path, query, host, scheme, proto, remote
// address and content length (-1 when unknown), then each header's name
// and value, joined by NULs. warm (1 or 2) runs it on a warm-up gateway
// (see warmGateways).
//
//go:wasmexport rampartStart
func start(n uint32, warm uint32) uint32 {
	reqStr := string(exchange[:n])
	mu.Lock()
	g := gw
	if warm > 0 {
		g = nil
		if int(warm) <= len(warmGW) {
			g = warmGW[warm-1]
		}
	}
	if g == nil {
		mu.Unlock()
		return answer(stepError(errors.New("rampartStart: no gateway (before rampartConfigure, or a warm-up after it ended)")))
	}
	nextID++
	s := &session{id: nextID, in: make(chan string), out: make(chan string), g: g}
	sessions[s.id] = s
	mu.Unlock()
	run(func() { s.out <- s.decide(reqStr) })
	return answer(s.next())
}

// Kinds of binding answers rampartResume takes.
const (
	answerValue = 0 // the buffer holds the binding's value
	answerNull  = 1 // the binding had no value (KV null)
	answerError = 2 // the buffer holds the binding's error message
)

// resume is rampartResume(id, n, kind): it answers the binding session id
// asked for with the buffer's first n bytes, read as kind says, and
// answers the next step.
//
//go:wasmexport rampartResume
func resume(id uint32, n uint32, kind uint32) uint32 {
	v := string(exchange[:n])
	mu.Lock()
	s := sessions[int64(id)]
	mu.Unlock()
	if s == nil {
		return answer(stepError(errors.New("rampartResume: unknown session")))
	}
	s.nul = kind == answerNull
	if kind == answerError {
		s.err, v = errors.New(v), ""
	}
	s.in <- v
	return answer(s.next())
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

func (s *session) decide(reqStr string) (step string) {
	req, err := parseRequest(reqStr)
	if err != nil {
		return stepError(err)
	}
	g := s.g
	// A panic in the core is a bug, not the client's: it is logged (no
	// stack) and the request fails, but the runtime, which every later
	// request of the isolate needs, goes on.
	defer func() {
		if p := recover(); p != nil {
			g.Logger().Error("gateway: panic", "method", req.Method, "path", req.Path, "panic", fmt.Sprint(p))
			step = stepError(errors.New("panic"))
		}
	}()
	ctx := context.WithValue(context.Background(), sessionKey{}, s)
	res := g.Handle(ctx, req)
	mu.Lock()
	pending[s.id] = pendingLog{g, req, res}
	mu.Unlock()
	return "R" + string(appendResult(nil, s.id, g.Config(), res))
}

// parseRequest reads the request fields of rampartStart.
func parseRequest(reqStr string) (*gateway.Request, error) {
	f := strings.Split(reqStr, sep)
	if len(f) < 8 || len(f)%2 != 0 {
		return nil, errors.New("rampartStart: malformed request")
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
	return req, nil
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

// done is rampartDone(id, status, latencyMs, n, bytesSent): it writes the
// access log record of session id once the glue knows the final status.
// The buffer's first n bytes, when n > 0, name what failed: an origin call
// (upstream_error, upstream_timeout, body_too_large), the glue
// (internal_error), or the response body, cut short after its header:
// response_truncated NUL cause, logged as natively: an error record with
// the cause, and bytes_sent in both records when bytesSent is not negative
// (the glue cannot count them cheaply, so it passes -1).
//
//go:wasmexport rampartDone
func done(id uint32, status uint32, latencyMs float64, n uint32, bytesSent float64) {
	code, cause, _ := strings.Cut(string(exchange[:n]), sep)
	mu.Lock()
	p, ok := pending[int64(id)]
	delete(pending, int64(id))
	mu.Unlock()
	if !ok {
		return
	}
	ctx := context.Background()
	var extra []slog.Attr
	switch {
	case code == gateway.CodeResponseTruncated:
		p.res.Err = &gateway.Error{Status: int(status), Code: code, Message: cause}
		attrs := []slog.Attr{slog.String("request_id", p.res.RequestID), slog.Int("status", int(status))}
		if bytesSent >= 0 {
			extra = append(extra, slog.Int64("bytes_sent", int64(bytesSent)))
			attrs = append(attrs, extra...)
		}
		attrs = append(attrs, slog.String("cause", cause))
		p.g.Logger().LogAttrs(ctx, slog.LevelError, "gateway: response truncated", attrs...)
	case p.res.Err == nil && code != "":
		p.res.Err = &gateway.Error{Status: int(status), Code: code}
	}
	latency := time.Duration(latencyMs * float64(time.Millisecond))
	p.g.LogAccess(ctx, p.req, p.res, int(status), latency, extra...)
}

// gcra is rampartGCRA(n) for the Durable Object: the buffer's first n
// bytes are rate, period (ns) and burst, as the "L" step gave them, then
// the stored theoretical arrival time and the current time in Unix
// nanoseconds, joined by NULs (decimal strings: JavaScript numbers cannot
// hold them exactly). It answers the new tat and the decision, tat NUL
// decision, where the decision is what rampartResume takes for a limit
// (see parseDecision), or "E" and a message.
//
//go:wasmexport rampartGCRA
func gcra(n uint32) uint32 {
	f := strings.Split(string(exchange[:n]), sep)
	if len(f) != 5 {
		return answer(stepError(errors.New("rampartGCRA: want rate, period, burst, tat, now")))
	}
	rate, err1 := strconv.Atoi(f[0])
	period, err2 := strconv.ParseInt(f[1], 10, 64)
	burst, err3 := strconv.Atoi(f[2])
	tat, _ := strconv.ParseInt(f[3], 10, 64)
	now, err4 := strconv.ParseInt(f[4], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return answer(stepError(errors.New("rampartGCRA: " + err.Error())))
	}
	newTAT, d := gateway.GCRA(gateway.Limit{Rate: rate, Period: time.Duration(period), Burst: burst}, tat, now)
	b := strconv.AppendInt(exchange[:0], newTAT, 10)
	b = append(b, sep...)
	return answer(string(appendDecision(b, d)))
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
	rec, err := gateway.ParseTokenRecord([]byte(v))
	if err != nil {
		return nil, errors.New("kv: token record: " + err.Error())
	}
	return rec, nil
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
