package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
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
