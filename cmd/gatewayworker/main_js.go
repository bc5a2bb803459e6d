//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"syscall/js"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

func main() {
	js.Global().Set("rampartHandle", js.FuncOf(handle))
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
	logger   = slog.New(slog.NewJSONHandler(os.Stdout, nil))
)

type pendingLog struct {
	gw  *gateway.Gateway
	req *gateway.Request
	res *gateway.Result
}

type bindingsKey struct{}

// gatewayFor returns the gateway for a configuration, built once.
func gatewayFor(config string) (*gateway.Gateway, error) {
	mu.Lock()
	defer mu.Unlock()
	if g, ok := gateways[config]; ok {
		return g, nil
	}
	var cfg gateway.Config
	if config != "" {
		if err := json.Unmarshal([]byte(config), &cfg); err != nil {
			return nil, errors.New("GATEWAY_CONFIG: " + err.Error())
		}
	}
	cfg.Tokens = gateway.TokenStoreFunc(kvLookup)
	cfg.Limiter = limiterFunc(objectLimit)
	cfg.Logger = logger
	g, err := gateway.New(cfg)
	if err != nil {
		return nil, err
	}
	gateways[config] = g
	return g, nil
}

// handle is rampartHandle: it returns a Promise and decides in a goroutine,
// so that the core can wait for the bindings' Promises.
func handle(_ js.Value, args []js.Value) any {
	if len(args) < 3 {
		return js.Global().Get("Promise").Call("reject", "rampartHandle: want (request, config, bindings)")
	}
	reqJSON, config, bindings := args[0].String(), args[1].String(), args[2]
	return newPromise(func() (string, error) {
		var in request
		if err := json.Unmarshal([]byte(reqJSON), &in); err != nil {
			return "", err
		}
		g, err := gatewayFor(config)
		if err != nil {
			return "", err
		}
		req := &gateway.Request{
			Method: in.Method, Path: in.Path, Query: in.Query, Host: in.Host, Scheme: in.Scheme,
			Header: make(gateway.Header, len(in.Headers)), RemoteAddr: in.Remote, ContentLength: in.ContentLength,
		}
		for _, kv := range in.Headers {
			req.Header.Add(kv[0], kv[1])
		}
		ctx := context.WithValue(context.Background(), bindingsKey{}, bindings)
		res := g.Handle(ctx, req)
		cfg := g.Config()
		out := result{RequestID: res.RequestID, Header: res.Header, Timeout: time.Duration(cfg.Timeout).Milliseconds(), MaxBody: cfg.MaxBodyBytes}
		if res.Err != nil {
			out.Status, out.Body = res.Err.Status, string(gateway.ErrorBody(res.Err, res.RequestID))
		} else {
			f := res.Forward
			out.Forward = &forward{Method: f.Method, Path: f.Path, Query: f.Query, Header: f.Header}
		}
		mu.Lock()
		pending[res.RequestID] = pendingLog{g, req, res}
		mu.Unlock()
		b, err := json.Marshal(out)
		return string(b), err
	})
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

// kvLookup reads the token record from the TOKENS namespace through the glue.
func kvLookup(ctx context.Context, hash string) (*gateway.TokenRecord, error) {
	b := ctx.Value(bindingsKey{}).(js.Value)
	v, err := await(b.Call("tokens", hash))
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
	b := ctx.Value(bindingsKey{}).(js.Value)
	lc, _ := json.Marshal(gateway.LimitConfig{Rate: l.Rate, Period: gateway.Duration(l.Period), Burst: l.Burst})
	v, err := await(b.Call("limit", key, string(lc)))
	if err != nil {
		return gateway.LimitDecision{}, errors.New("durable object: " + err.Error())
	}
	var d gateway.LimitDecision
	if err := json.Unmarshal([]byte(v.String()), &d); err != nil {
		return d, errors.New("durable object: decision: " + err.Error())
	}
	return d, nil
}

// await waits for a JavaScript Promise (or returns a plain value as is).
// It must run in a goroutine other than the one JavaScript called into.
func await(p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type outcome struct {
		v   js.Value
		err error
	}
	ch := make(chan outcome, 1)
	onOK := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- outcome{v: arg0(a)}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, a []js.Value) any {
		e := arg0(a)
		msg := "rejected"
		if e.Type() == js.TypeObject || e.Type() == js.TypeString {
			msg = e.Call("toString").String()
		}
		ch <- outcome{err: errors.New(msg)}
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	p.Call("then", onOK, onErr)
	o := <-ch
	return o.v, o.err
}

func arg0(a []js.Value) js.Value {
	if len(a) == 0 {
		return js.Undefined()
	}
	return a[0]
}

// newPromise runs f in a goroutine and settles a Promise with its result.
func newPromise(f func() (string, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, a []js.Value) any {
		resolve, reject := a[0], a[1]
		go func() {
			defer executor.Release()
			s, err := f()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(s)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}
