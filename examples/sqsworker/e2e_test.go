package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/testingutil"
)

// TestEndToEnd builds this example as a Lambda bootstrap and runs it under
// the AWS Lambda Runtime Interface Emulator (the Go module's
// cmd/aws-lambda-rie, a tool dependency of this module), on 127.0.0.1, one
// invocation at a time. It checks the partial batch responses and the
// structured log and EMF lines the function writes.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	rie := filepath.Join(dir, "aws-lambda-rie")
	build(t, bootstrap, "-tags", "lambda.norpc", ".")
	build(t, rie, "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")

	apiAddr, rieAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, rie,
		"--runtime-interface-emulator-address", rieAddr,
		"--runtime-api-address", apiAddr,
		bootstrap)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_FUNCTION_NAME=sqsworker",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=3",
		"AWS_REGION=us-east-1",
		"METRICS_NAMESPACE=Rampart/E2E",
	}
	var out testingutil.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("emulator output:\n%s", out.String())
		}
	})
	waitListening(t, rieAddr)

	// Invocation 1: o-1, an invalid body, o-1 again (another message), o-2.
	resp := invoke(t, rieAddr, "e2e-req-1", sqsEvent(
		"msg-1", `{"id":"o-1","quantity":2}`,
		"msg-bad", `not json`,
		"msg-dup", `{"id":"o-1","quantity":2}`,
		"msg-2", `{"id":"o-2","quantity":5}`))
	if resp != `{"batchItemFailures":[{"itemIdentifier":"msg-bad"}]}` {
		t.Fatalf("invocation 1 response = %s", resp)
	}
	lines := waitLines(t, &out, func(ls []map[string]any) bool {
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
	resp = invoke(t, rieAddr, "e2e-req-2", sqsEvent("msg-3", `{"id":"o-1","quantity":2}`, "msg-4", `{"id":"o-3","quantity":1}`))
	if resp != `{"batchItemFailures":[]}` {
		t.Fatalf("invocation 2 response = %s", resp)
	}
	lines = waitLines(t, &out, func(ls []map[string]any) bool { return countEMF(ls, "e2e-req-2") > 0 })
	processed = match(match(lines, "msg", "order processed"), "requestId", "e2e-req-2")
	if len(processed) != 1 || processed[0]["order_id"] != "o-3" || processed[0]["cold_start"] != false {
		t.Errorf("second invocation processed %v; want only o-3, warm", processed)
	}

	// Invocation 3: a slow order meets the deadline guard (3 s timeout,
	// 500 ms margin): it is reported for retry, the fast one succeeds.
	start := time.Now()
	resp = invoke(t, rieAddr, "e2e-req-3", sqsEvent("msg-fast", `{"id":"o-4","quantity":1}`, "msg-slow", `{"id":"o-5","quantity":1,"delay_ms":10000}`))
	if resp != `{"batchItemFailures":[{"itemIdentifier":"msg-slow"}]}` {
		t.Fatalf("invocation 3 response = %s", resp)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("invocation 3 took %v: the guard did not stop it before the timeout", el)
	}
	lines = waitLines(t, &out, func(ls []map[string]any) bool { return len(match(ls, "msg", "timeout imminent")) > 0 })
	warn := match(lines, "msg", "timeout imminent")[0]
	if warn["requestId"] != "e2e-req-3" || warn["level"] != "WARN" || warn["remaining_ms"].(float64) <= 0 {
		t.Errorf("timeout imminent line = %v", warn)
	}

	// Invocation 4: every message fails, so the invocation does, and
	// aws-lambda-go reports it with the log package: as JSON, with the
	// request id, not as a dated text line.
	if resp := invoke(t, rieAddr, "e2e-req-4", sqsEvent("msg-bad-2", `not json`)); !strings.Contains(resp, `"errorMessage"`) {
		t.Fatalf("invocation 4 response = %s", resp)
	}
	lines = waitLines(t, &out, func(ls []map[string]any) bool {
		return len(match(ls, "msg", "invocation error reported to Lambda")) > 0
	})
	if r := match(lines, "msg", "invocation error reported to Lambda")[0]; r["requestId"] != "e2e-req-4" || r["level"] != "ERROR" || r["error"] == nil {
		t.Errorf("error report line = %v", r)
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, `{"errorMessage"`) && !strings.HasPrefix(l, "{") {
			t.Errorf("aws-lambda-go's error line as text: %s", l)
		}
	}
}

func build(t *testing.T, out string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, b)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the emulator is not listening on %s", addr)
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

func invoke(t *testing.T, addr, requestID string, payload []byte) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amzn-RequestId", requestID)
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invocation %s: status %d: %s", requestID, resp.StatusCode, b.String())
	}
	return strings.TrimSpace(b.String())
}

// waitLines returns the JSON lines of the output once ok accepts them.
func waitLines(t *testing.T, out *testingutil.Buffer, ok func([]map[string]any) bool) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ls []map[string]any
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if i := bytes.IndexByte(line, '{'); i >= 0 { // the emulator may prefix lines
				var m map[string]any
				if json.Unmarshal(line[i:], &m) == nil {
					ls = append(ls, m)
				}
			}
		}
		if ok(ls) {
			return ls
		}
		if time.Now().After(deadline) {
			t.Fatalf("expected log lines did not appear; got %d JSON lines", len(ls))
		}
		time.Sleep(20 * time.Millisecond)
	}
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
