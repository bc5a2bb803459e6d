package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// TestLogHandler_sameBytesAsJSONHandler writes the same records through
// NewLogHandler and slog.NewJSONHandler: every line must be identical,
// for the access log's flat records (its fast path) and for everything
// it hands to slog.
func TestLogHandler_sameBytesAsJSONHandler(t *testing.T) {
	strs := []string{"", "plain", `quo"te\back`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "<a href='x'>&amp;</a>",
		"héllo wörld ✓", "\xff\xfe bad utf8 \xc3", "line\u2028sep\u2029", "emoji 🎉", strings.Repeat("x", 5000)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		strs = append(strs, string(b))
	}
	floats := []float64{0, math.Copysign(0, -1), 0.001, 0.123, 1.5, 123.456, 1e-6, 1e-7, 1e20, 1e21, 1e300, math.NaN(), math.Inf(1), -42.25}
	when := time.Date(2026, 12, 2, 15, 4, 5, 123456789, time.UTC)
	type rec struct {
		t     time.Time
		level slog.Level
		msg   string
		attrs []slog.Attr
	}
	var recs []rec
	for i, s := range strs {
		recs = append(recs, rec{when.Add(time.Duration(i) * time.Millisecond), slog.LevelInfo, "access", []slog.Attr{
			slog.String("request_id", s), slog.String(s+"k", "v"), slog.Int("status", 200+i), slog.Float64("latency_ms", floats[i%len(floats)]),
		}})
	}
	recs = append(recs,
		rec{time.Time{}, slog.LevelError, "no time", []slog.Attr{slog.Bool("b", true), slog.Uint64("u", math.MaxUint64), slog.Duration("d", 1500*time.Millisecond), slog.Int64("n", math.MinInt64)}},
		rec{when, slog.LevelWarn + 2, "levels", nil},
		rec{when, slog.LevelDebug - 1, "levels", nil},
		rec{when, slog.LevelInfo, "any", []slog.Attr{slog.Any("err", errors.New("boom")), slog.Any("m", map[string]int{"a": 1})}},
		rec{when, slog.LevelInfo, "group", []slog.Attr{slog.Group("g", slog.String("a", "b")), slog.Group("", slog.Int("inline", 1))}},
		rec{when, slog.LevelInfo, "time attr", []slog.Attr{slog.Time("at", when)}},
		rec{when, slog.LevelInfo, "empty attr", []slog.Attr{{}, slog.String("after", "x")}},
		rec{time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "far future", nil},
	)
	for _, f := range floats {
		recs = append(recs, rec{when, slog.LevelInfo, "float", []slog.Attr{slog.Float64("f", f)}})
	}
	for _, opts := range []*slog.HandlerOptions{nil, {Level: slog.LevelDebug}, {AddSource: true}} {
		var fast, std bytes.Buffer
		hf, hs := gateway.NewLogHandler(&fast, opts), slog.NewJSONHandler(&std, opts)
		for _, r := range recs {
			for _, pair := range [][2]slog.Handler{{hf, hs}, {hf.WithAttrs([]slog.Attr{slog.String("with", "x")}), hs.WithAttrs([]slog.Attr{slog.String("with", "x")})}, {hf.WithGroup("grp"), hs.WithGroup("grp")}} {
				for i, h := range pair {
					if !h.Enabled(context.Background(), r.level) {
						continue
					}
					sr := slog.NewRecord(r.t, r.level, r.msg, 0)
					sr.AddAttrs(r.attrs...)
					if err := h.Handle(context.Background(), sr); err != nil {
						t.Fatalf("handler %d: %v", i, err)
					}
				}
			}
		}
		if fast.Len() == 0 || fast.String() != std.String() {
			fl, sl := strings.Split(fast.String(), "\n"), strings.Split(std.String(), "\n")
			for i := range min(len(fl), len(sl)) {
				if fl[i] != sl[i] {
					t.Fatalf("opts %+v: line %d differs:\nfast %q\nslog %q", opts, i, fl[i], sl[i])
				}
			}
			t.Fatalf("opts %+v: %d lines, slog %d", opts, len(fl), len(sl))
		}
	}
}

// TestLogAccess_sameBytesAsJSONHandler checks the access record's own path
// through NewLogHandler (no slog.Record) against slog's JSON handler: the
// same bytes but the time, for refusals and forwards, odd strings, extra
// attributes, and an extra attribute that is not flat (slog's path); and
// that the record costs no allocation there.
func TestLogAccess_sameBytesAsJSONHandler(t *testing.T) {
	var fast, std bytes.Buffer
	gf, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/", Public: true}}, Logger: slog.New(gateway.NewLogHandler(&fast, nil))})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/", Public: true}}, Logger: slog.New(slog.NewJSONHandler(&std, nil))})
	if err != nil {
		t.Fatal(err)
	}
	odd := []string{"", "plain", `quo"te\back`, "tab\tnl\n", "\x00\x7f", "<a>&", "héllo ✓", "\xff bad", "line\u2028sep"}
	n := 0
	for i, s := range odd {
		req := &gateway.Request{Method: "GET", Path: "/p" + s, RemoteAddr: s}
		for _, res := range []*gateway.Result{
			{RequestID: "id" + s, Route: "r" + s, TokenID: s, Tenant: s, Client: s},
			{RequestID: "id", Err: &gateway.Error{Status: 401, Code: gateway.CodeInvalidToken}, AuthError: gateway.AuthUnknownID + s},
			{RequestID: "id", Err: &gateway.Error{Status: 503, Code: gateway.CodeUnavailable}},
		} {
			for _, extra := range [][]slog.Attr{nil, {slog.Int64("bytes_sent", int64(i)), slog.String("k"+s, s)}, {slog.Any("m", map[string]int{"a": 1})}, {{}}} {
				for _, latency := range []time.Duration{0, 1500 * time.Microsecond, time.Duration(i) * time.Hour} {
					gf.LogAccess(context.Background(), req, res, 200+i, latency, extra...)
					gs.LogAccess(context.Background(), req, res, 200+i, latency, extra...)
					n++
				}
			}
		}
	}
	stamp := regexp.MustCompile(`^\{"time":"[^"]+",`)
	fl, sl := strings.Split(fast.String(), "\n"), strings.Split(std.String(), "\n")
	if len(fl) != n+1 || len(sl) != n+1 {
		t.Fatalf("%d and %d lines, want %d", len(fl)-1, len(sl)-1, n)
	}
	for i := range fl {
		if f, s := stamp.ReplaceAllString(fl[i], "{"), stamp.ReplaceAllString(sl[i], "{"); f != s {
			t.Fatalf("line %d differs:\nfast %q\nslog %q", i, fl[i], sl[i])
		}
	}
	g, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/", Public: true}}, Logger: slog.New(gateway.NewLogHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	req, res := &gateway.Request{Method: "GET", Path: "/x"}, &gateway.Result{RequestID: "id", Err: &gateway.Error{Status: 429, Code: gateway.CodeRateLimited}, AuthError: gateway.AuthThrottled}
	extra := []slog.Attr{slog.Int64("bytes_sent", 5)}
	if a := testing.AllocsPerRun(100, func() { g.LogAccess(context.Background(), req, res, 429, time.Millisecond, extra...) }); a != 0 {
		t.Errorf("an access record through NewLogHandler allocates %v times, want 0 (its own path)", a)
	}
}
