package httpproxy_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway/httpproxy"
)

// BenchmarkLogHandler compares the server's log handler
// (gateway.NewLogHandler, whose equivalence with slog's JSON handler
// package gateway tests) with slog's JSON handler on an access record.
func BenchmarkLogHandler(b *testing.B) {
	attrs := []slog.Attr{
		slog.String("request_id", "0123456789abcdef0123456789abcdef"), slog.String("method", "GET"), slog.String("path", "/api/bench"),
		slog.String("route", "default"), slog.String("token_id", "33b3bf894fdea74f"), slog.String("tenant", "bench"),
		slog.String("client", "127.0.0.1"), slog.Int("status", 200), slog.Float64("latency_ms", 0.123),
	}
	for _, tc := range []struct {
		name string
		h    slog.Handler
	}{{"fast", httpproxy.NewLogHandler(discard{}, nil)}, {"slog", slog.NewJSONHandler(discard{}, nil)}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "access", 0)
				r.AddAttrs(attrs...)
				_ = tc.h.Handle(context.Background(), r)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
