//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
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
	js.Global().Set("rampartStart", js.FuncOf(start))
	js.Global().Set("rampartResume", js.FuncOf(resume))
	js.Global().Set("rampartDone", js.FuncOf(done))
	js.Global().Set("rampartGCRA", js.FuncOf(gcra))
	select {}
}

// request is the JSON the glue sends for an incoming request.
type request struct {
	Method        string      `json:"method"`
	Path          string      `json:"path"`
	Query         string      `json:"query"`
	Host          string      `json:"host"`
	Scheme        string      `json:"scheme"`
	Proto         string      `json:"proto"`
	Headers       [][2]string `json:"headers"`
	Remote        string      `json:"remote"`
	ContentLength int64       `json:"content_length"`
}

// result is the JSON returned to the glue.
type result struct {
	RequestID string              `json:"request_id"`
	Status    int                 `json:"status,omitempty"` // set on refusal
	Body      string              `json:"body,omitempty"`   // the JSON error body on refusal
	Header    map[string][]string `json:"header"`           // to add to the response
	Forward   *forward            `json:"forward,omitempty"`
	Close     bool                `json:"close,omitempty"` // the framing was refused: close the connection
	Timeout   int64               `json:"timeout_ms"`
	MaxBody   int64               `json:"max_body"`
}

type forward struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Query  string              `json:"query"`
	Header map[string][]string `json:"header"`
}

var (
	mu       sync.Mutex
	gateways = map[string]*gateway.Gateway{} // by configuration JSON
	pending  = map[string]pendingLog{}       // by request id, until rampartDone
	logger   = slog.New(slog.NewJSONHandler(consoleWriter{}, nil))
)

type pendingLog struct {
	gw  *gateway.Gateway
	req *gateway.Request
	res *gateway.Result
}

type sessionKey struct{}

// consoleWriter writes each record to console.log in one call: Workers Logs
// collects console output, and Go's os.Stdout goes through the emulated
// file system of wasm_exec.js, which costs several crossings per write.
type consoleWriter struct{}

func (consoleWriter) Write(p []byte) (int, error) {
	js.Global().Get("console").Call("log", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// gatewayFor returns the gateway for a configuration, built once.
func gatewayFor(config string) (*gateway.Gateway, error) {
	mu.Lock()
	defer mu.Unlock()
	if g, ok := gateways[config]; ok {
		return g, nil
	}
	var cfg gateway.Config
	if config != "" {
		var err error
		if cfg, err = gateway.ParseConfig([]byte(config)); err != nil {
			return nil, errors.New("GATEWAY_CONFIG: " + err.Error())
		}
	}
	// KV reads cross into JavaScript and cost a binding call: remember
	// records for a second and unknown ids for a few (as natively).
	cfg.Tokens = gateway.NewTokenCache(gateway.TokenStoreFunc(kvLookup), nil)
	cfg.Limiter = limiterFunc(objectLimit)
	cfg.Logger = logger
	g, err := gateway.New(cfg)
	if err != nil {
		return nil, err
	}
	gateways[config] = g
	return g, nil
}

// A session is one request being decided. Its goroutine runs
// gateway.Handle; when the core needs a binding (a KV read, a Durable Object
// call) the session hands the question to JavaScript through out and waits
// for the answer on in. JavaScript awaits the binding and resumes the
// session, so no Promise or js.Func is made per request: the crossings are
// plain synchronous calls.
type session struct {
	id  int64
	in  chan js.Value // binding results from rampartResume
	out chan string   // the next step for JavaScript, as JSON
	err error         // a binding's failure, set before in is sent
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

// start is rampartStart(requestJSON, configJSON): it begins deciding a
// request and returns the first step (see step).
func start(_ js.Value, args []js.Value) any {
	if len(args) < 2 {
		return stepError(0, errors.New("rampartStart: want (request, config)"))
	}
	reqJSON, config := args[0].String(), args[1].String()
	mu.Lock()
	nextID++
	s := &session{id: nextID, in: make(chan js.Value), out: make(chan string)}
	sessions[s.id] = s
	mu.Unlock()
	run(func() { s.out <- s.decide(reqJSON, config) })
	return s.next()
}

// resume is rampartResume(id, value, error): it answers the binding the
// session asked for (error is a string when the binding failed) and returns
// the next step.
func resume(_ js.Value, args []js.Value) any {
	if len(args) < 2 {
		return stepError(0, errors.New("rampartResume: want (id, value[, error])"))
	}
	id := int64(args[0].Int())
	mu.Lock()
	s := sessions[id]
	mu.Unlock()
	if s == nil {
		return stepError(id, errors.New("rampartResume: unknown session"))
	}
	if len(args) > 2 && args[2].Type() == js.TypeString {
		s.err = errors.New(args[2].String())
	}
	s.in <- args[1]
	return s.next()
}

// next waits for the session's next step. A step is JSON: {"id", "need":
// "token", "hash"}, {"id", "need": "limit", "key", "limit"}, or {"id",
// "result": {...}} when the decision is made.
func (s *session) next() string {
	out := <-s.out
	if strings.HasPrefix(out, `{"result"`) || strings.HasPrefix(out, `{"error"`) {
		mu.Lock()
		delete(sessions, s.id)
		mu.Unlock()
	}
	return out
}

// needStep is a step that asks JavaScript for a binding.
type needStep struct {
	ID      int64  `json:"id"`
	Need    string `json:"need"` // "token" or "limit"
	TokenID string `json:"token_id,omitempty"`
	Key     string `json:"key,omitempty"`
	Limit   string `json:"limit,omitempty"`
}

// ask hands a question to JavaScript and waits for the answer.
func (s *session) ask(step string) (js.Value, error) {
	s.out <- step
	v := <-s.in
	err := s.err
	s.err = nil
	return v, err
}

func stepError(id int64, err error) string {
	b, _ := json.Marshal(map[string]any{"error": err.Error(), "id": id})
	return string(b)
}

func (s *session) decide(reqJSON, config string) string {
	var in request
	if err := json.Unmarshal([]byte(reqJSON), &in); err != nil {
		return stepError(s.id, err)
	}
	g, err := gatewayFor(config)
	if err != nil {
		return stepError(s.id, err)
	}
	req := &gateway.Request{
		Method: in.Method, Path: in.Path, Query: in.Query, Host: in.Host, Scheme: in.Scheme, Proto: in.Proto,
		Header: make(gateway.Header, len(in.Headers)), RemoteAddr: in.Remote, ContentLength: in.ContentLength,
	}
	for _, kv := range in.Headers {
		req.Header.Add(kv[0], kv[1])
	}
	ctx := context.WithValue(context.Background(), sessionKey{}, s)
	res := g.Handle(ctx, req)
	cfg := g.Config()
	out := result{RequestID: res.RequestID, Header: res.Header, Close: res.Close, Timeout: time.Duration(cfg.Timeout).Milliseconds(), MaxBody: cfg.MaxBodyBytes}
	if res.Err != nil {
		out.Status, out.Body = res.Err.Status, string(gateway.ErrorBody(res.Err, res.RequestID))
	} else {
		f := res.Forward
		out.Forward = &forward{Method: f.Method, Path: f.Path, Query: f.Query, Header: f.Header}
	}
	mu.Lock()
	pending[res.RequestID] = pendingLog{g, req, res}
	mu.Unlock()
	b, err := json.Marshal(struct {
		Result result `json:"result"`
		ID     int64  `json:"id"`
	}{out, s.id})
	if err != nil {
		return stepError(s.id, err)
	}
	return string(b)
}

// done is rampartDone(requestID, status, latencyMs): it writes the access
// log record. An optional fourth argument is the error code of a failed
// origin call (upstream_error, upstream_timeout).
func done(_ js.Value, args []js.Value) any {
	if len(args) < 3 {
		return nil
	}
	id := args[0].String()
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
	p.gw.LogAccess(context.Background(), p.req, p.res, status, latency)
	return nil
}

// gcra is rampartGCRA(limitJSON, tat, now) for the Durable Object.
func gcra(_ js.Value, args []js.Value) any {
	var l gateway.Limit
	var lc gateway.LimitConfig
	if err := json.Unmarshal([]byte(args[0].String()), &lc); err != nil {
		return js.Global().Get("Error").New("rampartGCRA: " + err.Error())
	}
	l = lc.Limit()
	tat, _ := strconv.ParseInt(args[1].String(), 10, 64)
	now, err := strconv.ParseInt(args[2].String(), 10, 64)
	if err != nil {
		return js.Global().Get("Error").New("rampartGCRA: now: " + err.Error())
	}
	newTAT, d := gateway.GCRA(l, tat, now)
	b, _ := json.Marshal(struct {
		TAT      string                `json:"tat"`
		Decision gateway.LimitDecision `json:"decision"`
	}{strconv.FormatInt(newTAT, 10), d})
	return string(b)
}

// kvLookup reads the token record of a token id from the TOKENS namespace
// through the glue. The cache in front of it is per isolate; a lookup made
// by another request's session is answered through that session, so the
// session comes from ctx.
func kvLookup(ctx context.Context, id string) (*gateway.TokenRecord, error) {
	s := ctx.Value(sessionKey{}).(*session)
	step, _ := json.Marshal(needStep{ID: s.id, Need: "token", TokenID: id})
	v, err := s.ask(string(step))
	if err != nil {
		return nil, errors.New("kv: " + err.Error())
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, gateway.ErrTokenNotFound
	}
	var rec gateway.TokenRecord
	if err := json.Unmarshal([]byte(v.String()), &rec); err != nil {
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
	lc, _ := json.Marshal(gateway.LimitConfig{Rate: l.Rate, Period: gateway.Duration(l.Period), Burst: l.Burst})
	step, _ := json.Marshal(needStep{ID: s.id, Need: "limit", Key: key, Limit: string(lc)})
	v, err := s.ask(string(step))
	if err != nil {
		return gateway.LimitDecision{}, errors.New("durable object: " + err.Error())
	}
	var d gateway.LimitDecision
	if err := json.Unmarshal([]byte(v.String()), &d); err != nil {
		return d, errors.New("durable object: decision: " + err.Error())
	}
	return d, nil
}
