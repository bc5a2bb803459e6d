//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// warmLog is the warm-up gateways' log (see warmGateways).
var warmLog = &logWriter{}

// warmGateways returns the warm-up gateways for cfg (the isolate's
// configuration): the same code on caches and a log of their own, with a public
// route and a token route. The first keeps token records as the isolate's
// gateway does; the second forgets them at once, so that its requests take
// the path of a first request: a KV read and the record's JSON decoding.
func warmGateways(cfg gateway.Config) ([]*gateway.Gateway, error) {
	cfg.Routes = []gateway.Route{{Name: "warmup-public", Prefix: "/public/", Public: true}, {Name: "warmup", Prefix: "/"}}
	cfg.Hosts = nil
	cfg.Logger = slog.New(gateway.NewLogHandler(warmLog, nil))
	var gws []*gateway.Gateway
	for _, opts := range []*gateway.TokenCacheOptions{nil, {TTL: time.Nanosecond, NegativeTTL: time.Nanosecond}} {
		cfg.Tokens = gateway.NewTokenCache(gateway.TokenStoreFunc(kvLookup), opts)
		g, err := gateway.New(cfg)
		if err != nil {
			return nil, err
		}
		gws = append(gws, g)
	}
	return gws, nil
}

// warmup is rampartWarmup(n), called by the glue at module scope after
// rampartConfigure: it runs n requests through the entry points on the
// warm-up gateway, as the glue runs a request, and returns [record,
// request...] for the glue to run a few the same way from JavaScript,
// answering a token step for the record's id with record (null for
// another id) and a limit step through rampartGCRA.
//
// V8 compiles a WebAssembly function on its first call and optimises it
// once it has run enough. What it has only compiled at module scope is
// compiled again in the first request, function by function (a request's
// path is hundreds of them): only the optimised code is still there. So the warm-up runs the path often enough
// for V8 to optimise it while the isolate starts. Nothing of it is kept:
// the warm-up gateway has its own cache, log and ids.
func warmup(_ js.Value, args []js.Value) any {
	n := 0
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		n = args[0].Int()
	}
	tok := "rpt_warmup0000000000_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	unknown := "rpt_unknown000000000_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	// Every field set, as `rampart tokens` writes records: the warm-up
	// decodes each kind of field (see gateway.ParseTokenRecord).
	rec, _ := json.Marshal(gateway.TokenRecord{
		ID: "warmup0000000000", Hash: gateway.HashToken(tok), Tenant: "warmup", Scopes: []string{"read", "*"},
		Rate: 1 << 30, Period: gateway.Duration(time.Second), Burst: 1 << 30,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6e8, time.UTC), ExpiresAt: time.Date(2226, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	req := func(path, tok string) string {
		return strings.Join([]string{"GET", path, "a=1", "warmup.invalid", "https", "HTTP/1.1", "192.0.2.1", "-1",
			"authorization", "Bearer " + tok, "accept", "*/*", "user-agent", "warmup"}, sep)
	}
	reqs := []string{req("/warmup", tok), req("/public/warmup", ""), req("/warmup", tok), req("/warmup", unknown)}
	for i := range n {
		if i == n-n/8 {
			// Collect the start's garbage here rather than after the
			// warm-up: a collection empties the allocator's span caches,
			// shrinks idle stacks and clears sync.Pools, and refilling
			// them in the first request would run code the warm-up ran
			// too rarely for V8 to optimise (so compiled again there). The
			// last eighth of the warm-up refills them.
			runtime.GC()
			warmCollected = true
		}
		// The token requests alternate between the gateway that keeps the
		// record and the one that reads it each time,
		// and latencies vary as real ones do: the access record formats
		// them, and a zero takes a shortcut past the float formatting.
		latency := float64(i%7) + float64(i%3)*0.25
		if err := warmRequest(uint32(1+i/len(reqs)%2), string(rec), "warmup0000000000", reqs[i%len(reqs)], latency); err != nil {
			return js.Global().Get("Error").New("rampartWarmup: " + err.Error())
		}
	}
	logger.Info("gateway warmed up", "requests", n)
	out := []any{string(rec)}
	for _, r := range reqs {
		out = append(out, r)
	}
	return out
}

// warmRequest runs req on the warm-up gateway warm (1 or 2) through rampartStart, rampartResume, rampartGCRA,
// rampartDone and rampartLogs as the glue does, with the bindings answered
// in place: record for the token id recordID, a fresh bucket's decision
// for a limit; latencyMs is the latency rampartDone logs.
func warmRequest(warm uint32, record, recordID, req string, latencyMs float64) error {
	n := answer(req)
	idBytes = warmID // no randomness at module scope
	step := take(start(n, warm))
	for step != "" && (step[0] == 'T' || step[0] == 'L') {
		f := strings.Split(step[1:], sep)
		id, _ := strconv.ParseUint(f[0], 10, 32)
		switch {
		case step[0] == 'T' && f[1] == recordID:
			step = take(resume(uint32(id), answer(record), answerValue))
		case step[0] == 'T':
			step = take(resume(uint32(id), 0, answerNull))
		default:
			out := take(gcra(answer(strings.Join([]string{f[2], f[3], f[4], "0", "1700000000000000000"}, sep))))
			step = take(resume(uint32(id), answer(out[strings.IndexByte(out, 0)+1:]), answerValue))
		}
	}
	if step == "" || step[0] != 'R' {
		return errors.New("step " + step)
	}
	// The result begins {"id":N, (appendResult): read N without
	// encoding/json, whose reflection the request path never runs.
	idText, _, _ := strings.Cut(strings.TrimPrefix(step, `R{"id":`), ",")
	id, err := strconv.ParseUint(idText, 10, 32)
	if err != nil {
		return errors.New("result " + step)
	}
	done(uint32(id), 200, latencyMs, 0, -1)
	logs()
	warmLog.buf = warmLog.buf[:0]
	return nil
}

// warmID is the warm-up requests' id bytes (see idBytes).
var warmID = [16]byte{'w', 'a', 'r', 'm'}

// take reads an n-byte answer from the exchange buffer.
func take(n uint32) string { return string(exchange[:n]) }
