package idempotency_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
)

var lambdaDir = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	return strings.TrimSpace(string(out)), err
})

// mustLoad decodes a JSON sample: name is a file in aws-lambda-go's
// events/testdata (the samples AWS publishes), or ./testdata/name.
func mustLoad(tb testing.TB, name string, v any) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if _, err := os.Stat(path); err != nil {
		dir, err := lambdaDir()
		if err != nil {
			tb.Fatalf("locate aws-lambda-go: %v", err)
		}
		path = filepath.Join(dir, "events", "testdata", name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
}

func TestS3Key(t *testing.T) {
	var e events.S3Event
	mustLoad(t, "s3-event.json", &e)
	got, err := idempotency.S3EventKey(e)
	// The object key stays URL-encoded, exactly as S3 delivers it.
	const want = "s3|sourcebucket|Happy%20Face.jpg|d41d8cd98f00b204e9800998ecf8427e|version"
	if err != nil || got != want {
		t.Errorf("S3EventKey = %q, %v; want %q", got, err, want)
	}
	r := e.Records[0]
	r.S3.Object.VersionID = ""
	if got, _ := idempotency.S3Key(r); got != "s3|sourcebucket|Happy%20Face.jpg|d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("S3Key without version = %q", got)
	}
	r.S3.Object.ETag = "0cc175b9c0f1b6a831c399e269772661" // a new upload to the same key
	if got2, _ := idempotency.S3Key(r); got2 == got {
		t.Error("a new upload (new eTag) got the same key")
	}
	if _, err := idempotency.S3EventKey(events.S3Event{}); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("S3EventKey(no records) = %v; want ErrMissingKey", err)
	}
	if _, err := idempotency.S3Key(events.S3EventRecord{}); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("S3Key(empty) = %v; want ErrMissingKey", err)
	}
}

func TestSQSKey(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"sqs-event.json", "sqs|arn:aws:sqs:us-west-2:123456789012:SQSQueue|MessageID_1"},
		{"sqs-fifo-event.json", "sqs-fifo|arn:aws:sqs:us-east-2:123456789012:fifo.fifo|1|1"},
	} {
		var e events.SQSEvent
		mustLoad(t, tc.file, &e)
		if got, err := idempotency.SQSKey(e.Records[0]); err != nil || got != tc.want {
			t.Errorf("%s: SQSKey = %q, %v; want %q", tc.file, got, err, tc.want)
		}
	}
	if _, err := idempotency.SQSKey(events.SQSMessage{}); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("SQSKey(empty) = %v; want ErrMissingKey", err)
	}
}

func TestEventBridgeKey(t *testing.T) {
	var e events.EventBridgeEvent
	mustLoad(t, "eventbridge-event.json", &e)
	if got, err := idempotency.EventBridgeKey(e); err != nil || got != "events|aws.ec2|6a7e8feb-b491-4cf7-a9f1-bf3703467718" {
		t.Errorf("EventBridgeKey = %q, %v", got, err)
	}
	if _, err := idempotency.EventBridgeKey(events.EventBridgeEvent{}); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("EventBridgeKey(empty) = %v; want ErrMissingKey", err)
	}
}

func TestAPIGatewayKey(t *testing.T) {
	var r events.APIGatewayProxyRequest
	mustLoad(t, "apigw-request.json", &r)
	if _, err := idempotency.APIGatewayKey(r); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("without the header: %v; want ErrMissingKey", err)
	}
	r.Headers["idempotency-key"] = " 8e03978e-40d5-43e8-bc93-6894a57f9324 "
	got, err := idempotency.APIGatewayKey(r)
	if want := "http|" + r.HTTPMethod + " " + r.Resource + "|8e03978e-40d5-43e8-bc93-6894a57f9324"; err != nil || got != want {
		t.Errorf("APIGatewayKey = %q, %v; want %q", got, err, want)
	}
	delete(r.Headers, "idempotency-key")
	r.MultiValueHeaders = map[string][]string{"IDEMPOTENCY-KEY": {"mv"}}
	if got, _ := idempotency.APIGatewayKey(r); !strings.HasSuffix(got, "|mv") {
		t.Errorf("from multi-value headers: %q", got)
	}

	var v2 events.APIGatewayV2HTTPRequest
	mustLoad(t, "apigw-v2-request-no-authorizer.json", &v2)
	v2.Headers["idempotency-key"] = "abc"
	if got, err := idempotency.APIGatewayV2Key(v2); err != nil || got != "http|GET /|abc" { // $default route: method and path
		t.Errorf("APIGatewayV2Key = %q, %v", got, err)
	}
}

// Payload leaves out what changes between two deliveries of one request.
func TestPayload(t *testing.T) {
	var e events.SQSEvent
	mustLoad(t, "sqs-event.json", &e)
	m1 := e.Records[0]
	m2 := m1
	m2.ReceiptHandle = "another-handle"
	m2.Attributes = map[string]string{"ApproximateReceiveCount": "3"}
	p1, _ := idempotency.Payload(m1)
	p2, _ := idempotency.Payload(m2)
	if string(p1) != string(p2) {
		t.Error("a redelivered SQS message has a different payload")
	}
	m2.Body = "another body"
	if p3, _ := idempotency.Payload(m2); string(p3) == string(p1) {
		t.Error("an SQS message with another body has the same payload")
	}

	var r events.APIGatewayProxyRequest
	mustLoad(t, "apigw-request.json", &r)
	r2 := r
	r2.RequestContext.RequestID = "another-request"
	r2.Headers = map[string]string{"X-Amzn-Trace-Id": "Root=1-other"}
	q1, _ := idempotency.Payload(r)
	q2, _ := idempotency.Payload(r2)
	if string(q1) != string(q2) {
		t.Error("a retried API Gateway request has a different payload")
	}
	if b, err := idempotency.Payload(struct{ A int }{7}); err != nil || string(b) != `{"A":7}` {
		t.Errorf("Payload(struct) = %s, %v; want its JSON", b, err)
	}
}
