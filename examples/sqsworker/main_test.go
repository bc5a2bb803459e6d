package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/lambdatest"
	"github.com/rampartdev/rampart/logging"
)

// function is the example built as main builds it, writing to one buffer.
type function struct {
	out *lambdatest.Output
	h   interface {
		Invoke(context.Context, []byte) ([]byte, error)
	}
}

func newFunction(t *testing.T, store idempotency.Store) *function {
	t.Helper()
	lambdatest.Setenv(t, &lambdatest.Function{Name: "sqsworker", MemoryMB: 128})
	lambdatest.ResetColdStart()
	out := &lambdatest.Output{}
	logger := slog.New(logging.NewJSONHandler(out, nil))
	// process logs with slog's default logger, which main sets.
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })
	h, err := newHandler(out, logger, store, "Rampart/Test")
	if err != nil {
		t.Fatal(err)
	}
	return &function{out: out, h: h}
}

// invoke runs one invocation and returns the failed message ids and the
// lines written.
func (f *function) invoke(t *testing.T, inv *lambdatest.Invocation, ev events.SQSEvent) ([]string, []map[string]any) {
	t.Helper()
	resp, err := lambdatest.InvokeAs[events.SQSEventResponse](lambdatest.Context(t, inv), f.h, ev)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	failed := []string{}
	for _, it := range resp.BatchItemFailures {
		failed = append(failed, it.ItemIdentifier)
	}
	return failed, f.out.Lines(t)
}

func messages(t *testing.T, idBody ...string) events.SQSEvent {
	t.Helper()
	var bodies []string
	for i := 1; i < len(idBody); i += 2 {
		bodies = append(bodies, idBody[i])
	}
	ev := lambdatest.SQSEvent("orders", bodies...)
	for i := range ev.Records {
		ev.Records[i].MessageId = idBody[2*i]
	}
	return ev
}

// TestOrders covers the example's promises in process, as Lambda invokes
// it: per-order idempotency across messages and invocations (a producer's
// resend with another trace attribute, its keys reordered and another
// delay is the same order), partial batch failures, the EMF metric, the
// Lambda context on every line and the cold start of the first invocation
// only.
func TestOrders(t *testing.T) {
	f := newFunction(t, memstore.New(nil))
	failed, lines := f.invoke(t, &lambdatest.Invocation{RequestID: "req-1"}, messages(t,
		"msg-1", `{"id":"o-1","quantity":2}`,
		"msg-bad", `not json`,
		"msg-dup", `{"id":"o-1","quantity":2}`,
		"msg-2", `{"id":"o-2","quantity":5}`))
	if !slices.Equal(failed, []string{"msg-bad"}) {
		t.Fatalf("failures %v, want [msg-bad]", failed)
	}
	processed := match(lines, "msg", "order processed")
	if len(processed) != 2 {
		t.Fatalf("processed %d orders, want 2 (o-1 once): %v", len(processed), lines)
	}
	for _, l := range processed {
		if l["requestId"] != "req-1" || l["cold_start"] != true || l["function_name"] != "sqsworker" {
			t.Errorf("line %v lacks the Lambda context", l)
		}
	}
	if n := metricValues(lines, "OrdersProcessed"); n != 2 {
		t.Errorf("OrdersProcessed = %d values, want 2", n)
	}

	resend := messages(t, "msg-3", "{\"quantity\": 2, \"id\": \"o-1\", \"delay_ms\": 1}")
	trace := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	resend.Records[0].MessageAttributes["traceparent"] = events.SQSMessageAttribute{DataType: "String", StringValue: &trace}
	failed, lines = f.invoke(t, &lambdatest.Invocation{RequestID: "req-2"}, resend)
	if len(failed) != 0 || len(match(lines, "msg", "order processed")) != 0 {
		t.Errorf("resend of o-1: failures %v, processed %v; want a duplicate, not processed", failed, match(lines, "msg", "order processed"))
	}
	for _, l := range lines {
		if l["cold_start"] == true {
			t.Errorf("second invocation logged cold_start: %v", l)
		}
	}
}

// TestOrders_deadline: an order that would outlast the invocation is
// stopped by the deadline guard, which logs "timeout imminent" first; the
// order is reported for retry, the others succeed, and the retry
// processes it (its idempotency record was released).
func TestOrders_deadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFunction(t, memstore.New(nil))
		ev := messages(t, "msg-fast", `{"id":"o-4","quantity":1}`, "msg-slow", `{"id":"o-5","quantity":1,"delay_ms":10000}`)
		failed, lines := f.invoke(t, &lambdatest.Invocation{Timeout: 3 * time.Second}, ev)
		if !slices.Equal(failed, []string{"msg-slow"}) {
			t.Fatalf("failures %v, want [msg-slow]", failed)
		}
		warn, left := index(lines, "msg", "timeout imminent"), index(lines, "msg", "batch: record failed")
		if warn < 0 || left < 0 || warn > left {
			t.Errorf("timeout imminent at line %d, the failure at %d: want the warning first (%v)", warn, left, lines)
		}
		retry := messages(t, "msg-slow", `{"id":"o-5","quantity":1}`)
		if failed, lines := f.invoke(t, &lambdatest.Invocation{Timeout: time.Minute}, retry); len(failed) != 0 || len(match(lines, "msg", "order processed")) != 1 {
			t.Errorf("retry: failures %v, lines %v; want o-5 processed", failed, lines)
		}
	})
}

// unrecordable cannot save completions: the table is throttled past every
// retry of the Guard.
type unrecordable struct{ idempotency.Store }

func (unrecordable) Complete(context.Context, idempotency.Record) error {
	return errors.New("ProvisionedThroughputExceededException")
}

// TestOrders_doneButNotRecorded: an order processed whose idempotency
// record could not be saved is not reported for retry (which would process
// it twice); the failure is logged and counted.
func TestOrders_doneButNotRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFunction(t, unrecordable{memstore.New(nil)})
		failed, lines := f.invoke(t, nil, messages(t, "msg-1", `{"id":"o-1","quantity":2}`))
		if len(failed) != 0 || len(match(lines, "msg", "order processed")) != 1 {
			t.Fatalf("failures %v; want none, the order processed once: %v", failed, lines)
		}
		if metricValues(lines, "IdempotencyNotRecorded") != 1 || index(lines, "msg", "batch: record processed but its idempotency record was not saved") < 0 {
			t.Errorf("not logged or counted: %v", lines)
		}
	})
}

func index(ls []map[string]any, key string, value any) int {
	return slices.IndexFunc(ls, func(l map[string]any) bool { return l[key] == value })
}

// metricValues returns how many values of metric name the EMF documents
// in ls carry.
func metricValues(ls []map[string]any, name string) int {
	n := 0
	for _, l := range ls {
		if l["_aws"] == nil {
			continue
		}
		switch v := l[name].(type) {
		case float64:
			n++
		case []any:
			n += len(v)
		}
	}
	return n
}
