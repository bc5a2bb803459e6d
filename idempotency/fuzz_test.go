package idempotency_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/internal/testenv"
)

// The fuzz targets decode their input with aws-lambda-go's own unmarshalling
// (what a Lambda handler receives) and check the extractors against it: no
// panic, the same key for a redelivery (the event re-encoded and decoded
// again), a missing key exactly when the oracle's fields lack what
// identifies the event, and the identifying fields in the key. Seeds are
// aws-lambda-go's event samples. Run one with, for example:
//
//	go test -fuzz FuzzS3EventKey -fuzztime 1m ./idempotency

// seed adds aws-lambda-go's sample events named to f.
func seed(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(testenv.LambdaEvent(f, n))
	}
}

// redelivered returns v encoded and decoded again, as a queue that carries
// an event as JSON delivers it.
func redelivered[T any](t *testing.T, v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	var again T
	if err := json.Unmarshal(b, &again); err != nil {
		t.Skip("aws-lambda-go cannot decode what it encoded:", err) // not the extractor's concern
	}
	return again
}

func FuzzS3EventKey(f *testing.F) {
	seed(f, "s3-event.json", "s3-event-with-decoded.json", "s3-lifecycle-event.json", "s3-replication-event.json",
		"s3-restore-event.json", "s3-intelligenttier-event.json")
	f.Add([]byte(`{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"a+b%2Bc","sequencer":"0A"}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e events.S3Event
		if json.Unmarshal(data, &e) != nil {
			return
		}
		key, err := idempotency.S3EventKey(e)
		missing := len(e.Records) == 0
		for _, r := range e.Records {
			o := r.S3.Object
			if r.S3.Bucket.Name == "" || o.Key == "" && o.URLDecodedKey == "" || o.Sequencer == "" ||
				o.ETag == "" && strings.HasPrefix(r.EventName, "ObjectCreated:") {
				missing = true
				break
			}
		}
		if errors.Is(err, idempotency.ErrMissingKey) != missing {
			t.Fatalf("S3EventKey = %q, %v; the oracle says missing=%v", key, err, missing)
		}
		if err != nil {
			return
		}
		lines := strings.Split(key, "\n")
		if len(lines) != len(e.Records) {
			t.Fatalf("%d key lines for %d records", len(lines), len(e.Records))
		}
		for i, r := range e.Records {
			if !strings.HasPrefix(lines[i], "s3|"+r.S3.Bucket.Name+"|") || !strings.HasSuffix(lines[i], "|"+r.S3.Object.URLDecodedKey) {
				t.Fatalf("key line %q lacks the bucket %q or the decoded key %q", lines[i], r.S3.Bucket.Name, r.S3.Object.URLDecodedKey)
			}
		}
		if again, err := idempotency.S3EventKey(redelivered(t, e)); err != nil || again != key {
			t.Fatalf("a redelivery got %q, %v; want %q", again, err, key)
		}
		// Another sequencer is another event.
		other := redelivered(t, e)
		other.Records[0].S3.Object.Sequencer += "1"
		if k2, err := idempotency.S3EventKey(other); err == nil && k2 == key {
			t.Fatalf("another sequencer gave the same key %q", key)
		}
		p1, err1 := idempotency.Payload(e)
		p2, err2 := idempotency.Payload(redelivered(t, e))
		if err1 != nil || err2 != nil || !bytes.Equal(p1, p2) {
			t.Fatalf("payloads of one event: %s (%v), %s (%v)", p1, err1, p2, err2)
		}
	})
}

func FuzzSQSKey(f *testing.F) {
	seed(f, "sqs-event.json")
	f.Add([]byte(`{"messageId":"m","eventSourceARN":"arn:aws:sqs:eu-central-1:1:q.fifo","body":"{\"b\":1, \"a\":[2]}","attributes":{"MessageDeduplicationId":"d"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev events.SQSEvent
		var msgs []events.SQSMessage
		if json.Unmarshal(data, &ev) == nil && len(ev.Records) > 0 {
			msgs = ev.Records
		} else {
			var m events.SQSMessage
			if json.Unmarshal(data, &m) != nil {
				return
			}
			msgs = []events.SQSMessage{m}
		}
		for _, m := range msgs {
			key, err := idempotency.SQSKey(m)
			if errors.Is(err, idempotency.ErrMissingKey) != (m.MessageId == "") {
				t.Fatalf("SQSKey = %q, %v for messageId %q", key, err, m.MessageId)
			}
			if err == nil && key != "sqs|"+m.EventSourceARN+"|"+m.MessageId {
				t.Fatalf("SQSKey = %q; want the queue and messageId", key)
			}
			p1, err1 := idempotency.Payload(m)
			again := redelivered(t, m)
			again.ReceiptHandle, again.Attributes = "other", map[string]string{"ApproximateReceiveCount": "9"}
			p2, err2 := idempotency.Payload(again)
			if err1 != nil || err2 != nil || !bytes.Equal(p1, p2) {
				t.Fatalf("payloads of one message differ: %q, %q (%v, %v)", p1, p2, err1, err2)
			}
			if c, err := idempotency.CanonicalJSON([]byte(m.Body)); err == nil && !bytes.Equal(c, p1) {
				t.Fatalf("a JSON body's payload %q is not its canonical form %q", p1, c)
			}
		}
	})
}

func FuzzEventBridgeKey(f *testing.F) {
	// aws-lambda-go ships no EventBridge sample: this package's own.
	b, err := os.ReadFile(filepath.Join("testdata", "eventbridge-event.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var e events.EventBridgeEvent
		if json.Unmarshal(data, &e) != nil {
			return
		}
		key, err := idempotency.EventBridgeKey(e)
		if errors.Is(err, idempotency.ErrMissingKey) != (e.ID == "") {
			t.Fatalf("EventBridgeKey = %q, %v for id %q", key, err, e.ID)
		}
		if err == nil && key != "events|"+e.Source+"|"+e.ID {
			t.Fatalf("EventBridgeKey = %q", key)
		}
		if _, err := idempotency.Payload(e); err != nil {
			t.Fatalf("Payload: %v", err)
		}
	})
}

// lengthPrefixed is the API Gateway keys' encoding, written out again:
// kind, then "|len:field" for each field.
func lengthPrefixed(kind string, fs ...string) string {
	for _, f := range fs {
		kind += "|" + strconv.Itoa(len(f)) + ":" + f
	}
	return kind
}

// splitLengthPrefixed decodes what lengthPrefixed encodes, reporting
// whether s is exactly such an encoding: the one list of fields it can
// decode to, which makes the encoding unambiguous.
func splitLengthPrefixed(s, kind string) ([]string, bool) {
	rest, ok := strings.CutPrefix(s, kind)
	var fs []string
	for ok && rest != "" {
		var n string
		if rest, ok = strings.CutPrefix(rest, "|"); !ok {
			break
		}
		if n, rest, ok = strings.Cut(rest, ":"); !ok {
			break
		}
		l, err := strconv.Atoi(n)
		if ok = err == nil && l >= 0 && l <= len(rest) && strconv.Itoa(l) == n; ok {
			fs, rest = append(fs, rest[:l]), rest[l:]
		}
	}
	return fs, ok
}

func FuzzAPIGatewayKey(f *testing.F) {
	seed(f, "apigw-request.json", "apigw-restapi-openapi-request.json")
	f.Add([]byte(`{"httpMethod":"POST","resource":"/orders","headers":{"idempotency-KEY":" \"a\\\"b\" "},"requestContext":{"apiId":"x","stage":"prod"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r events.APIGatewayProxyRequest
		if json.Unmarshal(data, &r) != nil {
			return
		}
		key, err := idempotency.APIGatewayKey(r)
		if err != nil {
			if !errors.Is(err, idempotency.ErrMissingKey) {
				t.Fatalf("APIGatewayKey: %v; want only ErrMissingKey", err)
			}
			return
		}
		route := r.Resource
		if route == "" {
			route = r.Path
		}
		principal, err := idempotency.APIGatewayPrincipal(r)
		if err != nil || principal == "" {
			t.Fatalf("APIGatewayKey = %q yet its principal is %q, %v: the key must then be ErrNoPrincipal", key, principal, err)
		}
		prefix := lengthPrefixed("apigw", r.RequestContext.APIID, r.RequestContext.Stage, r.HTTPMethod+" "+route, principal)
		if fs, ok := splitLengthPrefixed(key, "apigw"); !ok || len(fs) != 5 || fs[4] == "" || !strings.HasPrefix(key, prefix+"|") {
			t.Fatalf("APIGatewayKey = %q; want the scope %q and a key, length-prefixed", key, prefix)
		}
		if again, _ := idempotency.APIGatewayKey(redelivered(t, r)); again != key {
			t.Fatalf("a retry got %q; want %q", again, key)
		}
	})
}

func FuzzAPIGatewayV2Key(f *testing.F) {
	seed(f, "apigw-v2-request-no-authorizer.json", "apigw-v2-request-iam.json", "apigw-v2-request-jwt-authorizer.json", "apigw-v2-request-lambda-authorizer.json")
	f.Add([]byte(`{"routeKey":"POST /orders","headers":{"idempotency-key":"\"k-1\""},"requestContext":{"apiId":"x","stage":"prod"}}`))
	f.Add([]byte(`{"routeKey":"$default","rawPath":"/orders","headers":{"Idempotency-Key":"k-1"},"requestContext":{"apiId":"x","stage":"$default","http":{"method":"POST"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r events.APIGatewayV2HTTPRequest
		if json.Unmarshal(data, &r) != nil {
			return
		}
		key, err := idempotency.APIGatewayV2Key(r)
		if err != nil {
			if !errors.Is(err, idempotency.ErrMissingKey) {
				t.Fatalf("APIGatewayV2Key: %v; want only ErrMissingKey", err)
			}
			return
		}
		route := r.RouteKey
		if route == "" || route == "$default" {
			route = r.RequestContext.HTTP.Method + " " + r.RawPath
		}
		principal, err := idempotency.APIGatewayV2Principal(r)
		if err != nil || principal == "" {
			t.Fatalf("APIGatewayV2Key = %q yet its principal is %q, %v: the key must then be ErrNoPrincipal", key, principal, err)
		}
		prefix := lengthPrefixed("apigw", r.RequestContext.APIID, r.RequestContext.Stage, route, principal)
		if fs, ok := splitLengthPrefixed(key, "apigw"); !ok || len(fs) != 5 || fs[4] == "" || !strings.HasPrefix(key, prefix+"|") {
			t.Fatalf("APIGatewayV2Key = %q; want the scope %q and a key, length-prefixed", key, prefix)
		}
		if again, _ := idempotency.APIGatewayV2Key(redelivered(t, r)); again != key {
			t.Fatalf("a retry got %q; want %q", again, key)
		}
	})
}

// CanonicalJSON agrees with encoding/json about what is valid and what a
// document means, and its output is canonical (a fixed point).
func FuzzCanonicalJSON(f *testing.F) {
	seed(f, "s3-event.json", "sqs-event.json", "apigw-request.json")
	f.Add([]byte(`{"b":[1,2.50e3,"\u00e9<"],"a":{"d":null,"c":true}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := idempotency.CanonicalJSON(data)
		if !json.Valid(data) {
			if err == nil {
				t.Fatalf("invalid JSON %q canonicalised to %q", data, out)
			}
			return
		}
		if err != nil {
			return // duplicate members or too deep: refused, never merged
		}
		if !json.Valid(out) {
			t.Fatalf("CanonicalJSON(%q) = %q, not JSON", data, out)
		}
		var a, b any
		da, db := json.NewDecoder(bytes.NewReader(data)), json.NewDecoder(bytes.NewReader(out))
		da.UseNumber()
		db.UseNumber()
		if da.Decode(&a) != nil || db.Decode(&b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("CanonicalJSON(%q) = %q means something else", data, out)
		}
		if again, err := idempotency.CanonicalJSON(out); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not a fixed point: %q -> %q (%v)", out, again, err)
		}
	})
}

// FuzzSQSS3Keys: a body's keys are S3Key of their records, the records
// re-sent as a plain S3 notification (S3 → SQS) and inside an SNS
// notification get the same keys, and every refusal is either the test
// event or a *MessageError, with no keys.
func FuzzSQSS3Keys(f *testing.F) {
	seed(f, "s3-event.json", "s3-lifecycle-event.json", "sns-event.json", "sqs-event.json")
	for _, n := range []string{"s3-eventbridge-event.json", "s3-test-event.json", "eventbridge-event.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Type":"Notification","Message":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectRemoved:Delete\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"a+b%2Bc\",\"sequencer\":\"0A\"}}}]}"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := events.SQSMessage{MessageId: "m", Body: string(data)}
		keys, err := idempotency.SQSS3Keys(m)
		if err != nil {
			if keys != nil || errors.Is(err, idempotency.ErrTestEvent) == errors.Is(err, idempotency.ErrMalformedMessage) {
				t.Fatalf("SQSS3Keys = %d keys, %v; want no keys and exactly one of ErrTestEvent, ErrMalformedMessage", len(keys), err)
			}
			if _, ok := errors.AsType[*idempotency.MessageError](err); ok != errors.Is(err, idempotency.ErrMalformedMessage) {
				t.Fatalf("%v: a malformed message that is not a *MessageError", err)
			}
			return
		}
		if len(keys) == 0 {
			t.Fatal("no keys and no error")
		}
		recs := make([]events.S3EventRecord, len(keys))
		for i, k := range keys {
			recs[i] = k.Record
			if want, err := idempotency.S3Key(k.Record); err != nil || want != k.Key {
				t.Fatalf("key %q; S3Key of its record is %q, %v", k.Key, want, err)
			}
		}
		plain, err := json.Marshal(events.S3Event{Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		envelope, err := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "n", "Message": string(plain)})
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range [][]byte{plain, envelope} {
			if len(body) > idempotency.MaxS3MessageBody {
				continue // re-encoding may grow past the limit
			}
			again, err := idempotency.SQSS3Keys(events.SQSMessage{MessageId: "m2", Body: string(body)})
			if err != nil || len(again) != len(keys) {
				t.Fatalf("re-sent as %s: %d keys, %v; want %d", body, len(again), err, len(keys))
			}
			for i := range keys {
				if again[i].Key != keys[i].Key || !bytes.Equal(again[i].Payload, keys[i].Payload) {
					t.Fatalf("re-sent: key %q, payload %s; want %q, %s", again[i].Key, again[i].Payload, keys[i].Key, keys[i].Payload)
				}
			}
		}
	})
}
