package idempotency_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
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

// snsBody wraps message in the notification SNS sends to a subscribed queue
// without raw message delivery, with the fields AWS documents for it
// (https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html),
// their values from aws-lambda-go's SNS sample.
func snsBody(t *testing.T, message string) string {
	t.Helper()
	var ev events.SNSEvent
	if err := json.Unmarshal([]byte(readSample(t, "sns-event.json")), &ev); err != nil {
		t.Fatal(err)
	}
	s := ev.Records[0].SNS
	b, err := json.Marshal(map[string]string{
		"Type": s.Type, "MessageId": s.MessageID, "TopicArn": s.TopicArn, "Subject": "Amazon S3 Notification",
		"Message": message, "Timestamp": s.Timestamp.Format("2006-01-02T15:04:05.000Z"), "SignatureVersion": s.SignatureVersion,
		"Signature": s.Signature, "SigningCertURL": s.SigningCertURL, "UnsubscribeURL": s.UnsubscribeURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// s3Encode spells a key as S3 notifications do: URL-encoded, "+" for a
// space, slashes kept.
func s3Encode(key string) string { return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/") }

// s3Object is one object event, written as an S3 notification and as the
// EventBridge event S3 sends for it.
type s3Object struct {
	name                 string // S3 notification eventName
	reason, deletionType string // EventBridge detail
	key                  string // the key itself
	etag, version, seq   string
	size                 int64
}

func (o s3Object) notification() string {
	return fmt.Sprintf(`{"Records":[%s]}`, o.record())
}

func (o s3Object) record() string {
	return fmt.Sprintf(`{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-central-1","eventTime":"2026-03-04T05:06:07.089Z",`+
		`"eventName":%q,"userIdentity":{"principalId":"AWS:AIDAEXAMPLE"},"requestParameters":{"sourceIPAddress":"203.0.113.9"},`+
		`"responseElements":{"x-amz-request-id":"N4N7GDK58NMKJ12R","x-amz-id-2":"EXAMPLE"},"s3":{"s3SchemaVersion":"1.0","configurationId":"uploads",`+
		`"bucket":{"name":"media-uploads","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},"arn":"arn:aws:s3:::media-uploads"},`+
		`"object":{"key":%q,"size":%d,"eTag":%q,"versionId":%q,"sequencer":%q}}}`,
		o.name, s3Encode(o.key), o.size, o.etag, o.version, o.seq)
}

func (o s3Object) eventBridge() string {
	detailType := "Object Created"
	if o.deletionType != "" {
		detailType = "Object Deleted"
	}
	return fmt.Sprintf(`{"version":"0","id":"2ee9cc15-d022-99ea-1fb8-1b1bac4850f9","detail-type":%q,"source":"aws.s3",`+
		`"account":"111122223333","time":"2026-03-04T05:06:07Z","region":"eu-central-1","resources":["arn:aws:s3:::media-uploads"],`+
		`"detail":{"version":"0","bucket":{"name":"media-uploads"},"object":{"key":%q,"size":%d,"etag":%q,"version-id":%q,"sequencer":%q},`+
		`"request-id":"N4N7GDK58NMKJ12R","requester":"111122223333","source-ip-address":"203.0.113.9","reason":%q,"deletion-type":%q}}`,
		detailType, o.key, o.size, o.etag, o.version, o.seq, o.reason, o.deletionType)
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
	for _, o := range []s3Object{
		{name: "ObjectCreated:Put", reason: "PutObject", key: "photos/été 2026/a+b c ☀.jpg", etag: "b1946ac92492d2347c6235b4d2611184", seq: "00617F08299329D189", size: 5},
		{name: "ObjectCreated:Post", reason: "POST Object", key: "in/form upload.png", etag: "0f343b0931126a20f133d67c2b018a3b", version: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", seq: "617f08299329d18a", size: 9},
		{name: "ObjectCreated:Copy", reason: "CopyObject", key: "copies/100%.txt", etag: "d41d8cd98f00b204e9800998ecf8427e", seq: "0064D3901D00059242"},
		{name: "ObjectCreated:CompleteMultipartUpload", reason: "CompleteMultipartUpload", key: "raw/health-check/2023-08-08T14:03:40.532432.zip", etag: "4af981f98d22a0b9979da24b259e5e42-12", version: "uhggCJ2_B6gU2JaXWXebnXFDstO0ID6G", seq: "0064D3901D00059243", size: 198524144},
		{name: "ObjectRemoved:Delete", reason: "DeleteObject", deletionType: "Permanently Deleted", key: "photos/été 2026/a+b c ☀.jpg", seq: "00617F08299329D190"},
		{name: "ObjectRemoved:DeleteMarkerCreated", reason: "DeleteObject", deletionType: "Delete Marker Created", key: "日本語/キー.jpg", version: "CY6jmR1pUJG.N3Y6x0AhJE5ThzK2Nhpp", seq: "00617F08299329D191"},
	} {
		samples = append(samples, sample{name: o.name + " " + o.key, notification: o.notification(), eventBridge: o.eventBridge(), decoded: o.key})
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
				{"S3 → SNS → SQS", snsBody(t, s.notification)},
				{"S3 → EventBridge → SQS", s.eventBridge},
				{"S3 → EventBridge → SNS → SQS", snsBody(t, s.eventBridge)},
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

// An EventBridge object key is the key itself: "a+b%20c.jpg" there is the
// object named so, not "a b c.jpg" (which an S3 notification spells
// a%2Bb+c.jpg).
func TestSQSS3Keys_eventBridgeKeyNotDecoded(t *testing.T) {
	o := s3Object{name: "ObjectCreated:Put", reason: "PutObject", key: "a+b%20c.jpg", etag: "e", seq: "0055AED6DCD90281E5"}
	got := mustOneKey(t, "EventBridge", o.eventBridge())
	if !strings.HasSuffix(got.Key, "|a+b%20c.jpg") || got.Record.S3.Object.URLDecodedKey != "a+b%20c.jpg" {
		t.Errorf("key %q, URLDecodedKey %q; want the key as EventBridge sent it", got.Key, got.Record.S3.Object.URLDecodedKey)
	}
	decoded := o
	decoded.key = "a b c.jpg"
	if other := mustOneKey(t, "EventBridge", decoded.eventBridge()); other.Key == got.Key {
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
		o := s3Object{reason: c.reason, deletionType: c.deletion, key: "k", etag: "e", seq: "0055AED6DCD90281E5"}
		if got := mustOneKey(t, c.reason, o.eventBridge()); got.Record.EventName != c.want {
			t.Errorf("reason %q, deletion-type %q: event name %q; want %q", c.reason, c.deletion, got.Record.EventName, c.want)
		}
	}
	// A lifecycle expiration's key carries its time, which EventBridge
	// gives to the second: redeliveries share it, S3's notification of the
	// same expiration (to the millisecond) does not.
	o := s3Object{reason: "Lifecycle Expiration", deletionType: "Permanently Deleted", key: "k", seq: "0055AED6DCD90281E5"}
	a, b := mustOneKey(t, "first", o.eventBridge()), mustOneKey(t, "again", o.eventBridge())
	if a.Key != b.Key || !strings.Contains(a.Key, "2026-03-04T05:06:07.000Z") {
		t.Errorf("lifecycle keys %q, %q; want one key with the event time", a.Key, b.Key)
	}
}

// Two records in one body are two events, returned in order, each keyed
// as if delivered alone.
func TestSQSS3Keys_twoRecords(t *testing.T) {
	a := s3Object{name: "ObjectCreated:Put", key: "a b.jpg", etag: "ea", seq: "0055AED6DCD90281E5"}
	b := s3Object{name: "ObjectRemoved:Delete", key: "c.jpg", seq: "0055AED6DCD90281F0"}
	body := fmt.Sprintf(`{"Records":[%s,%s]}`, a.record(), b.record())
	for _, body := range []string{body, snsBody(t, body)} {
		keys, err := idempotency.SQSS3Keys(message("m", body))
		if err != nil || len(keys) != 2 {
			t.Fatalf("SQSS3Keys = %d keys, %v; want 2", len(keys), err)
		}
		for i, o := range []s3Object{a, b} {
			want := mustOneKey(t, o.name, o.notification())
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
	for _, body := range []string{test, snsBody(t, test)} {
		keys, err := idempotency.SQSS3Keys(message("m", body))
		if !errors.Is(err, idempotency.ErrTestEvent) || errors.Is(err, idempotency.ErrMalformedMessage) || keys != nil {
			t.Errorf("SQSS3Keys(test event) = %v, %v; want no keys and ErrTestEvent only", keys, err)
		}
	}
}

// Every body that is not an S3 event notification is a *MessageError
// (ErrMalformedMessage) naming the message, with no keys.
func TestSQSS3Keys_malformed(t *testing.T) {
	good := s3Object{name: "ObjectCreated:Put", key: "a.jpg", etag: "e", seq: "0055AED6DCD90281E5"}
	subscribe := `{"Type":"SubscriptionConfirmation","MessageId":"165545c9-2a5c-472c-8df2-7ff2be2b3b1b","Token":"2336412f37",` +
		`"TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic","Message":"You have chosen to subscribe to the topic",` +
		`"SubscribeURL":"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription"}`
	restore := strings.Replace(good.eventBridge(), `"Object Created"`, `"Object Restore Completed"`, 1)
	for _, c := range []struct {
		name, body string
		missingKey bool // the cause is S3Key's ErrMissingKey
	}{
		{name: "empty", body: ""},
		{name: "not JSON", body: "hello"},
		{name: "truncated", body: good.notification()[:40]},
		{name: "an array", body: "[" + good.notification() + "]"},
		{name: "a string", body: `"Records"`},
		{name: "an empty object", body: "{}"},
		{name: "an order", body: `{"order":{"id":"o-1"}}`},
		{name: "no records", body: `{"Records":[]}`},
		{name: "null records", body: `{"Records":null}`},
		{name: "records not an array", body: `{"Records":{}}`},
		{name: "a key not encoded as S3 encodes keys", body: strings.Replace(good.notification(), `"a.jpg"`, `"a%zz.jpg"`, 1)},
		{name: "an SNS event record", body: readSample(t, "sns-event.json")},
		{name: "an SQS event", body: readSample(t, "sqs-event.json")},
		{name: "no sequencer", body: strings.Replace(good.notification(), "0055AED6DCD90281E5", "", 1), missingKey: true},
		{name: "created without eTag", body: strings.Replace(good.notification(), `"eTag":"e"`, `"eTag":""`, 1), missingKey: true},
		{name: "no bucket", body: strings.Replace(good.notification(), `"name":"media-uploads"`, `"name":""`, 1), missingKey: true},
		{name: "an SNS subscription confirmation", body: subscribe},
		{name: "an SNS notification of something else", body: snsBody(t, "Hello from SNS!")},
		{name: "an SNS notification in an SNS notification", body: snsBody(t, snsBody(t, good.notification()))},
		{name: "an SNS notification without Message", body: `{"Type":"Notification","MessageId":"x"}`},
		{name: "an EventBridge event of EC2", body: readSample(t, "eventbridge-event.json")},
		{name: "an S3 restore from EventBridge", body: restore},
		{name: "an EventBridge detail not an object", body: `{"detail-type":"Object Created","source":"aws.s3","detail":[1]}`},
		{name: "an EventBridge object without sequencer", body: strings.Replace(good.eventBridge(), "0055AED6DCD90281E5", "", 1), missingKey: true},
		{name: "over 256 KiB", body: good.notification() + strings.Repeat(" ", idempotency.MaxS3MessageBody)},
	} {
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
	n := s3Object{name: "ObjectCreated:Put", key: "a.jpg", etag: "e", seq: "0055AED6DCD90281E5"}.notification()
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
	body := s3Object{name: "ObjectCreated:Put", key: "a.jpg", etag: "e", seq: "0055AED6DCD90281E5"}.notification()
	m1, m2 := message("m-1", body), message("m-2", body)
	s1, _ := idempotency.SQSKey(m1)
	s2, _ := idempotency.SQSKey(m2)
	k1, k2 := mustOneKey(t, "first", m1.Body), mustOneKey(t, "second", m2.Body)
	if s1 == s2 || k1.Key != k2.Key {
		t.Errorf("SQSKey %q, %q and SQSS3Keys %q, %q; want two message keys and one event key", s1, s2, k1.Key, k2.Key)
	}
}
