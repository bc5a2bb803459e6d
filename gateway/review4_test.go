package gateway_test

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// TestReview4_tokenAsAQueryParameterName: a Rampart token is removed from
// the forwarded query as a parameter's name too, not only as its value: a
// bare "?rpt_..." (a client appending its token to "?"), "rpt_...=1", the
// name percent-encoded, or inside a bracketed name ("x[rpt_...]=1") never
// reach the origin, or its access log, with the secret (before 6071a6a
// they all did).
func TestReview4_tokenAsAQueryParameterName(t *testing.T) {
	tok := "rpt_0123456789abcdef_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
	if _, _, err := gateway.ParseToken(tok); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		tok,
		tok + "=1",
		"a=1&" + tok,
		"%72pt_" + tok[4:] + "=1",
		"x[" + tok + "]=1",
	} {
		got := gateway.StripQuery(q, gateway.DefaultStripQuery)
		if strings.Contains(got, tok[4:]) {
			t.Errorf("StripQuery(%q) = %q: the token's secret is forwarded", q, got)
		}
	}
}

// TestReview4_logHandlerIsSlogsJSONByteForByte: gateway.NewLogHandler
// (the access log on both targets since 171abae) writes what slog's JSON
// handler writes, for records whose strings hold anything a client can put
// in a path, a reason or a field: quotes, backslashes, control bytes,
// invalid UTF-8, U+2028, HTML's <>&, NUL; and for the number kinds at
// their edges. A difference would be a broken or injected log line.
func TestReview4_logHandlerIsSlogsJSONByteForByte(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(17, 4))
	alphabet := []string{"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\x00", "\x01", "\x1f", "\x7f", "<", ">", "&", "\u2028", "\u2029", "é", "€", "😀", "\xff", "\xc3", "\xe2\x80", "\ufffd", "%0A", "{", "}", ":", ","}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.001, 0.000001, 0.0000011, 1e20, 999999999999999999999, 1e21, 123.456, -7.25, math.SmallestNonzeroFloat64, math.MaxFloat64, math.Inf(1), math.NaN()}
	at := time.Date(2026, 12, 2, 19, 0, 0, 123456789, time.UTC)
	for i := range 3000 {
		r := slog.NewRecord(at.Add(time.Duration(i)*time.Microsecond), slog.Level(rng.IntN(16)-8), str(), 0)
		for range rng.IntN(6) {
			k := str()
			switch rng.IntN(7) {
			case 0, 1, 2:
				r.AddAttrs(slog.String(k, str()))
			case 3:
				r.AddAttrs(slog.Int64(k, rng.Int64()-rng.Int64()))
			case 4:
				r.AddAttrs(slog.Float64(k, floats[rng.IntN(len(floats))]))
			case 5:
				r.AddAttrs(slog.Bool(k, rng.IntN(2) == 0), slog.Duration(k, time.Duration(rng.Int64())))
			case 6:
				r.AddAttrs(slog.Uint64(k, rng.Uint64()))
			}
		}
		var got, want bytes.Buffer
		opts := &slog.HandlerOptions{Level: slog.Level(-100)}
		if err := gateway.NewLogHandler(&got, opts).Handle(context.Background(), r.Clone()); err != nil {
			t.Fatal(err)
		}
		if err := slog.NewJSONHandler(&want, opts).Handle(context.Background(), r.Clone()); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("record %d:\n got %q\nwant %q", i, got.String(), want.String())
		}
	}
}

// TestReview4_logAccessFastPathIsSlogsJSON: LogAccess writes the access
// record itself when the logger's handler is NewLogHandler's (ab20b27);
// for hostile paths, ids, clients and extra attributes, and latencies of
// any size, its line is what the same call writes through slog's JSON
// handler (the time aside, which LogAccess reads itself).
func TestReview4_logAccessFastPathIsSlogsJSON(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(23, 5))
	alphabet := []string{"a", "/", "%0A", "\"", "\\", "\n", "\x00", "\x7f", "<", "&", "\u2028", "é", "\xff", "\xe2\x80", "😀", " "}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(10) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	var fast, slow bytes.Buffer
	newGW := func(h slog.Handler) *gateway.Gateway {
		g, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/", Public: true}}, Logger: slog.New(h)})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	gf := newGW(gateway.NewLogHandler(&fast, nil))
	gs := newGW(slog.NewJSONHandler(&slow, nil))
	latencies := []time.Duration{0, time.Nanosecond, 999, time.Microsecond, 1234567, time.Hour, -time.Millisecond, 1 << 62, time.Duration(-1 << 62)}
	stripTime := regexp.MustCompile(`^\{"time":"[^"]*",`)
	for i := range 2000 {
		req := &gateway.Request{Method: str(), Path: str()}
		res := &gateway.Result{RequestID: str(), Route: str(), TokenID: str(), Tenant: str(), Client: str(), AuthError: str()}
		if rng.IntN(2) == 0 {
			res.Err = &gateway.Error{Status: 400 + rng.IntN(200), Code: str()}
		}
		var extra []slog.Attr
		for range rng.IntN(4) {
			switch rng.IntN(4) {
			case 0:
				extra = append(extra, slog.String(str(), str()))
			case 1:
				extra = append(extra, slog.Int64(str(), rng.Int64()-rng.Int64()))
			case 2:
				extra = append(extra, slog.Float64(str(), float64(rng.Int64())/float64(1+rng.IntN(1000))))
			case 3:
				extra = append(extra, slog.Group(str(), slog.String(str(), str())))
			}
		}
		lat := latencies[rng.IntN(len(latencies))]
		status := rng.IntN(600)
		fast.Reset()
		slow.Reset()
		gf.LogAccess(context.Background(), req, res, status, lat, extra...)
		gs.LogAccess(context.Background(), req, res, status, lat, extra...)
		got, want := stripTime.ReplaceAllString(fast.String(), "{"), stripTime.ReplaceAllString(slow.String(), "{")
		if got != want {
			t.Fatalf("record %d:\n got %q\nwant %q", i, got, want)
		}
	}
}
