package middleware_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/internal/testenv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/metrics"
	"github.com/rampartdev/rampart/middleware"
)

// output collects what the logger and the metrics recorder write.
type output struct{ testingutil.Buffer }

// lines returns the JSON lines written so far, and forgets them.
func (o *output) lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(o.Take()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func find(lines []map[string]any, key string, value any) map[string]any {
	for _, l := range lines {
		if l[key] == value {
			return l
		}
	}
	return nil
}

// lambdaCtx is the context aws-lambda-go's runtime gives an invocation.
func lambdaCtx(t testing.TB, requestID string, timeout time.Duration) context.Context {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: requestID})
	ctx, cancel := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

func setup(t testing.TB, margin time.Duration) (*output, *middleware.Options) {
	t.Helper()
	out := &output{}
	rec, err := metrics.New(out, &metrics.Options{Namespace: "Rampart/Test"})
	if err != nil {
		t.Fatal(err)
	}
	return out, &middleware.Options{Logger: slog.New(logging.NewJSONHandler(out, nil)), Metrics: rec, TimeoutMargin: margin}
}

func TestWrap_SQSBatch(t *testing.T) {
	out, opts := setup(t, 0)
	logger := opts.Logger
	process := func(ctx context.Context, m events.SQSMessage) error {
		logger.InfoContext(ctx, "processing", "body", m.Body)
		metrics.FromContext(ctx).Add("Processed", metrics.Count, 1)
		if m.Body == "bad" {
			return errors.New("bad message")
		}
		return nil
	}
	h := middleware.Wrap(batch.SQSHandler(process, &batch.Options[events.SQSMessage]{Logger: logger}), opts)

	var ev events.SQSEvent
	if err := json.Unmarshal(testenv.LambdaEvent(t, "sqs-event.json"), &ev); err != nil {
		t.Fatal(err)
	}
	bad := ev.Records[0]
	bad.MessageId, bad.Body = "MessageID_2", "bad"
	ev.Records = append(ev.Records, bad)
	payload, _ := json.Marshal(ev)

	for i, id := range []string{"req-1", "req-2"} {
		resp, err := h.Invoke(lambdaCtx(t, id, time.Minute), payload)
		if err != nil {
			t.Fatal(err)
		}
		if string(resp) != `{"batchItemFailures":[{"itemIdentifier":"MessageID_2"}]}` {
			t.Errorf("response = %s", resp)
		}
		lines := out.lines(t)
		good := find(lines, "body", "Message Body")
		if good == nil || good["requestId"] != id || good["correlation_id"] != "MessageID_1" {
			t.Fatalf("record log = %v", good)
		}
		if cs, ok := good["cold_start"].(bool); !ok || (i == 1 && cs) {
			t.Errorf("invocation %d: cold_start = %v", i+1, good["cold_start"])
		}
		failed := find(lines, "msg", "batch: record failed")
		if failed == nil || failed["correlation_id"] != "MessageID_2" || failed["level"] != "ERROR" || failed["requestId"] != id {
			t.Errorf("failure log = %v", failed)
		}
		emf := find(lines, "requestId", id)
		for _, l := range lines {
			if _, ok := l["_aws"]; ok && l["Processed"] != nil {
				emf = l
			}
		}
		if emf == nil || emf["_aws"] == nil || len(emf["Processed"].([]any)) != 2 {
			t.Errorf("metrics document = %v", emf)
		}
	}
}

// TestWrap_deadlineGuard runs in a synctest bubble: the guard's timer fires
// exactly at the deadline less the margin, however loaded the machine.
func TestWrap_deadlineGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, opts := setup(t, 300*time.Millisecond)
		var cause error
		var left time.Duration
		h := middleware.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
			<-ctx.Done()
			cause = context.Cause(ctx)
			d, _ := ctx.Deadline()
			left = time.Until(d)
			return "", ctx.Err()
		}, opts)
		ctx := lambdaCtx(t, "req-slow", 1500*time.Millisecond)
		start := time.Now()
		_, err := h.Invoke(ctx, []byte(`{}`))
		if !errors.Is(err, context.DeadlineExceeded) || cause != middleware.ErrTimeoutImminent {
			t.Fatalf("err = %v, cause = %v; want DeadlineExceeded caused by ErrTimeoutImminent", err, cause)
		}
		if el := time.Since(start); el != 1200*time.Millisecond || ctx.Err() != nil {
			t.Errorf("the guard fired after %v (invocation context: %v); want 1.2 s, 300 ms before the deadline", el, ctx.Err())
		}
		if left > 0 {
			t.Errorf("handler saw %v left on its context after cancellation", left)
		}
		lines := out.lines(t)
		warn := find(lines, "msg", "timeout imminent")
		if warn == nil || warn["level"] != "WARN" || warn["requestId"] != "req-slow" || warn["margin_ms"] != float64(300) || warn["remaining_ms"] != float64(300) {
			t.Fatalf("timeout log = %v (all: %v); want margin_ms and remaining_ms 300", warn, lines)
		}
		if failed := find(lines, "msg", "invocation failed"); failed == nil || failed["requestId"] != "req-slow" {
			t.Errorf("no invocation failed record: %v", lines)
		}
	})
}

func TestWrap_marginCappedForShortTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, opts := setup(t, 0) // default margin, 500 ms
		h := middleware.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
			<-ctx.Done()
			return "", nil
		}, opts)
		start := time.Now()
		if _, err := h.Invoke(lambdaCtx(t, "r", 1200*time.Millisecond), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el != 900*time.Millisecond {
			t.Errorf("guard fired after %v of a 1.2 s budget; want 900 ms: the margin capped at a quarter", el)
		}
		lines := out.lines(t)
		if warn := find(lines, "msg", "timeout imminent"); warn["margin_ms"] != float64(300) {
			t.Errorf("timeout log = %v, want margin_ms 300, a quarter of the 1.2 s budget (all: %v)", warn, lines)
		}
	})
}

func TestWrap_noDeadlineNoGuard(t *testing.T) {
	_, opts := setup(t, 0)
	h := middleware.Wrap(func(ctx context.Context, in string) (string, error) {
		if _, ok := ctx.Deadline(); ok {
			return "", errors.New("unexpected deadline")
		}
		return strings.ToUpper(in), nil
	}, opts)
	out, err := h.Invoke(context.Background(), []byte(`"abc"`))
	if err != nil || string(out) != `"ABC"` {
		t.Errorf("Invoke = %s, %v", out, err)
	}
}

// TestWrap_guardReleasesIdempotencyRecord is the point of the guard: a
// handler stopped by it releases its idempotency record, so the retry runs at
// once instead of finding the key in progress until the lease ends.
func TestWrap_guardReleasesIdempotencyRecord(t *testing.T) {
	_, opts := setup(t, 100*time.Millisecond)
	g := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
	calls := 0
	h := middleware.Wrap(idempotency.Handler(g, idempotency.EventBridgeKey, func(ctx context.Context, ev events.EventBridgeEvent) (string, error) {
		calls++
		if calls == 1 {
			<-ctx.Done() // the first attempt is too slow
			return "", ctx.Err()
		}
		return "done " + ev.ID, nil
	}), opts)
	payload := []byte(`{"id":"e-1","source":"orders","detail-type":"OrderPlaced","detail":{}}`)
	if _, err := h.Invoke(lambdaCtx(t, "r1", 400*time.Millisecond), payload); err == nil {
		t.Fatal("first attempt succeeded")
	}
	out, err := h.Invoke(lambdaCtx(t, "r2", time.Minute), payload)
	if err != nil || string(out) != `"done e-1"` {
		t.Fatalf("retry = %s, %v; want the work done (the record was released)", out, err)
	}
	if out, err := h.Invoke(lambdaCtx(t, "r3", time.Minute), payload); err != nil || string(out) != `"done e-1"` || calls != 2 {
		t.Errorf("duplicate = %s, %v after %d calls; want the stored result, 2 calls", out, err, calls)
	}
}

func TestWrap_panicFlushesAndRepanics(t *testing.T) {
	out, opts := setup(t, 0)
	h := middleware.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
		metrics.FromContext(ctx).Add("Started", metrics.Count, 1)
		panic("boom")
	}, opts)
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want boom", v)
			}
		}()
		h.Invoke(lambdaCtx(t, "r", time.Minute), []byte(`{}`))
	}()
	lines := out.lines(t)
	if find(lines, "msg", "handler panicked") == nil {
		t.Errorf("no panic record in %v", lines)
	}
	if find(lines, "Started", float64(1)) == nil {
		t.Errorf("metrics not flushed on panic: %v", lines)
	}
}

// TestWrap_loggers covers the two kinds of Options.Logger: one over a
// logging.Handler (with attributes added by With, which keeps it one) whose
// records carry the invocation, and one over any other slog handler, which
// the middleware wraps for its own records.
func TestWrap_loggers(t *testing.T) {
	failing := func(ctx context.Context, _ json.RawMessage) (string, error) { return "", errors.New("no") }
	t.Run("logging.Handler", func(t *testing.T) {
		out := &output{}
		logger := slog.New(logging.NewJSONHandler(out, nil)).With("service", "orders")
		h := middleware.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
			logger.InfoContext(ctx, "mine")
			return "", nil
		}, &middleware.Options{Logger: logger, TimeoutMargin: -1})
		if _, err := h.Invoke(lambdaCtx(t, "req-a", time.Minute), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if l := find(out.lines(t), "msg", "mine"); l == nil || l["requestId"] != "req-a" || l["service"] != "orders" {
			t.Errorf("handler's record = %v, want requestId req-a and service orders", l)
		}
		if _, err := middleware.Wrap(failing, &middleware.Options{Logger: logger}).Invoke(lambdaCtx(t, "req-b", time.Minute), []byte(`{}`)); err == nil {
			t.Fatal("no error")
		}
		if l := find(out.lines(t), "msg", "invocation failed"); l == nil || l["requestId"] != "req-b" || l["service"] != "orders" {
			t.Errorf("middleware's record = %v, want requestId req-b and service orders", l)
		}
	})
	t.Run("other handler", func(t *testing.T) {
		out := &output{}
		logger := slog.New(slog.NewJSONHandler(out, nil))
		if _, err := middleware.Wrap(failing, &middleware.Options{Logger: logger}).Invoke(lambdaCtx(t, "req-c", time.Minute), []byte(`{}`)); err == nil {
			t.Fatal("no error")
		}
		if l := find(out.lines(t), "msg", "invocation failed"); l == nil || l["requestId"] != "req-c" {
			t.Errorf("middleware's record = %v, want requestId req-c", l)
		}
	})
}

// TestWrap_timeoutWarningFirst: the "timeout imminent" warning is written
// before the cancellation it announces, so it comes before every line the
// cancellation causes (the handler's, then "invocation failed"), on every
// invocation; and the handler's context, and contexts derived from it, end
// as a deadline does.
func TestWrap_timeoutWarningFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, opts := setup(t, 200*time.Millisecond)
		logger := opts.Logger
		var derivedErr, derivedCause, timeoutErr error
		h := middleware.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			timed, cancel2 := context.WithTimeout(ctx, time.Hour)
			defer cancel2()
			<-child.Done()
			<-timed.Done()
			logger.WarnContext(ctx, "handler stopped", "error", ctx.Err().Error())
			derivedErr, derivedCause, timeoutErr = child.Err(), context.Cause(child), timed.Err()
			return "", ctx.Err()
		}, opts)
		for i := range 20 {
			if _, err := h.Invoke(lambdaCtx(t, "req", time.Second), []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("invocation %d: err = %v, want DeadlineExceeded", i, err)
			}
			var order []string
			for _, l := range out.lines(t) {
				if m, _ := l["msg"].(string); m != "" && l["_aws"] == nil {
					order = append(order, m)
				}
			}
			if want := []string{"timeout imminent", "handler stopped", "invocation failed"}; !slices.Equal(order, want) {
				t.Fatalf("invocation %d logged %q, want %q", i, order, want)
			}
		}
		if derivedErr != context.DeadlineExceeded || derivedCause != middleware.ErrTimeoutImminent || timeoutErr != context.DeadlineExceeded {
			t.Errorf("derived contexts: Err %v, Cause %v, WithTimeout's Err %v; want DeadlineExceeded, ErrTimeoutImminent, DeadlineExceeded",
				derivedErr, derivedCause, timeoutErr)
		}
	})
}

// TestWrap_handlerReturnsEndsContext: after a handler returned in time, its
// context is cancelled (context.Canceled, no warning), as a
// context.WithDeadline's cancel func would.
func TestWrap_handlerReturnsEndsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, opts := setup(t, 0)
		var kept context.Context
		h := middleware.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
			kept = ctx
			if dl, _ := ctx.Deadline(); time.Until(dl) != 2*time.Second-500*time.Millisecond {
				t.Errorf("deadline in %v, want the invocation's less the margin", time.Until(dl))
			}
			return "ok", ctx.Err()
		}, opts)
		if _, err := h.Invoke(lambdaCtx(t, "req", 2*time.Second), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if kept.Err() != context.Canceled {
			t.Errorf("Err after return = %v, want Canceled", kept.Err())
		}
		if find(out.lines(t), "msg", "timeout imminent") != nil {
			t.Error("warned although the handler returned in time")
		}
	})
}

// TestWrap_parentCancelled: when the invocation's context is cancelled
// before the guard fires, the handler's context ends with it, with its
// cause, and nothing is announced.
func TestWrap_parentCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, opts := setup(t, 100*time.Millisecond)
		parent, cancel := context.WithCancelCause(lambdaCtx(t, "req", time.Minute))
		h := middleware.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
			cancel(errors.New("the runtime went away"))
			<-ctx.Done()
			return "", context.Cause(ctx)
		}, opts)
		if _, err := h.Invoke(parent, []byte(`{}`)); err == nil || err.Error() != "the runtime went away" {
			t.Fatalf("err = %v, want the parent's cause", err)
		}
		if find(out.lines(t), "msg", "timeout imminent") != nil {
			t.Error("warned on a cancellation that is not a deadline")
		}
	})
}
