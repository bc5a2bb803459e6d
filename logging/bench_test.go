package logging_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/logging"
)

// logOne is the record both benchmarks write: a message and three attributes.
func logOne(ctx context.Context, l *slog.Logger) {
	l.LogAttrs(ctx, slog.LevelInfo, "order stored", slog.String("order", "o-1842"), slog.Int("items", 3), slog.Float64("total", 12.5))
}

// BenchmarkJSONHandler is the baseline: slog's JSON handler alone.
func BenchmarkJSONHandler(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	ctx := invocationCtx("c6af9ac6-7b61-11e6-9a41-93e812345678", "")
	b.ReportAllocs()
	for b.Loop() {
		logOne(ctx, l)
	}
}

// BenchmarkHandler writes the same record through the Lambda handler inside
// a started invocation: function, request, cold start, trace and
// correlation attributes are added, and keys are checked for secrets.
func BenchmarkHandler(b *testing.B) {
	b.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	b.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
	b.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
	h := logging.NewJSONHandler(io.Discard, nil)
	l := slog.New(h)
	ctx := h.Start(invocationCtx("c6af9ac6-7b61-11e6-9a41-93e812345678", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
		[]byte(`{"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","eventSource":"aws:sqs"}]}`))
	b.ReportAllocs()
	for b.Loop() {
		logOne(ctx, l)
	}
}

// BenchmarkHandler_parallel is BenchmarkHandler with every core logging in
// the same invocation, as a parallel batch does.
func BenchmarkHandler_parallel(b *testing.B) {
	h := logging.NewJSONHandler(io.Discard, nil)
	l := slog.New(h)
	ctx := h.Start(invocationCtx("r", ""), nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			logOne(ctx, l)
		}
	})
}

// BenchmarkStart is the once-per-invocation cost of Start on an SQS event.
func BenchmarkStart(b *testing.B) {
	h := logging.NewJSONHandler(io.Discard, nil)
	ctx := invocationCtx("r", "Root=1-5759e988-bd862e3fe1be46a994272793")
	payload := testenv.LambdaEvent(b, "sqs-event.json")
	b.ReportAllocs()
	for b.Loop() {
		h.Start(ctx, payload)
	}
}

// BenchmarkHandler_lambdaKeys is BenchmarkHandler with Options.ReplaceAttr
// set to ReplaceAttr (Lambda's managed-runtime key names): the price of any
// ReplaceAttr in slog's JSON handler.
func BenchmarkHandler_lambdaKeys(b *testing.B) {
	h := logging.NewJSONHandler(io.Discard, &logging.Options{ReplaceAttr: logging.ReplaceAttr})
	l := slog.New(h)
	ctx := h.Start(invocationCtx("c6af9ac6-7b61-11e6-9a41-93e812345678", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
		[]byte(`{"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","eventSource":"aws:sqs"}]}`))
	b.ReportAllocs()
	for b.Loop() {
		logOne(ctx, l)
	}
}
