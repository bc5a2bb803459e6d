package media_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/media"
)

// The fuzz targets of the event decoding. Each compares the decoders with
// aws-lambda-go's own unmarshalling (encoding/json into its event types),
// the oracle of what an event is, and is seeded with aws-lambda-go's
// samples, bare, in an SQS message's body and in an SNS envelope. Run one
// with
//
//	go test -run '^$' -fuzz FuzzDetectShape ./media   (FuzzFromSQSBody, FuzzFromS3, FuzzFromEventBridge)

func samples(f *testing.F) map[string][]byte {
	f.Helper()
	out := map[string][]byte{}
	for _, path := range testenv.LambdaEvents(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		out[filepath.Base(path)] = b
	}
	return out
}

// inSQS wraps body as the only message of an SQS event.
func inSQS(body string) []byte {
	b, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", EventSource: "aws:sqs", Body: body}}})
	return b
}

// inSNS wraps message as SNS delivers it to SQS.
func inSNS(message string) string {
	b, _ := json.Marshal(map[string]any{"Type": "Notification", "MessageId": "n", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": message})
	return string(b)
}

// FuzzDetectShape: DetectShape names the shape aws-lambda-go's types see.
// An EventBridge event is anything with a detail-type; otherwise the first
// record's event source decides. When DetectShape names a shape, the
// payload either decodes as that event with that source, or does not
// decode at all (Invoke then reports an EventError); when the event type
// decodes with its source, DetectShape names it.
func FuzzDetectShape(f *testing.F) {
	for _, b := range samples(f) {
		f.Add(b)
		f.Add(inSQS(string(b)))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got := media.DetectShape(payload)
		var eb struct {
			DetailType *string `json:"detail-type"`
		}
		var sqs events.SQSEvent
		var s3 events.S3Event
		var sns events.SNSEvent
		ebOK := json.Unmarshal(payload, &eb) == nil && eb.DetailType != nil
		sqsOK := json.Unmarshal(payload, &sqs) == nil && len(sqs.Records) > 0 && sqs.Records[0].EventSource == "aws:sqs"
		s3OK := json.Unmarshal(payload, &s3) == nil && len(s3.Records) > 0 && s3event.IsS3Source(s3.Records[0].EventSource)
		snsOK := json.Unmarshal(payload, &sns) == nil && len(sns.Records) > 0 && sns.Records[0].EventSource == "aws:sns"
		var want media.Shape
		switch {
		case ebOK:
			want = media.ShapeEventBridge
		case sqsOK:
			want = media.ShapeSQS
		case s3OK:
			want = media.ShapeS3
		case snsOK:
			want = media.ShapeSNS
		}
		if want != media.ShapeUnknown && got != want {
			t.Fatalf("DetectShape(%q) = %v; aws-lambda-go decodes it as %v", payload, got, want)
		}
		if got != media.ShapeUnknown && got != want {
			// Named, but the oracle's type does not decode: only a payload
			// malformed for that type, which Invoke rejects.
			var dst any = &sqs
			switch got {
			case media.ShapeS3:
				dst = &s3
			case media.ShapeSNS:
				dst = &sns
			case media.ShapeEventBridge:
				dst = &events.CloudWatchEvent{}
			}
			if json.Unmarshal(payload, dst) == nil && got != media.ShapeEventBridge {
				t.Fatalf("DetectShape(%q) = %v, but aws-lambda-go decodes it as something else (%v)", payload, got, want)
			}
		}
	})
}

// FuzzFromSQSBody: a decoded body is what aws-lambda-go decodes: the S3
// notification's records one for one (bucket, URL-decoded key, eTag,
// versionId), the EventBridge event's bucket and key, or the same inside
// one SNS envelope; the TestEvent is ErrTestEvent; everything else is an
// *EventError. Never a panic, never another error.
func FuzzFromSQSBody(f *testing.F) {
	for name, b := range samples(f) {
		if strings.HasPrefix(name, "s3-event") || strings.HasPrefix(name, "cloudwatch") || strings.HasPrefix(name, "sns") || strings.HasPrefix(name, "sqs") {
			f.Add(string(b))
			f.Add(inSNS(string(b)))
		}
	}
	f.Add(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-12-02T08:00:00.000Z","Bucket":"b"}`)
	f.Add(inSNS(`{"Service":"Amazon S3","Event":"s3:TestEvent"}`))
	f.Add(`{"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3","time":"2026-12-02T08:00:00Z","detail":{"bucket":{"name":"b"},"object":{"key":"uploads/a b.jpg","etag":"e","sequencer":"0055"},"request-id":"R"}}`)
	f.Add("not JSON")
	f.Fuzz(func(t *testing.T, body string) {
		evs, err := media.FromSQSBody(body)
		checkBody(t, body, evs, err, true)
	})
}

// checkBody checks FromSQSBody's (or FromSNSMessage's) result for body
// against the oracle.
func checkBody(t *testing.T, body string, evs []media.Event, err error, allowSNS bool) {
	t.Helper()
	var ee *media.EventError
	switch {
	case errors.Is(err, media.ErrTestEvent):
		var probe struct{ Event, Type string }
		if json.Unmarshal([]byte(body), &probe) != nil || probe.Event != "s3:TestEvent" && probe.Type != "Notification" {
			t.Fatalf("ErrTestEvent for %q", body)
		}
		return
	case errors.As(err, &ee):
		return
	case err != nil:
		t.Fatalf("FromSQSBody(%q): an error that is not an *EventError: %v", body, err)
	}
	if len(evs) == 0 {
		t.Fatalf("FromSQSBody(%q): no events and no error", body)
	}
	for _, e := range evs {
		if e.Bucket == "" || e.Key == "" || (e.Kind != media.ObjectCreated && e.Kind != media.ObjectRemoved) {
			t.Fatalf("FromSQSBody(%q): event %+v", body, e)
		}
		if n, err := media.NormalizeSequencer(e.Sequencer); err != nil || n != e.Sequencer {
			t.Fatalf("FromSQSBody(%q): sequencer %q not normalised", body, e.Sequencer)
		}
	}
	var sns events.SNSEntity
	var eb events.CloudWatchEvent
	var s3 events.S3Event
	var probe struct {
		DetailType *string `json:"detail-type"`
		Event      string
	}
	_ = json.Unmarshal([]byte(body), &probe)
	switch {
	case json.Unmarshal([]byte(body), &sns) == nil && sns.Type == "Notification" && probe.Event != "s3:TestEvent" && probe.DetailType == nil && hasMessage(body):
		if !allowSNS {
			t.Fatalf("FromSNSMessage(%q) accepted an envelope in an envelope", body)
		}
		inner, err := media.FromSNSMessage(sns.Message)
		if err != nil || len(inner) != len(evs) {
			t.Fatalf("FromSQSBody(%q) = %d events; its SNS message decodes to %d (%v)", body, len(evs), len(inner), err)
		}
	case probe.DetailType != nil:
		if json.Unmarshal([]byte(body), &eb) != nil || len(evs) != 1 {
			t.Fatalf("FromSQSBody(%q) = %d events from an EventBridge event aws-lambda-go cannot decode", body, len(evs))
		}
		var d struct {
			Bucket struct{ Name string }
			Object struct {
				Key, Etag string
			}
		}
		if json.Unmarshal(eb.Detail, &d) != nil || d.Bucket.Name != evs[0].Bucket || d.Object.Key != evs[0].Key {
			t.Fatalf("FromSQSBody(%q) = %+v; the detail says bucket %q, key %q", body, evs[0], d.Bucket.Name, d.Object.Key)
		}
	default:
		if err := json.Unmarshal([]byte(body), &s3); err != nil || len(s3.Records) != len(evs) {
			t.Fatalf("FromSQSBody(%q) = %d events; aws-lambda-go decodes %d records (%v)", body, len(evs), len(s3.Records), err)
		}
		for i, r := range s3.Records {
			e := evs[i]
			if e.Bucket != r.S3.Bucket.Name || e.Key != r.S3.Object.URLDecodedKey || e.ETag != strings.Trim(r.S3.Object.ETag, `"`) || e.VersionID != r.S3.Object.VersionID {
				t.Fatalf("FromSQSBody(%q)[%d] = %+v; aws-lambda-go reads bucket %q, key %q, eTag %q, version %q",
					body, i, e, r.S3.Bucket.Name, r.S3.Object.URLDecodedKey, r.S3.Object.ETag, r.S3.Object.VersionID)
			}
		}
	}
}

// hasMessage reports whether body's Message member is a JSON string, as
// an SNS envelope's is.
func hasMessage(body string) bool {
	var m struct{ Message *string }
	return json.Unmarshal([]byte(body), &m) == nil && m.Message != nil
}

// FuzzFromS3: FromS3 on a record aws-lambda-go decodes returns its bucket
// and URL-decoded key, or an *EventError.
func FuzzFromS3(f *testing.F) {
	for name, b := range samples(f) {
		if strings.HasPrefix(name, "s3-event") {
			var ev events.S3Event
			if json.Unmarshal(b, &ev) == nil {
				for _, r := range ev.Records {
					rb, _ := json.Marshal(r)
					f.Add(rb)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, record []byte) {
		var r events.S3EventRecord
		if json.Unmarshal(record, &r) != nil {
			return
		}
		e, err := media.FromS3(r)
		var ee *media.EventError
		if err != nil {
			if !errors.As(err, &ee) {
				t.Fatalf("FromS3: %v is not an *EventError", err)
			}
			return
		}
		if e.Bucket != r.S3.Bucket.Name || e.Key != r.S3.Object.URLDecodedKey || e.Key == "" {
			t.Fatalf("FromS3(%s) = %+v; aws-lambda-go reads bucket %q, key %q", record, e, r.S3.Bucket.Name, r.S3.Object.URLDecodedKey)
		}
	})
}

// FuzzFromEventBridge: FromEventBridge on an event aws-lambda-go decodes
// returns the detail's bucket and key as written (EventBridge does not
// URL-encode), or an *EventError.
func FuzzFromEventBridge(f *testing.F) {
	for name, b := range samples(f) {
		if strings.HasPrefix(name, "cloudwatch-event") || strings.Contains(name, "eventbridge") {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"version":"0","id":"1","detail-type":"Object Deleted","source":"aws.s3","time":"2026-12-02T08:00:00Z","detail":{"bucket":{"name":"b"},"object":{"key":"uploads/a+b%20c.jpg","sequencer":"00AB"},"request-id":"R"}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var ev events.CloudWatchEvent
		if json.Unmarshal(payload, &ev) != nil {
			return
		}
		e, err := media.FromEventBridge(ev)
		var ee *media.EventError
		if err != nil {
			if !errors.As(err, &ee) {
				t.Fatalf("FromEventBridge: %v is not an *EventError", err)
			}
			return
		}
		var d struct {
			Bucket struct{ Name string }
			Object struct{ Key string }
		}
		if json.Unmarshal(ev.Detail, &d) != nil || d.Bucket.Name != e.Bucket || d.Object.Key != e.Key {
			t.Fatalf("FromEventBridge(%s) = %+v; the detail says %q %q", payload, e, d.Bucket.Name, d.Object.Key)
		}
	})
}
