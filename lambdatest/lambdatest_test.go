package lambdatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/lambdatest"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/metrics"
	"github.com/rampartdev/rampart/middleware"
)

func TestContext(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	t.Setenv("AWS_REGION", "eu-central-1")
	before := time.Now()
	ctx := lambdatest.Context(t, &lambdatest.Invocation{
		Timeout:       10 * time.Second,
		ClientContext: &lambdacontext.ClientContext{Custom: map[string]string{"tenant": "t-1"}},
		TraceID:       "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
	})
	after := time.Now()
	dl, ok := ctx.Deadline()
	if !ok || dl.After(after.Add(10*time.Second)) || dl.Before(before.Add(10*time.Second-time.Millisecond)) || dl.Nanosecond()%int(time.Millisecond) != 0 {
		t.Errorf("deadline %v (ok %v), want 10 s from now in whole milliseconds", dl, ok)
	}
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok || len(lc.AwsRequestID) != 36 || lc.InvokedFunctionArn != "arn:aws:lambda:eu-central-1:123456789012:function:orders" || lc.ClientContext.Custom["tenant"] != "t-1" {
		t.Errorf("LambdaContext = %+v", lc)
	}
	if got := logging.TraceID(ctx); got != "1-5759e988-bd862e3fe1be46a994272793" {
		t.Errorf("trace id = %q", got)
	}
	other := lambdatest.Context(t, nil)
	olc, _ := lambdacontext.FromContext(other)
	if olc.AwsRequestID == lc.AwsRequestID || logging.TraceID(other) == "" {
		t.Errorf("a second invocation has request id %q and trace %q: want fresh ones", olc.AwsRequestID, logging.TraceID(other))
	}
}

// TestSetenv_logHandler: the log handler built after Setenv carries the
// function's attributes, and ResetColdStart makes the next invocation a
// cold start again, for logs and metrics, in every subtest.
func TestSetenv_logHandler(t *testing.T) {
	lambdatest.Setenv(t, &lambdatest.Function{Name: "orders", MemoryMB: 512, Version: "7"})
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			lambdatest.ResetColdStart()
			var out bytes.Buffer
			logger := slog.New(logging.NewJSONHandler(&out, nil))
			rec, err := metrics.New(&out, &metrics.Options{Namespace: "Orders"})
			if err != nil {
				t.Fatal(err)
			}
			h := middleware.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
				logger.InfoContext(ctx, "work")
				_ = metrics.FromContext(ctx).Add("Work", metrics.Count, 1)
				return "ok", nil
			}, &middleware.Options{Logger: logger, Metrics: rec})
			for range 2 {
				if _, err := lambdatest.Invoke(lambdatest.Context(t, nil), h, `{}`); err != nil {
					t.Fatal(err)
				}
			}
			var cold, coldMetric []any
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatal(err)
				}
				if m["msg"] == "work" {
					if m["function_name"] != "orders" || m["function_memory_size"] != float64(512) || m["function_version"] != "7" {
						t.Errorf("record %v lacks the function's attributes", m)
					}
					cold = append(cold, m["cold_start"])
				}
				if v, ok := m["ColdStart"]; ok {
					coldMetric = append(coldMetric, v)
				}
			}
			if !slices.Equal(cold, []any{true, false}) || len(coldMetric) != 1 {
				t.Errorf("cold_start %v, ColdStart metrics %v; want [true false] and one", cold, coldMetric)
			}
		})
	}
}

func TestInvoke(t *testing.T) {
	ctx := lambdatest.Context(t, nil)
	upper := func(_ context.Context, in struct{ Name string }) (map[string]string, error) {
		if in.Name == "" {
			return nil, &idempotency.InProgressError{}
		}
		return map[string]string{"hello": strings.ToUpper(in.Name)}, nil
	}
	out, err := lambdatest.Invoke(ctx, upper, map[string]string{"Name": "ada"})
	if err != nil || string(out) != `{"hello":"ADA"}` {
		t.Errorf("Invoke = %s, %v", out, err)
	}
	got, err := lambdatest.InvokeAs[map[string]string](ctx, upper, []byte(`{"Name":"bob"}`))
	if err != nil || got["hello"] != "BOB" {
		t.Errorf("InvokeAs = %v, %v", got, err)
	}
	_, err = lambdatest.Invoke(ctx, upper, `{}`)
	if !errors.Is(err, idempotency.ErrInProgress) || lambdatest.ErrorType(err) != "InProgressError" {
		t.Errorf("err = %v, errorType %q; want the handler's error, InProgressError", err, lambdatest.ErrorType(err))
	}
	if _, err := lambdatest.Invoke(ctx, upper, `not json`); err == nil {
		t.Error("an undecodable event reached the handler")
	}
	if _, err := lambdatest.Invoke(ctx, func(int, int) {}, `{}`); err == nil {
		t.Error("a handler lambda.Start refuses was invoked")
	}
	if lambdatest.ErrorType(errors.New("x")) != "errorString" {
		t.Error("ErrorType of errors.New")
	}
}

// TestEvents: every builder's event decodes as aws-lambda-go decodes what
// Lambda sends, has the members of the sample AWS publishes for its source,
// and carries what the toolkit's key and correlation functions read.
func TestEvents(t *testing.T) {
	sqs := lambdatest.SQSEvent("", `{"id":"o-1"}`, `{"id":"o-2"}`)
	fifo := lambdatest.SQSEvent("orders.fifo", `{"id":"o-1"}`)
	v2 := lambdatest.APIGatewayV2Request("POST", "/payments?dry_run=1", `{"amount":10}`, map[string]string{"Idempotency-Key": "k-1"})
	v1 := lambdatest.APIGatewayRequest("POST", "/payments", `{"amount":10}`, map[string]string{"Idempotency-Key": "k-1"})
	s3 := lambdatest.S3Event("photos", "albums/a b+c.jpg", 2048)
	eb := lambdatest.EventBridgeEvent("orders", "OrderPlaced", map[string]string{"id": "o-1"})
	for _, tc := range []struct {
		sample string
		event  any
		decode any
		id     string // the correlation id logging finds
	}{
		{"sqs-event.json", sqs, &events.SQSEvent{}, sqs.Records[0].MessageId},
		{"apigw-v2-request-no-authorizer.json", v2, &events.APIGatewayV2HTTPRequest{}, v2.RequestContext.RequestID},
		{"apigw-request.json", v1, &events.APIGatewayProxyRequest{}, v1.RequestContext.RequestID},
		{"s3-event.json", s3, &events.S3Event{}, s3.Records[0].ResponseElements["x-amz-request-id"]},
		{"", eb, &events.EventBridgeEvent{}, eb.ID},
	} {
		b, err := json.Marshal(tc.event)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, tc.decode); err != nil {
			t.Fatalf("%T: %v", tc.event, err)
		}
		if again, _ := json.Marshal(tc.decode); !bytes.Equal(again, b) {
			t.Errorf("%T does not round-trip through aws-lambda-go:\n%s\n%s", tc.event, b, again)
		}
		if tc.sample != "" {
			var sample, ours map[string]any
			_ = json.Unmarshal(lambdatest.Sample(t, tc.sample), &sample)
			_ = json.Unmarshal(b, &ours)
			if missing := missingKeys(sample, ours, ""); len(missing) > 0 {
				t.Errorf("%T lacks members of AWS's %s: %v", tc.event, tc.sample, missing)
			}
		}
		if got := logging.CorrelationID(b); got != tc.id {
			t.Errorf("%T: correlation id %q, want %q", tc.event, got, tc.id)
		}
	}
	if sqs.Records[0].MessageId == sqs.Records[1].MessageId || lambdatest.SQSEvent("", `{"id":"o-1"}`).Records[0].MessageId != sqs.Records[0].MessageId {
		t.Error("message ids are not distinct per message and the same per call")
	}
	if fifo.Records[0].Attributes["MessageGroupId"] == "" || fifo.Records[0].Attributes["MessageDeduplicationId"] == "" {
		t.Errorf("FIFO message attributes = %v", fifo.Records[0].Attributes)
	}
	if _, err := idempotency.SQSKey(sqs.Records[0]); err != nil {
		t.Error(err)
	}
	// An unauthenticated request: the anonymous caller.
	if k, err := idempotency.APIGatewayV2Key(v2); err != nil || !strings.HasSuffix(k, "|14:POST /payments|9:anonymous|3:k-1") {
		t.Errorf("APIGatewayV2Key = %q, %v", k, err)
	}
	if k, err := idempotency.APIGatewayKey(v1); err != nil || !strings.HasSuffix(k, "|14:POST /payments|9:anonymous|3:k-1") {
		t.Errorf("APIGatewayKey = %q, %v", k, err)
	}
	if _, err := idempotency.S3Key(s3.Records[0]); err != nil {
		t.Error(err)
	}
	var decoded events.S3Event
	b, _ := json.Marshal(s3)
	_ = json.Unmarshal(b, &decoded)
	if o := decoded.Records[0].S3.Object; o.Key != "albums/a+b%2Bc.jpg" || o.URLDecodedKey != "albums/a b+c.jpg" {
		t.Errorf("S3 key %q decoded %q; want S3's form encoding", o.Key, o.URLDecodedKey)
	}
	if _, err := idempotency.EventBridgeKey(eb); err != nil {
		t.Error(err)
	}
	if v2.QueryStringParameters["dry_run"] != "1" || v2.RawQueryString != "dry_run=1" || v2.RawPath != "/payments" {
		t.Errorf("query of %+v", v2)
	}
}

// missingKeys returns the object members of want (recursively, through the
// first element of arrays) that got lacks.
func missingKeys(want, got map[string]any, at string) []string {
	var missing []string
	for k, wv := range want {
		gv, ok := got[k]
		if !ok {
			missing = append(missing, at+k)
			continue
		}
		switch w := wv.(type) {
		case map[string]any:
			if g, ok := gv.(map[string]any); ok && !optionalMembers[k] {
				missing = append(missing, missingKeys(w, g, at+k+".")...)
			}
		case []any:
			if g, ok := gv.([]any); ok && len(w) > 0 && len(g) > 0 {
				wm, ok1 := w[0].(map[string]any)
				gm, ok2 := g[0].(map[string]any)
				if ok1 && ok2 {
					missing = append(missing, missingKeys(wm, gm, at+k+"[0].")...)
				}
			}
		}
	}
	return missing
}

// optionalMembers are sample members whose contents vary per request
// (headers a client chose, an authorizer's claims, attributes a producer
// set).
var optionalMembers = map[string]bool{
	"headers": true, "multiValueHeaders": true, "queryStringParameters": true,
	"multiValueQueryStringParameters": true, "pathParameters": true, "stageVariables": true,
	"messageAttributes": true, "authorizer": true, "identity": true, "attributes": true,
	"authentication": true,
}

func TestOutput(t *testing.T) {
	var out lambdatest.Output
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	logger.Info("a", "n", 1)
	logger.Info("b")
	if lines := out.Lines(t); len(lines) != 2 || lines[0]["msg"] != "a" || lines[0]["n"] != float64(1) {
		t.Errorf("lines = %v", lines)
	}
	if lines := out.Lines(t); len(lines) != 0 {
		t.Errorf("lines read twice: %v", lines)
	}
}

// TestOutput_longLine: a log line of any length is a line, and the lines
// after it are not lost (a 2 MB event logged whole, say).
func TestOutput_longLine(t *testing.T) {
	var out lambdatest.Output
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	big := strings.Repeat("x", 2<<20)
	logger.Info("big", "event", big)
	logger.Info("after")
	lines := out.Lines(t)
	if len(lines) != 2 || lines[0]["event"] != big || lines[1]["msg"] != "after" {
		t.Errorf("got %d lines; want the 2 MB line and the one after it", len(lines))
	}
}
