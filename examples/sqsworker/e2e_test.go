package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/rietest"
)

// TestEndToEnd builds this example as a Lambda bootstrap and runs it under
// the AWS Lambda Runtime Interface Emulator (the Go module's
// cmd/aws-lambda-rie, a tool dependency of this module), on 127.0.0.1, one
// invocation at a time (internal/rietest, the bootstraps' harness). It
// checks the partial batch responses, the structured log and EMF lines the
// function writes, and that every line on its stdout and stderr is one JSON
// object with at most one correlation_id.
func TestEndToEnd(t *testing.T) {
	fn := rietest.Start(t, ".", []string{
		"AWS_LAMBDA_FUNCTION_NAME=sqsworker",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=3",
		"AWS_REGION=us-east-1",
		"METRICS_NAMESPACE=Rampart/E2E",
	})
	defer fn.Lines(t) // every line, once the invocations are done

	// Invocation 1: o-1, an invalid body, o-1 again (another message), o-2.
	resp := invoke(t, fn, "e2e-req-1", sqsEvent(
		"msg-1", `{"id":"o-1","quantity":2}`,
		"msg-bad", `not json`,
		"msg-dup", `{"id":"o-1","quantity":2}`,
		"msg-2", `{"id":"o-2","quantity":5}`))
	if resp != `{"batchItemFailures":[{"itemIdentifier":"msg-bad"}]}` {
		t.Fatalf("invocation 1 response = %s", resp)
	}
	lines := waitLines(t, fn, func(ls []map[string]any) bool {
		return countEMF(ls, "e2e-req-1") > 0 && len(match(ls, "msg", "order processed")) == 2
	})
	processed := match(lines, "msg", "order processed")
	for _, l := range processed {
		if l["requestId"] != "e2e-req-1" || l["cold_start"] != true || l["function_name"] != "sqsworker" || l["function_memory_size"] != float64(128) || l["level"] != "INFO" {
			t.Errorf("first invocation line = %v", l)
		}
	}
	if ids := field(processed, "correlation_id"); !sameSet(ids, "msg-1", "msg-2") && !sameSet(ids, "msg-dup", "msg-2") {
		t.Errorf("orders processed for messages %v; want o-1 once and o-2", ids)
	}
	if bad := match(lines, "itemIdentifier", "msg-bad"); len(bad) != 1 || bad[0]["level"] != "ERROR" || bad[0]["correlation_id"] != "msg-bad" {
		t.Errorf("failure line = %v", bad)
	}
	if cold := match(lines, "ColdStart", float64(1)); len(cold) != 1 || cold[0]["requestId"] != "e2e-req-1" {
		t.Errorf("ColdStart metric documents %v: want one, with the request id", cold)
	}
	if emf := match(match(lines, "requestId", "e2e-req-1"), "ItemsOrdered", nil); len(emf) != 1 || !sameSet(field(toMaps(emf[0]["ItemsOrdered"]), ""), "2", "5") || emf[0]["service"] != "sqsworker" {
		t.Errorf("metrics document = %v; want ItemsOrdered [2 5] (o-1 once, o-2)", emf)
	}

	// Invocation 2: o-1 once more, in a new message: replayed, not reprocessed.
	resp = invoke(t, fn, "e2e-req-2", sqsEvent("msg-3", `{"id":"o-1","quantity":2}`, "msg-4", `{"id":"o-3","quantity":1}`))
	if resp != `{"batchItemFailures":[]}` {
		t.Fatalf("invocation 2 response = %s", resp)
	}
	lines = waitLines(t, fn, func(ls []map[string]any) bool { return countEMF(ls, "e2e-req-2") > 0 })
	processed = match(match(lines, "msg", "order processed"), "requestId", "e2e-req-2")
	if len(processed) != 1 || processed[0]["order_id"] != "o-3" || processed[0]["cold_start"] != false {
		t.Errorf("second invocation processed %v; want only o-3, warm", processed)
	}

	// Invocation 3: a slow order meets the deadline guard (3 s timeout,
	// 500 ms margin): it is reported for retry, the fast one succeeds.
	// Without the guard the emulator would end it at 3 s with a timeout
	// error, not this response (so no wall-clock limit is needed here).
	resp = invoke(t, fn, "e2e-req-3", sqsEvent("msg-fast", `{"id":"o-4","quantity":1}`, "msg-slow", `{"id":"o-5","quantity":1,"delay_ms":10000}`))
	if resp != `{"batchItemFailures":[{"itemIdentifier":"msg-slow"}]}` {
		t.Fatalf("invocation 3 response = %s", resp)
	}
	lines = waitLines(t, fn, func(ls []map[string]any) bool { return len(match(ls, "msg", "timeout imminent")) > 0 })
	warn := match(lines, "msg", "timeout imminent")[0]
	if warn["requestId"] != "e2e-req-3" || warn["level"] != "WARN" || warn["remaining_ms"].(float64) <= 0 {
		t.Errorf("timeout imminent line = %v", warn)
	}

	// Invocation 4: every message fails, so the invocation does, and
	// aws-lambda-go reports it with the log package: as JSON, with the
	// request id, not as a dated text line.
	if resp := invoke(t, fn, "e2e-req-4", sqsEvent("msg-bad-2", `not json`)); !strings.Contains(resp, `"errorMessage"`) {
		t.Fatalf("invocation 4 response = %s", resp)
	}
	lines = waitLines(t, fn, func(ls []map[string]any) bool {
		return len(match(ls, "msg", "invocation error reported to Lambda")) > 0
	})
	if r := match(lines, "msg", "invocation error reported to Lambda")[0]; r["requestId"] != "e2e-req-4" || r["level"] != "ERROR" || r["error"] == nil {
		t.Errorf("error report line = %v", r)
	}
}

func sqsEvent(idBody ...string) []byte {
	var ev events.SQSEvent
	for i := 0; i < len(idBody); i += 2 {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      idBody[i],
			Body:           idBody[i+1],
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:orders",
			AWSRegion:      "us-east-1",
			Attributes:     map[string]string{"ApproximateReceiveCount": "1"},
		})
	}
	b, _ := json.Marshal(ev)
	return b
}

func invoke(t *testing.T, fn *rietest.Function, requestID string, payload []byte) string {
	t.Helper()
	return fn.Invoke(t, requestID, payload)
}

// waitLines returns the JSON lines of the function's stdout once ok
// accepts them (fn.Lines checks every line strictly at the end).
func waitLines(t *testing.T, fn *rietest.Function, ok func([]map[string]any) bool) []map[string]any {
	t.Helper()
	var ls []map[string]any
	rietest.WaitFor(t, func() bool {
		ls = ls[:0]
		sc := bufio.NewScanner(strings.NewReader(fn.Output()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				ls = append(ls, m)
			}
		}
		return ok(ls)
	})
	return ls
}

// match returns the lines whose key equals value (or has key, for nil).
func match(ls []map[string]any, key string, value any) []map[string]any {
	var out []map[string]any
	for _, l := range ls {
		if v, ok := l[key]; ok && (value == nil || v == value) {
			out = append(out, l)
		}
	}
	return out
}

func countEMF(ls []map[string]any, requestID string) int {
	return len(match(match(ls, "requestId", requestID), "_aws", nil))
}

func field(ls []map[string]any, key string) []string {
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprint(l[key]))
	}
	return out
}

// toMaps turns a JSON array of values into lines with the value under "",
// for field.
func toMaps(v any) []map[string]any {
	vs, _ := v.([]any)
	out := make([]map[string]any, len(vs))
	for i, x := range vs {
		out[i] = map[string]any{"": x}
	}
	return out
}

func sameSet(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}
