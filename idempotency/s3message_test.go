package idempotency_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/internal/s3event/s3eventtest"
	"github.com/rampartdev/rampart/internal/testenv"
)

// readSample returns a JSON sample: ./testdata/name, or aws-lambda-go's
// events/testdata/name.
func readSample(t *testing.T, name string) string {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
		return string(b)
	}
	return string(testenv.LambdaEvent(t, name))
}

func message(id, body string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, EventSourceARN: "arn:aws:sqs:eu-central-1:111122223333:uploads", Body: body}
}

// mustOneKey returns the one key SQSS3Keys finds in body.
func mustOneKey(t *testing.T, how, body string) idempotency.S3RecordKey {
	t.Helper()
	keys, err := idempotency.SQSS3Keys(message("m-"+how, body))
	if err != nil || len(keys) != 1 {
		t.Fatalf("%s: SQSS3Keys = %d keys, %v; want one", how, len(keys), err)
	}
	return keys[0]
}

// The same S3 event delivered to a function, through SQS, SNS → SQS (raw
// message delivery off, and on: then the body is the notification itself)
// and EventBridge → SQS (also through SNS) has one key and one payload: the
// S3EventKey and Payload of the direct delivery.
func TestSQSS3Keys_sameKeyEveryWay(t *testing.T) {
	type sample struct {
		name                      string
		notification, eventBridge string
		decoded                   string // the object key
	}
	samples := []sample{{
		name:         "aws-lambda-go samples",
		notification: readSample(t, "s3-event.json"),
		eventBridge:  readSample(t, "s3-eventbridge-event.json"),
		decoded:      "Happy Face.jpg",
	}}
	for _, o := range []s3eventtest.Object{
		{EventName: "ObjectCreated:Put", Reason: "PutObject", Key: "photos/été 2026/a+b c ☀.jpg", ETag: "b1946ac92492d2347c6235b4d2611184", Seq: "00617F08299329D189", Size: 5},
		{EventName: "ObjectCreated:Post", Reason: "POST Object", Key: "in/form upload.png", ETag: "0f343b0931126a20f133d67c2b018a3b", Version: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", Seq: "617f08299329d18a", Size: 9},
		{EventName: "ObjectCreated:Copy", Reason: "CopyObject", Key: "copies/100%.txt", ETag: "d41d8cd98f00b204e9800998ecf8427e", Seq: "0064D3901D00059242"},
		{EventName: "ObjectCreated:CompleteMultipartUpload", Reason: "CompleteMultipartUpload", Key: "raw/health-check/2023-08-08T14:03:40.532432.zip", ETag: "4af981f98d22a0b9979da24b259e5e42-12", Version: "uhggCJ2_B6gU2JaXWXebnXFDstO0ID6G", Seq: "0064D3901D00059243", Size: 198524144},
		{EventName: "ObjectRemoved:Delete", Reason: "DeleteObject", DeletionType: "Permanently Deleted", Key: "photos/été 2026/a+b c ☀.jpg", Seq: "00617F08299329D190"},
		{EventName: "ObjectRemoved:DeleteMarkerCreated", Reason: "DeleteObject", DeletionType: "Delete Marker Created", Key: "日本語/キー.jpg", Version: "CY6jmR1pUJG.N3Y6x0AhJE5ThzK2Nhpp", Seq: "00617F08299329D191"},
	} {
		samples = append(samples, sample{name: o.EventName + " " + o.Key, notification: o.Notification(), eventBridge: o.EventBridge(), decoded: o.Key})
	}
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			var direct events.S3Event // as aws-lambda-go decodes it for a handler
			if err := json.Unmarshal([]byte(s.notification), &direct); err != nil {
				t.Fatal(err)
			}
			want, err := idempotency.S3EventKey(direct)
			if err != nil {
				t.Fatal(err)
			}
			wantPayload, err := idempotency.Payload(direct)
			if err != nil {
				t.Fatal(err)
			}
			for _, via := range []struct{ how, body string }{
				{"S3 → SQS", s.notification},
				{"S3 → SNS → SQS", s3eventtest.SNS(s.notification)},
				{"S3 → EventBridge → SQS", s.eventBridge},
				{"S3 → EventBridge → SNS → SQS", s3eventtest.SNS(s.eventBridge)},
			} {
				got := mustOneKey(t, via.how, via.body)
				if got.Key != want {
					t.Errorf("%s: key %q; want the direct delivery's %q", via.how, got.Key, want)
				}
				if !bytes.Equal(got.Payload, wantPayload) {
					t.Errorf("%s: payload %s; want the direct delivery's %s", via.how, got.Payload, wantPayload)
				}
				if k := got.Record.S3.Object.URLDecodedKey; k != s.decoded {
					t.Errorf("%s: Record's URLDecodedKey %q; want %q", via.how, k, s.decoded)
				}
				if got.Record.EventName != direct.Records[0].EventName || got.Record.S3.Bucket.Name != direct.Records[0].S3.Bucket.Name {
					t.Errorf("%s: Record %s in %s; want %s in %s", via.how, got.Record.EventName, got.Record.S3.Bucket.Name,
						direct.Records[0].EventName, direct.Records[0].S3.Bucket.Name)
				}
			}
		})
	}
}

// An S3-compatible server's record delivered to a function (MinIO's
// "s3:ObjectCreated:Put") has the key and payload SQSS3Keys gives it
// queued, where its name is read without the "s3:": an ObjectCreated key,
// without the eventTime of other event types.
func TestS3EventKey_minioAsQueued(t *testing.T) {
	for _, body := range []string{s3eventtest.MinIONotification, strings.Replace(s3eventtest.MinIONotification, `"minio:s3"`, `"ceph:s3"`, 1)} {
		var direct events.S3Event
		if err := json.Unmarshal([]byte(body), &direct); err != nil {
			t.Fatal(err)
		}
		key, err := idempotency.S3EventKey(direct)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := idempotency.Payload(direct)
		if err != nil {
			t.Fatal(err)
		}
		got := mustOneKey(t, "S3 → SQS", body)
		if key != got.Key || !bytes.Equal(payload, got.Payload) {
			t.Errorf("%s: direct key %q, payload %s; queued %q, %s", direct.Records[0].EventSource, key, payload, got.Key, got.Payload)
		}
		if want := "s3|images|ObjectCreated:Put|1|000000000000000018A1F0E2B5D31A4C|photos/a b.jpg"; key != want {
			t.Errorf("%s: key %q; want %q", direct.Records[0].EventSource, key, want)
		}
	}
}

// An EventBridge object key is the key itself: "a+b%20c.jpg" there is the
// object named so, not "a b c.jpg" (which an S3 notification spells
// a%2Bb+c.jpg).
func TestSQSS3Keys_eventBridgeKeyNotDecoded(t *testing.T) {
	o := s3eventtest.Object{EventName: "ObjectCreated:Put", Reason: "PutObject", Key: "a+b%20c.jpg", ETag: "e", Seq: "0055AED6DCD90281E5"}
	got := mustOneKey(t, "EventBridge", o.EventBridge())
	if !strings.HasSuffix(got.Key, "|a+b%20c.jpg") || got.Record.S3.Object.URLDecodedKey != "a+b%20c.jpg" {
		t.Errorf("key %q, URLDecodedKey %q; want the key as EventBridge sent it", got.Key, got.Record.S3.Object.URLDecodedKey)
	}
	decoded := o
	decoded.Key = "a b c.jpg"
	if other := mustOneKey(t, "EventBridge", decoded.EventBridge()); other.Key == got.Key {
		t.Errorf("two object names share the key %q", got.Key)
	}
}

// The reasons EventBridge gives, as S3 notification event names.
func TestSQSS3Keys_eventBridgeNames(t *testing.T) {
	for _, c := range []struct{ reason, deletion, want string }{
		{"PutObject", "", "ObjectCreated:Put"},
		{"POST Object", "", "ObjectCreated:Post"},
		{"CopyObject", "", "ObjectCreated:Copy"},
		{"CompleteMultipartUpload", "", "ObjectCreated:CompleteMultipartUpload"},
		{"RenameObject", "", "ObjectCreated:RenameObject"}, // not documented today: keyed all the same
		{"DeleteObject", "Permanently Deleted", "ObjectRemoved:Delete"},
		{"DeleteObject", "Delete Marker Created", "ObjectRemoved:DeleteMarkerCreated"},
		{"Lifecycle Expiration", "Permanently Deleted", "LifecycleExpiration:Delete"},
		{"Lifecycle Expiration", "Delete Marker Created", "LifecycleExpiration:DeleteMarkerCreated"},
	} {
		o := s3eventtest.Object{Reason: c.reason, DeletionType: c.deletion, Key: "k", ETag: "e", Seq: "0055AED6DCD90281E5"}
		if got := mustOneKey(t, c.reason, o.EventBridge()); got.Record.EventName != c.want {
			t.Errorf("reason %q, deletion-type %q: event name %q; want %q", c.reason, c.deletion, got.Record.EventName, c.want)
		}
	}
	// A lifecycle expiration's key carries its time, which EventBridge
	// gives to the second: redeliveries share it, S3's notification of the
	// same expiration (to the millisecond) does not.
	o := s3eventtest.Object{Reason: "Lifecycle Expiration", DeletionType: "Permanently Deleted", Key: "k", Seq: "0055AED6DCD90281E5"}
	a, b := mustOneKey(t, "first", o.EventBridge()), mustOneKey(t, "again", o.EventBridge())
	if a.Key != b.Key || !strings.Contains(a.Key, "2026-03-04T05:06:07.000Z") {
		t.Errorf("lifecycle keys %q, %q; want one key with the event time", a.Key, b.Key)
	}
}

// Two records in one body are two events, returned in order, each keyed
// as if delivered alone.
func TestSQSS3Keys_twoRecords(t *testing.T) {
	a := s3eventtest.Object{EventName: "ObjectCreated:Put", Key: "a b.jpg", ETag: "ea", Seq: "0055AED6DCD90281E5"}
	b := s3eventtest.Object{EventName: "ObjectRemoved:Delete", Key: "c.jpg", Seq: "0055AED6DCD90281F0"}
	body := fmt.Sprintf(`{"Records":[%s,%s]}`, a.Record(), b.Record())
	for _, body := range []string{body, s3eventtest.SNS(body)} {
		keys, err := idempotency.SQSS3Keys(message("m", body))
		if err != nil || len(keys) != 2 {
			t.Fatalf("SQSS3Keys = %d keys, %v; want 2", len(keys), err)
		}
		for i, o := range []s3eventtest.Object{a, b} {
			want := mustOneKey(t, o.EventName, o.Notification())
			if keys[i].Key != want.Key || !bytes.Equal(keys[i].Payload, want.Payload) {
				t.Errorf("record %d: key %q; want %q, as delivered alone", i, keys[i].Key, want.Key)
			}
		}
	}
}

// S3's test message, alone or through SNS, is ErrTestEvent: no keys, and
// not a malformed message.
func TestSQSS3Keys_testEvent(t *testing.T) {
	test := readSample(t, "s3-test-event.json")
	for _, body := range []string{test, s3eventtest.SNS(test)} {
		keys, err := idempotency.SQSS3Keys(message("m", body))
		if !errors.Is(err, idempotency.ErrTestEvent) || errors.Is(err, idempotency.ErrMalformedMessage) || keys != nil {
			t.Errorf("SQSS3Keys(test event) = %v, %v; want no keys and ErrTestEvent only", keys, err)
		}
	}
}

// Every body that is not an S3 event notification is a *MessageError
// (ErrMalformedMessage) naming the message, with no keys.
func TestSQSS3Keys_malformed(t *testing.T) {
	good := s3eventtest.Object{EventName: "ObjectCreated:Put", Key: "a.jpg", ETag: "e", Seq: "0055AED6DCD90281E5"}
	type tc struct {
		name, body string
		missingKey bool // the cause is S3Key's ErrMissingKey
	}
	cases := []tc{
		{name: "an SNS event record", body: readSample(t, "sns-event.json")},
		{name: "an SQS event", body: readSample(t, "sqs-event.json")},
		{name: "an EventBridge event of EC2", body: readSample(t, "eventbridge-event.json")},
		{name: "no sequencer", body: strings.Replace(good.Notification(), "0055AED6DCD90281E5", "", 1), missingKey: true},
		{name: "created without eTag", body: strings.Replace(good.Notification(), `"eTag":"e"`, `"eTag":""`, 1), missingKey: true},
		{name: "no bucket", body: strings.Replace(good.Notification(), `"name":"media-uploads"`, `"name":""`, 1), missingKey: true},
		{name: "an EventBridge object without sequencer", body: strings.Replace(good.EventBridge(), "0055AED6DCD90281E5", "", 1), missingKey: true},
	}
	for _, m := range s3eventtest.Messages() { // the shared table's, to check the message id and cause
		if m.Want == s3eventtest.Malformed {
			cases = append(cases, tc{name: m.Name, body: m.Body})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys, err := idempotency.SQSS3Keys(message("m-42", c.body))
			me, ok := errors.AsType[*idempotency.MessageError](err)
			if !ok || !errors.Is(err, idempotency.ErrMalformedMessage) || keys != nil {
				t.Fatalf("SQSS3Keys = %v, %v; want no keys and a *MessageError", keys, err)
			}
			if me.MessageID != "m-42" || !strings.Contains(err.Error(), "m-42") {
				t.Errorf("error %q does not name the message", err)
			}
			if errors.Is(err, idempotency.ErrMissingKey) != c.missingKey || errors.Is(err, idempotency.ErrTestEvent) {
				t.Errorf("error %q: ErrMissingKey %v, want %v; never ErrTestEvent", err, errors.Is(err, idempotency.ErrMissingKey), c.missingKey)
			}
		})
	}
}

// A body of MaxS3MessageBody bytes is read; one byte more is refused
// before it is parsed.
func TestSQSS3Keys_size(t *testing.T) {
	n := s3eventtest.Object{EventName: "ObjectCreated:Put", Key: "a.jpg", ETag: "e", Seq: "0055AED6DCD90281E5"}.Notification()
	atLimit := n + strings.Repeat(" ", idempotency.MaxS3MessageBody-len(n))
	if _, err := idempotency.SQSS3Keys(message("m", atLimit)); err != nil {
		t.Errorf("a body of %d bytes: %v; want its key", len(atLimit), err)
	}
	_, err := idempotency.SQSS3Keys(message("m", atLimit+" "))
	if !errors.Is(err, idempotency.ErrMalformedMessage) || !strings.Contains(err.Error(), "262145 bytes") {
		t.Errorf("a body of %d bytes: %v; want ErrMalformedMessage naming its size", len(atLimit)+1, err)
	}
}

// Two SQS messages (two messageIds) carrying one S3 event have two SQSKeys
// and one SQSS3Keys key: why SQSKey does not dedupe S3 notifications.
func TestSQSS3Keys_notTheMessageID(t *testing.T) {
	body := s3eventtest.Object{EventName: "ObjectCreated:Put", Key: "a.jpg", ETag: "e", Seq: "0055AED6DCD90281E5"}.Notification()
	m1, m2 := message("m-1", body), message("m-2", body)
	s1, _ := idempotency.SQSKey(m1)
	s2, _ := idempotency.SQSKey(m2)
	k1, k2 := mustOneKey(t, "first", m1.Body), mustOneKey(t, "second", m2.Body)
	if s1 == s2 || k1.Key != k2.Key {
		t.Errorf("SQSKey %q, %q and SQSS3Keys %q, %q; want two message keys and one event key", s1, s2, k1.Key, k2.Key)
	}
}

// SQSS3Keys reads every body of the table shared with the media service's
// FromSQSBody (internal/s3event/s3eventtest) as it says: the same records,
// each keyed by S3Key and paid for by Payload as if delivered alone, the
// same test message, the same malformed bodies.
func TestSQSS3Keys_sharedTable(t *testing.T) {
	for _, m := range s3eventtest.Messages() {
		t.Run(m.Name, func(t *testing.T) {
			keys, err := idempotency.SQSS3Keys(message("m-7", m.Body))
			switch m.Want {
			case s3eventtest.TestEvent:
				if !errors.Is(err, idempotency.ErrTestEvent) || errors.Is(err, idempotency.ErrMalformedMessage) || keys != nil {
					t.Fatalf("= %d keys, %v; want ErrTestEvent", len(keys), err)
				}
			case s3eventtest.Malformed:
				me, ok := errors.AsType[*idempotency.MessageError](err)
				if !ok || !errors.Is(err, idempotency.ErrMalformedMessage) || keys != nil || me.MessageID != "m-7" {
					t.Fatalf("= %d keys, %v; want a *MessageError for m-7", len(keys), err)
				}
			case s3eventtest.Records:
				if err != nil || len(keys) != len(m.Records) {
					t.Fatalf("= %d keys, %v; want %d", len(keys), err, len(m.Records))
				}
				for i, w := range m.Records {
					r, o := keys[i].Record, keys[i].Record.S3.Object
					got := s3eventtest.Record{EventName: r.EventName, Bucket: r.S3.Bucket.Name, Key: o.URLDecodedKey, ETag: o.ETag, VersionID: o.VersionID, Sequencer: o.Sequencer}
					if got != w {
						t.Errorf("record %d = %+v\nwant %+v", i, got, w)
					}
					k, err := idempotency.S3Key(r)
					p, perr := idempotency.Payload(events.S3Event{Records: []events.S3EventRecord{r}})
					if err != nil || perr != nil || k != keys[i].Key || !bytes.Equal(p, keys[i].Payload) {
						t.Errorf("record %d: key %q; want S3Key %q (%v, %v)", i, keys[i].Key, k, err, perr)
					}
				}
			}
		})
	}
}
