package logging_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"

	"github.com/rampartdev/rampart/internal/testenv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/logging"
)

// parseLines decodes one JSON object per line.
func parseLines(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// invocationCtx is the context aws-lambda-go's invoke loop gives a handler.
func invocationCtx(requestID, trace string) context.Context {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       requestID,
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:orders:live",
	})
	//lint:ignore SA1029 the key aws-lambda-go uses
	return context.WithValue(ctx, "x-amzn-trace-id", trace)
}

// ctxHandler passes a fixed context to h, so that slogtest (which logs
// without one) exercises the invocation path.
type ctxHandler struct {
	ctx context.Context
	h   slog.Handler
}

func (c ctxHandler) Enabled(_ context.Context, l slog.Level) bool  { return c.h.Enabled(c.ctx, l) }
func (c ctxHandler) Handle(_ context.Context, r slog.Record) error { return c.h.Handle(c.ctx, r) }
func (c ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ctxHandler{c.ctx, c.h.WithAttrs(as)}
}
func (c ctxHandler) WithGroup(n string) slog.Handler { return ctxHandler{c.ctx, c.h.WithGroup(n)} }

func TestHandler_slogtest(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	for _, tc := range []struct {
		name   string
		wrap   func(h *logging.Handler) slog.Handler
		inner  func(w *bytes.Buffer) *logging.Handler
		rename bool
	}{
		{"wrapped JSON, no invocation", func(h *logging.Handler) slog.Handler { return h },
			func(w *bytes.Buffer) *logging.Handler { return logging.NewHandler(slog.NewJSONHandler(w, nil), nil) }, false},
		{"wrapped JSON, in an invocation", func(h *logging.Handler) slog.Handler {
			return ctxHandler{h.Start(invocationCtx("req-1", "Root=1-2-3"), []byte(`{"id":"e","detail-type":"x"}`)), h}
		}, func(w *bytes.Buffer) *logging.Handler { return logging.NewHandler(slog.NewJSONHandler(w, nil), nil) }, false},
		{"NewJSONHandler, in an invocation", func(h *logging.Handler) slog.Handler {
			return ctxHandler{h.Start(invocationCtx("req-1", ""), nil), h}
		}, func(w *bytes.Buffer) *logging.Handler { return logging.NewJSONHandler(w, nil) }, false},
		{"NewJSONHandler with Lambda's key names, in an invocation", func(h *logging.Handler) slog.Handler {
			return ctxHandler{h.Start(invocationCtx("req-1", ""), nil), h}
		}, func(w *bytes.Buffer) *logging.Handler {
			return logging.NewJSONHandler(w, &logging.Options{ReplaceAttr: logging.ReplaceAttr})
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			slogtest.Run(t, func(*testing.T) slog.Handler {
				buf.Reset()
				return tc.wrap(tc.inner(&buf))
			}, func(t *testing.T) map[string]any {
				lines := parseLines(t, buf.Bytes())
				if len(lines) != 1 {
					t.Fatalf("got %d lines, want 1", len(lines))
				}
				m := lines[0]
				if m["function_name"] != "orders" {
					t.Errorf("function_name = %v", m["function_name"])
				}
				if tc.rename { // map Lambda's key names back to slog's
					for from, to := range map[string]string{"timestamp": slog.TimeKey, "message": slog.MessageKey} {
						if v, ok := m[from]; ok {
							m[to] = v
							delete(m, from)
						}
					}
				}
				return m
			})
		})
	}
}

// invoke runs payload through aws-lambda-go's invocation path with a logging
// Handler started on it, and returns the log lines fn wrote.
func invoke[T any](t *testing.T, opts *logging.Options, requestID string, payload []byte, fn func(context.Context, *slog.Logger, T)) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	h := logging.NewJSONHandler(&buf, opts)
	logger := slog.New(h)
	lh := lambda.NewHandler(func(ctx context.Context, ev T) error {
		fn(ctx, logger, ev)
		return nil
	})
	ctx := h.Start(invocationCtx(requestID, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"), payload)
	if _, err := lh.Invoke(ctx, payload); err != nil {
		t.Fatal(err)
	}
	return parseLines(t, buf.Bytes())
}

func TestHandler_lambdaContext(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	t.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
	t.Setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
	logging.ResetColdStart()
	payload := testenv.LambdaEvent(t, "sqs-event.json")
	log := func(ctx context.Context, l *slog.Logger, ev events.SQSEvent) {
		l.WithGroup("g").InfoContext(ctx, "processing", "records", len(ev.Records))
	}
	first := invoke(t, nil, "req-1", payload, log)
	second := invoke(t, nil, "req-2", payload, log)
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("got %d and %d lines, want 1 each", len(first), len(second))
	}
	want := map[string]any{
		"level": "INFO", "msg": "processing",
		"function_name": "orders", "function_version": "7", "function_memory_size": float64(512),
		"function_arn": "arn:aws:lambda:us-east-1:123456789012:function:orders:live",
		"requestId":    "req-1", "cold_start": true,
		"xray_trace_id":  "1-5759e988-bd862e3fe1be46a994272793",
		"correlation_id": "MessageID_1",
		"g":              map[string]any{"records": float64(1)},
	}
	for k, v := range want {
		if got := first[0][k]; !jsonEqual(got, v) {
			t.Errorf("first invocation: %s = %v, want %v", k, got, v)
		}
	}
	if _, ok := first[0]["time"]; !ok {
		t.Error("no timestamp")
	}
	if second[0]["cold_start"] != false || second[0]["requestId"] != "req-2" {
		t.Errorf("second invocation: cold_start = %v, requestId = %v; want false, req-2", second[0]["cold_start"], second[0]["requestId"])
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestHandler_provisionedConcurrencyIsNotCold(t *testing.T) {
	t.Setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
	logging.ResetColdStart()
	lines := invoke(t, nil, "r", []byte(`{}`), func(ctx context.Context, l *slog.Logger, _ json.RawMessage) { l.InfoContext(ctx, "x") })
	if lines[0]["cold_start"] != false {
		t.Errorf("cold_start = %v under provisioned concurrency, want false", lines[0]["cold_start"])
	}
}

// TestCorrelationID runs the real samples through the invocation path.
func TestCorrelationID(t *testing.T) {
	for _, tc := range []struct{ sample, want string }{
		{"apigw-request.json", "deef4878-7910-11e6-8f14-25afc3e9ae33"},
		{"apigw-v2-request-no-authorizer.json", "LV7fzho-PHcEJPw="},
		{"apigw-websocket-request.json", "deef4878-7910-11e6-8f14-25afc3e9ae33"},
		{"lambda-urls-request.json", "id"},
		{"s3-event.json", "C3D13FE58DE4C810"},
		{"sqs-event.json", "MessageID_1"},
		{"sns-event.json", "95df01b4-ee98-5cb9-9903-4c221d41eb5e"},
		{"kinesis-event.json", "shardId-000000000000:49568167373333333333333333333333333333333333333333333333"},
		{"dynamodb-event.json", "f07f8ca4b0b26cb9c4e5e77e69f274ee"},
		{"codebuild-state-change.json", "c030038d-8c4d-6141-9545-00ff7b7153EX"},
		{"cognito-event.json", ""},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			payload := testenv.LambdaEvent(t, tc.sample)
			lines := invoke(t, nil, "r", payload, func(ctx context.Context, l *slog.Logger, _ json.RawMessage) { l.InfoContext(ctx, "x") })
			got, _ := lines[0]["correlation_id"].(string)
			if got != tc.want {
				t.Errorf("correlation_id = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("custom extractor", func(t *testing.T) {
		opts := &logging.Options{Correlation: func(p []byte) string { return "custom-" + string(p[:2]) }}
		lines := invoke(t, opts, "r", []byte(`{}`), func(ctx context.Context, l *slog.Logger, _ json.RawMessage) { l.InfoContext(ctx, "x") })
		if got := lines[0]["correlation_id"]; got != "custom-{}" {
			t.Errorf("correlation_id = %v", got)
		}
	})
}

func TestWithCorrelationID(t *testing.T) {
	var buf bytes.Buffer
	h := logging.NewJSONHandler(&buf, nil)
	l := slog.New(h).With("k", "v")
	ctx := h.Start(invocationCtx("r", ""), testenv.LambdaEvent(t, "sqs-event.json"))
	l.InfoContext(logging.WithCorrelationID(ctx, "MessageID_2"), "record")
	l.InfoContext(ctx, "batch")
	lines := parseLines(t, buf.Bytes())
	if lines[0]["correlation_id"] != "MessageID_2" || lines[1]["correlation_id"] != "MessageID_1" {
		t.Errorf("correlation ids = %v, %v; want MessageID_2, MessageID_1", lines[0]["correlation_id"], lines[1]["correlation_id"])
	}
	if lines[0]["k"] != "v" || lines[0]["requestId"] != "r" {
		t.Errorf("record line lost attributes: %v", lines[0])
	}
}

func TestHandler_level(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		opts      *logging.Options
		rand      float64
		want      []string // messages written
	}{
		{"default INFO", "", nil, 0, []string{"info", "warn"}},
		{"env WARN", "WARN", nil, 0, []string{"warn"}},
		{"env TRACE", "trace", nil, 0, []string{"trace", "debug", "info", "warn"}},
		{"option wins over env", "ERROR", &logging.Options{Level: slog.LevelDebug}, 0, []string{"debug", "info", "warn"}},
		{"invalid env means INFO", "LOUD", nil, 0, []string{"info", "warn"}},
		{"sampled invocation logs DEBUG", "WARN", &logging.Options{DebugSampleRate: 0.25}, 0.2, []string{"debug", "info", "warn"}},
		{"unsampled invocation", "WARN", &logging.Options{DebugSampleRate: 0.25}, 0.3, []string{"warn"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_LAMBDA_LOG_LEVEL", tc.env)
			opts := tc.opts
			if opts == nil {
				opts = &logging.Options{}
			}
			opts.Rand = func() float64 { return tc.rand }
			opts.ReplaceAttr = logging.ReplaceAttr // level names as Lambda spells them
			var buf bytes.Buffer
			h := logging.NewJSONHandler(&buf, opts)
			l := slog.New(h)
			ctx := h.Start(invocationCtx("r", ""), nil)
			l.Log(ctx, logging.LevelTrace, "trace")
			l.DebugContext(ctx, "debug")
			l.InfoContext(ctx, "info")
			l.WarnContext(ctx, "warn")
			var got []string
			for _, m := range parseLines(t, buf.Bytes()) {
				got = append(got, m["message"].(string))
				if lv := strings.ToUpper(m["message"].(string)); m["level"] != lv {
					t.Errorf("level = %v, want %s", m["level"], lv)
				}
				if _, sampled := m["debug_sampled"]; sampled != (tc.rand < opts.DebugSampleRate) {
					t.Errorf("debug_sampled present = %v", sampled)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("wrote %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"TRACE": logging.LevelTrace, "debug": slog.LevelDebug, "Info": slog.LevelInfo, "WARN": slog.LevelWarn, "error": slog.LevelError, "FATAL": logging.LevelFatal} {
		if got, err := logging.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := logging.ParseLevel("verbose"); err == nil {
		t.Error("ParseLevel(verbose) succeeded")
	}
}

type secretValuer struct{}

func (secretValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", "ann"), slog.String("password", "hunter2"))
}

func TestHandler_redaction(t *testing.T) {
	var buf bytes.Buffer
	h := logging.NewJSONHandler(&buf, &logging.Options{RedactKeys: []string{"ssn"}})
	l := slog.New(h).With("Authorization", "Bearer abc", "user", "ann")
	ctx := h.Start(invocationCtx("r", ""), nil)
	var apigw events.APIGatewayProxyRequest
	if err := json.Unmarshal(testenv.LambdaEvent(t, "apigw-request.json"), &apigw); err != nil {
		t.Fatal(err)
	}
	apigw.Headers["Authorization"] = "Bearer xyz"
	l.InfoContext(ctx, "req",
		"headers", apigw.Headers,
		"http", http.Header{"X-Api-Key": {"k1"}, "Accept": {"*/*"}},
		slog.Group("login", "PASSWORD", "p", "name", "bob"),
		"SSN", "078-05-1120", "access_token", "t", "valuer", secretValuer{},
		"note", "token-free text stays")
	m := parseLines(t, buf.Bytes())[0]
	out := buf.String()
	for _, secret := range []string{"abc", "xyz", "k1", `"p"`, "078-05-1120", `"t"`, "hunter2"} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %s leaked: %s", secret, out)
		}
	}
	if m["user"] != "ann" || m["note"] != "token-free text stays" {
		t.Errorf("non-secret attributes changed: %v", m)
	}
	if got := m["headers"].(map[string]any)["Accept"]; got == logging.Redacted || got == nil {
		t.Errorf("Accept header = %v", got)
	}
	if m["Authorization"] != logging.Redacted {
		t.Errorf("Authorization = %v", m["Authorization"])
	}
}

func TestHandler_concurrentInvocations(t *testing.T) {
	var buf testingutil.Buffer
	h := logging.NewJSONHandler(&buf, nil)
	l := slog.New(h)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			id := string(rune('a' + i))
			ctx := h.Start(invocationCtx(id, ""), nil)
			for range 50 {
				l.With("i", i).InfoContext(ctx, "m", "id", id)
			}
		})
	}
	wg.Wait()
	lines := parseLines(t, buf.Bytes())
	if len(lines) != 400 {
		t.Fatalf("got %d lines, want 400", len(lines))
	}
	for _, m := range lines {
		if m["requestId"] != m["id"] {
			t.Fatalf("record of %v carries requestId %v", m["id"], m["requestId"])
		}
	}
}
