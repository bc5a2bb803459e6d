package idempotency_test

import (
	"encoding/json"
	"errors"
	"fmt"
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
	// The object key is decoded; the sample's sequencer is not hexadecimal
	// and is kept as it is.
	const want = "s3|sourcebucket|ObjectCreated:Put|version|Happy Sequencer|Happy Face.jpg"
	if err != nil || got != want {
		t.Errorf("S3EventKey = %q, %v; want %q", got, err, want)
	}
	if _, err := idempotency.S3EventKey(events.S3Event{}); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("S3EventKey(no records) = %v; want ErrMissingKey", err)
	}
	if _, err := idempotency.S3Key(events.S3EventRecord{}); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("S3Key(empty) = %v; want ErrMissingKey", err)
	}
	// Sequencers compare as the media service orders them.
	r := s3Record(t, "ObjectCreated:Put", "a.jpg", "etag-a", "55AED6DCD90281E5")
	r2 := r
	r2.S3.Object.Sequencer = "000055aed6dcd90281e5"
	if k1, k2 := mustKey(t, r), mustKey(t, r2); k1 != k2 {
		t.Errorf("one sequencer, padded and in lower case, made two keys: %q, %q", k1, k2)
	}
}

// s3Record decodes an S3 record as aws-lambda-go does (so URLDecodedKey is
// set), with key as S3 delivers it, URL-encoded.
func s3Record(t *testing.T, event, key, etag, sequencer string) events.S3EventRecord {
	t.Helper()
	var r events.S3EventRecord
	doc := fmt.Sprintf(`{"eventName":%q,"eventTime":"2026-01-02T03:04:05.678Z","s3":{"bucket":{"name":"uploads"},`+
		`"object":{"key":%q,"eTag":%q,"sequencer":%q}}}`, event, key, etag, sequencer)
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func mustKey(t *testing.T, r events.S3EventRecord) string {
	t.Helper()
	k, err := idempotency.S3Key(r)
	if err != nil {
		t.Fatalf("S3Key: %v", err)
	}
	return k
}

// Distinct S3 events never share a key; one event's redeliveries always do.
func TestS3Key_distinctEvents(t *testing.T) {
	a1 := s3Record(t, "ObjectCreated:Put", "photo.jpg", "etag-a", "0055AED6DCD90281E5")
	b := s3Record(t, "ObjectCreated:Put", "photo.jpg", "etag-b", "0055AED6DCD90281E6")
	a2 := s3Record(t, "ObjectCreated:Put", "photo.jpg", "etag-a", "0055AED6DCD90281E7") // A again
	if k1, k3 := mustKey(t, a1), mustKey(t, a2); k1 == k3 {
		t.Errorf("uploading A, B, then A again: the third upload has the first one's key %q", k1)
	}
	if mustKey(t, a1) == mustKey(t, b) {
		t.Error("two uploads got one key")
	}
	d1 := s3Record(t, "ObjectRemoved:Delete", "photo.jpg", "", "0055AED6DCD90281F0")
	d2 := s3Record(t, "ObjectRemoved:Delete", "photo.jpg", "", "0055AED6DCD90281F8")
	if mustKey(t, d1) == mustKey(t, d2) {
		t.Error("two deletes of one key got one key")
	}
	redelivered := s3Record(t, "ObjectCreated:Put", "photo.jpg", "etag-a", "0055AED6DCD90281E5")
	if mustKey(t, a1) != mustKey(t, redelivered) {
		t.Error("a redelivery got another key")
	}
}

func TestS3Key_missing(t *testing.T) {
	for name, r := range map[string]events.S3EventRecord{
		"no eTag on a created object": s3Record(t, "ObjectCreated:Put", "a.jpg", "", "0055AED6DCD90281E5"),
		"no sequencer":                s3Record(t, "ObjectCreated:Put", "a.jpg", "etag", ""),
		"no key":                      s3Record(t, "ObjectCreated:Put", "", "etag", "0055AED6DCD90281E5"),
	} {
		if k, err := idempotency.S3Key(r); !errors.Is(err, idempotency.ErrMissingKey) {
			t.Errorf("%s: S3Key = %q, %v; want ErrMissingKey", name, k, err)
		}
	}
	if _, err := idempotency.S3Key(s3Record(t, "ObjectRemoved:Delete", "a.jpg", "", "0055AED6DCD90281E5")); err != nil {
		t.Errorf("a delete (no eTag): %v; want a key", err)
	}
}

// The raw and decoded forms of one object key are one object.
func TestS3Key_encodedKey(t *testing.T) {
	plus := s3Record(t, "ObjectCreated:Put", "my+photo%282%29.jpg", "e", "0055AED6DCD90281E5")
	pct := s3Record(t, "ObjectCreated:Put", "my%20photo%282%29.jpg", "e", "0055AED6DCD90281E5")
	built := events.S3EventRecord{EventName: "ObjectCreated:Put"} // made in code: no URLDecodedKey
	built.S3.Bucket.Name = "uploads"
	built.S3.Object = events.S3Object{Key: "my+photo%282%29.jpg", ETag: "e", Sequencer: "0055AED6DCD90281E5"}
	k := mustKey(t, plus)
	if mustKey(t, pct) != k || mustKey(t, built) != k || !strings.HasSuffix(k, "|my photo(2).jpg") {
		t.Errorf("one object under three spellings: %q, %q, %q; want one key ending in the decoded key", k, mustKey(t, pct), mustKey(t, built))
	}
	bad := built
	bad.S3.Object.Key = "100%.jpg"
	if _, err := idempotency.S3Key(bad); err == nil || errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("undecodable key: %v; want a decoding error", err)
	}
}

func TestSQSKey(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"sqs-event.json", "sqs|arn:aws:sqs:us-west-2:123456789012:SQSQueue|MessageID_1"},
		{"sqs-fifo-event.json", "sqs|arn:aws:sqs:us-east-2:123456789012:fifo.fifo|11d6ee51-4cc7-4302-9e22-7cd8afdaadf5"},
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
	// Content-based deduplication: the same body sent again after SQS's
	// five-minute window is a new message, with the same deduplication id.
	var e events.SQSEvent
	mustLoad(t, "sqs-fifo-event.json", &e)
	later := e.Records[0]
	later.MessageId = "2e1424d4-f796-459a-8184-9c92662be6da"
	if k1, _ := idempotency.SQSKey(e.Records[0]); k1 == mustSQSKey(t, later) {
		t.Errorf("two FIFO messages with one deduplication id share the key %q", k1)
	}
}

func mustSQSKey(t *testing.T, m events.SQSMessage) string {
	t.Helper()
	k, err := idempotency.SQSKey(m)
	if err != nil {
		t.Fatal(err)
	}
	return k
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
	// Every field length-prefixed; the sample's Lambda authorizer's
	// principalId ("admin") is the caller.
	if want := "apigw|10:gy415nuibc|9:testStage|14:POST /{proxy+}|14:lambda|5:admin|36:8e03978e-40d5-43e8-bc93-6894a57f9324"; err != nil || got != want {
		t.Errorf("APIGatewayKey = %q, %v; want %q", got, err, want)
	}
	// The IETF draft quotes the key as a structured-field string.
	r.Headers["idempotency-key"] = `"8e03978e-40d5-43e8-bc93-6894a57f9324"`
	if q, _ := idempotency.APIGatewayKey(r); q != got {
		t.Errorf("quoted header: %q; want %q", q, got)
	}
	// Another stage (or API) with the same key is another request.
	r2 := r
	r2.RequestContext.Stage = "prod"
	if k2, _ := idempotency.APIGatewayKey(r2); k2 == got {
		t.Error("two stages share one key")
	}
	// Without a resource the path scopes the key, not nothing.
	r3 := r
	r3.Resource = ""
	if k3, _ := idempotency.APIGatewayKey(r3); !strings.Contains(k3, "|17:POST /hello/world|") {
		t.Errorf("without a resource: %q; want the path as its scope", k3)
	}
	r3.Path, r3.HTTPMethod = "", ""
	if k, err := idempotency.APIGatewayKey(r3); !errors.Is(err, idempotency.ErrUnscopedKey) || !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("no method or route: %q, %v; want ErrUnscopedKey, which is an ErrMissingKey", k, err)
	}
	if _, err := idempotency.APIGatewayKey(events.APIGatewayProxyRequest{HTTPMethod: "POST"}); errors.Is(err, idempotency.ErrUnscopedKey) {
		t.Errorf("no header and no route: %v; want ErrMissingKey alone (the client sent no key)", err)
	}
	delete(r.Headers, "idempotency-key")
	r.MultiValueHeaders = map[string][]string{"IDEMPOTENCY-KEY": {"mv"}}
	if got, _ := idempotency.APIGatewayKey(r); !strings.HasSuffix(got, "|2:mv") {
		t.Errorf("from multi-value headers: %q", got)
	}

	var v2 events.APIGatewayV2HTTPRequest
	mustLoad(t, "apigw-v2-request-no-authorizer.json", &v2)
	v2.Headers["idempotency-key"] = "abc"
	if got, err := idempotency.APIGatewayV2Key(v2); err != nil || got != "apigw|10:aaaaaaaaaa|8:$default|5:GET /|91:mtls|79:C=US,ST=Washington,L=Seattle,O=Amazon Web Services,OU=Security,CN=My Private CA|1:1|3:abc" {
		// $default route: method and path; no authorizer, but a client
		// certificate (mutual TLS) is the caller.
		t.Errorf("APIGatewayV2Key = %q, %v", got, err)
	}
}

// The From variants read another header and scope it exactly as the
// Idempotency-Key extractors do: one definition of "the same request".
func TestAPIGatewayKeyFrom(t *testing.T) {
	var r events.APIGatewayProxyRequest
	mustLoad(t, "apigw-request.json", &r)
	r.Headers["idempotency-key"] = "k-1"
	want, _ := idempotency.APIGatewayKey(r)
	from := idempotency.APIGatewayKeyFrom("X-Request-Key")
	if k, err := from(r); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("X-Request-Key extractor on a request with only Idempotency-Key: %q, %v; want ErrMissingKey", k, err)
	}
	r.Headers = map[string]string{"x-request-key": ` "k-1" `}
	if k, err := from(r); err != nil || k != want {
		t.Errorf("from X-Request-Key = %q, %v; want %q, as from Idempotency-Key", k, err, want)
	}
	r.Headers, r.MultiValueHeaders = nil, map[string][]string{"X-REQUEST-KEY": {"k-1", "other"}}
	if k, err := from(r); err != nil || k != want {
		t.Errorf("from multi-value X-Request-Key = %q, %v; want %q", k, err, want)
	}
	r.HTTPMethod = ""
	if _, err := from(r); !errors.Is(err, idempotency.ErrUnscopedKey) {
		t.Errorf("without a method: %v; want ErrUnscopedKey", err)
	}
	if k, _ := idempotency.APIGatewayKeyFrom("")(events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/p", Headers: map[string]string{"Idempotency-Key": "x"}}); !strings.HasSuffix(k, "|7:POST /p|9:anonymous|1:x") {
		t.Errorf("empty header name: %q; want Idempotency-Key read", k)
	}

	var v2 events.APIGatewayV2HTTPRequest
	mustLoad(t, "apigw-v2-request-no-authorizer.json", &v2)
	v2.Headers["idempotency-key"] = "abc"
	want2, _ := idempotency.APIGatewayV2Key(v2)
	delete(v2.Headers, "idempotency-key")
	v2.Headers["x-request-key"] = "abc"
	if k, err := idempotency.APIGatewayV2KeyFrom("X-Request-Key")(v2); err != nil || k != want2 {
		t.Errorf("v2 from X-Request-Key = %q, %v; want %q", k, err, want2)
	}
	v2.RawPath, v2.RouteKey = "", ""
	if _, err := idempotency.APIGatewayV2KeyFrom("X-Request-Key")(v2); !errors.Is(err, idempotency.ErrUnscopedKey) {
		t.Errorf("v2 without a route: %v; want ErrUnscopedKey", err)
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

// A resend of one SQS message with another message attribute (a trace id)
// or with its JSON members in another order is the same payload; another
// body is not.
func TestPayload_SQSBody(t *testing.T) {
	m1 := events.SQSMessage{MessageId: "m", Body: `{"order":42,"amount":{"value":10,"currency":"EUR"}}`,
		MessageAttributes: map[string]events.SQSMessageAttribute{"trace": {StringValue: ptr("t-1"), DataType: "String"}}}
	m2 := m1
	m2.Body = "{ \"amount\": {\"currency\":\"EUR\", \"value\":10}, \"order\": 42 }"
	m2.MessageAttributes = map[string]events.SQSMessageAttribute{"trace": {StringValue: ptr("t-2"), DataType: "String"}}
	m2.Attributes = map[string]string{"ApproximateReceiveCount": "2"}
	p1, _ := idempotency.Payload(m1)
	p2, _ := idempotency.Payload(m2)
	if string(p1) != string(p2) {
		t.Errorf("a resend with another attribute and member order: payload %s, then %s", p1, p2)
	}
	m2.Body = `{"order":42,"amount":{"value":11,"currency":"EUR"}}`
	if p3, _ := idempotency.Payload(m2); string(p3) == string(p1) {
		t.Error("another amount has the same payload")
	}
	// Big numbers stay exact: no float64 rounding merges them.
	a, _ := idempotency.Payload(events.SQSMessage{Body: `{"id":12345678901234567890}`})
	b, _ := idempotency.Payload(events.SQSMessage{Body: `{"id":12345678901234567891}`})
	if string(a) == string(b) {
		t.Error("two large ids share a payload")
	}
	// A body that is not JSON is hashed as it is.
	if p, _ := idempotency.Payload(events.SQSMessage{Body: "plain text"}); string(p) != "plain text" {
		t.Errorf("plain body: %q", p)
	}

	sel := idempotency.SQSBodyFields("order", "amount.value", "missing.path")
	f1, err := sel(m1)
	if err != nil || string(f1) != `[42,10,null]` {
		t.Errorf("SQSBodyFields = %s, %v", f1, err)
	}
	if _, err := sel(events.SQSMessage{Body: "not json"}); err == nil {
		t.Error("SQSBodyFields of a non-JSON body: no error")
	}
	if raw, _ := idempotency.SQSBody(m2); string(raw) != m2.Body {
		t.Errorf("SQSBody = %q", raw)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCanonicalJSON(t *testing.T) {
	for in, want := range map[string]string{
		` {"b": [1, 2.50, "x<y"], "a": {"d": null, "c": true}} `: `{"a":{"c":true,"d":null},"b":[1,2.50,"x<y"]}`,
		`"\u00e9"`: `"é"`,
		`[]`:       `[]`,
	} {
		if got, err := idempotency.CanonicalJSON([]byte(in)); err != nil || string(got) != want {
			t.Errorf("CanonicalJSON(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{`{"a":1,"a":2}`, `{"a":1} {}`, `{`, ``, strings.Repeat("[", 1002) + strings.Repeat("]", 1002)} {
		if got, err := idempotency.CanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("CanonicalJSON(%.20s) = %s; want an error", bad, got)
		}
	}
}

// One S3 event seen with other content (eTag) is a payload mismatch.
func TestPayload_S3ETag(t *testing.T) {
	a := s3Record(t, "ObjectCreated:Put", "a.jpg", "etag-a", "0055AED6DCD90281E5")
	b := a
	b.S3.Object.ETag = "etag-b"
	b.RequestParameters.SourceIPAddress = "198.51.100.1"
	pa, _ := idempotency.Payload(a)
	pb, _ := idempotency.Payload(b)
	if string(pa) == string(pb) || !strings.Contains(string(pa), "etag-a") {
		t.Errorf("payloads %s and %s; want the eTag to tell them apart", pa, pb)
	}
}
