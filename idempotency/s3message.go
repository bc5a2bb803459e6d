package idempotency

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event"
)

// MaxS3MessageBody is the largest SQS message body [SQSS3Keys] reads:
// 256 KiB. No source of S3 events sends more: an S3 notification is at
// most 64 KB (its documented maximum), an SNS message or an EventBridge
// event at most 256 KiB. A queue accepts up to 1 MiB from other producers;
// such a body is not an S3 event.
const MaxS3MessageBody = 256 << 10

// S3RecordKey is one S3 object event found in an SQS message, with what
// guards it: run the work for Record under Guard.Do(ctx, Key, Payload, ...).
type S3RecordKey struct {
	// Key is the event's idempotency key: [S3Key] of Record, which is also
	// [S3EventKey] of the record delivered alone to a Lambda function.
	Key string
	// Payload is [Payload] of the record delivered alone (an S3 event of
	// this one record), so that a direct delivery and a queued one of one
	// event are the same payload, not a *[PayloadMismatchError].
	Payload []byte
	// Record is the event as S3 delivers it to a Lambda function, decoded
	// as aws-lambda-go decodes it (URLDecodedKey set). For an EventBridge
	// event it is the equivalent record: see [SQSS3Keys].
	Record events.S3EventRecord
}

// SQSS3Keys returns the S3 object events that an SQS message carries, in
// order, each with its key and payload: S3 → SQS, S3 → SNS → SQS and
// S3 → EventBridge → SQS, the usual ways to buffer S3 notifications.
//
// The same event is one S3 event, whichever way and however often it
// arrives. S3 delivers notifications at least once, so one event can reach
// a queue twice, in two messages with two messageIds: [SQSKey] (the
// messageId) tells them apart, SQSS3Keys does not. Each key is the one
// [S3EventKey] gives for the same record delivered directly, and each
// payload the one [Payload] gives for it, so a function triggered by the
// bucket and one fed by the queue share their records.
//
// The body is one of (field names as AWS documents them):
//
//   - an S3 notification, {"Records": [...]} (S3 → SQS, or S3 → SNS → SQS
//     with raw message delivery), one record per event; several are
//     returned in order. The object key is URL-encoded there, as S3 sends
//     it, and decoded for the key
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
//   - an SNS notification whose Message is such a notification (S3 → SNS
//     → SQS without raw message delivery: {"Type": "Notification",
//     "MessageId", "TopicArn", "Message", "Timestamp", "Signature", ...};
//     https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html,
//     https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html);
//     the Message may also be an EventBridge event, not another SNS
//     notification;
//   - an S3 event from EventBridge ("source": "aws.s3", "detail-type":
//     "Object Created" or "Object Deleted"; the detail's bucket.name,
//     object.key, size, etag, version-id and sequencer, reason and
//     deletion-type;
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
//     Its object key is not URL-encoded and is used as it is. Record is
//     the equivalent S3 record: the event name from the reason (PutObject
//     is ObjectCreated:Put, POST Object ObjectCreated:Post, CopyObject
//     ObjectCreated:Copy, CompleteMultipartUpload
//     ObjectCreated:CompleteMultipartUpload, DeleteObject ObjectRemoved:Delete
//     or, with deletion-type "Delete Marker Created",
//     ObjectRemoved:DeleteMarkerCreated, Lifecycle Expiration
//     LifecycleExpiration:Delete or :DeleteMarkerCreated;
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html),
//     the region, time, request id (responseElements' x-amz-request-id),
//     requester and source IP. An Object Created or DeleteObject event
//     then has the key of its S3 notification, provided S3 gives both the
//     same sequencer and versionId (both name the operation in the
//     object's history; AWS documents the fields in both, not that their
//     values agree). Lifecycle expirations do not share keys: theirs
//     carries the event time, which EventBridge gives to the second and S3
//     notifications to the millisecond. A reason not
//     listed here (one S3 adds later) makes the name ObjectCreated:<reason>
//     or ObjectRemoved:<reason>: keyed, but not like its notification.
//
// S3's test message ({"Service": "Amazon S3", "Event": "s3:TestEvent",
// ...}, sent when a notification is configured, possibly inside an SNS
// notification) returns no keys and [ErrTestEvent]: acknowledge it. Any
// other body (not JSON, over [MaxS3MessageBody], an SNS subscription
// confirmation, an EventBridge event of another source or type, a
// notification without records, a record of another event source, or one
// that [S3Key] finds no key in) is a *[MessageError] (errors.Is
// [ErrMalformedMessage]), permanent: reject it, never retry it. Either
// way no key is returned, so nothing is guarded under a partial key.
func SQSS3Keys(m events.SQSMessage) ([]S3RecordKey, error) {
	if len(m.Body) > MaxS3MessageBody {
		return nil, &MessageError{MessageID: m.MessageId, Reason: fmt.Sprintf("body of %d bytes, over the %d bytes of any S3 event source", len(m.Body), MaxS3MessageBody)}
	}
	recs, reason, err := s3Records([]byte(m.Body), true)
	if errors.Is(err, ErrTestEvent) {
		return nil, ErrTestEvent
	}
	if reason != "" {
		return nil, &MessageError{MessageID: m.MessageId, Reason: reason, Err: err}
	}
	out := make([]S3RecordKey, len(recs))
	for i, r := range recs {
		k, err := S3Key(r)
		var p []byte
		if err == nil {
			p, err = Payload(events.S3Event{Records: []events.S3EventRecord{r}})
		}
		if err != nil {
			return nil, &MessageError{MessageID: m.MessageId, Reason: fmt.Sprintf("record %d", i), Err: err}
		}
		out[i] = S3RecordKey{Key: k, Payload: p, Record: r}
	}
	return out, nil
}

// s3Records decodes body: an S3 notification, an EventBridge S3 event or,
// when sns is set, an SNS notification carrying one of those. A body it
// cannot use returns a reason (and the cause, if any); the test event
// returns ErrTestEvent.
func s3Records(body []byte, sns bool) ([]events.S3EventRecord, string, error) {
	// encoding/json matches member names case-insensitively, as it does
	// for aws-lambda-go's structs.
	var probe struct {
		Records    json.RawMessage `json:"Records"`
		Event      string          `json:"Event"`
		Type       string          `json:"Type"`
		Message    *string         `json:"Message"`
		DetailType *string         `json:"detail-type"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, "body is not a JSON object", err
	}
	switch {
	case probe.Event == "s3:TestEvent" && probe.Records == nil:
		return nil, "", ErrTestEvent
	case probe.Type != "":
		if !sns {
			return nil, "an SNS notification inside an SNS notification", nil
		}
		if probe.Type != "Notification" || probe.Message == nil {
			return nil, fmt.Sprintf("an SNS %q message, not a notification with a Message", probe.Type), nil
		}
		// The Message is no longer than the body it was unescaped from.
		return s3Records([]byte(*probe.Message), false)
	case probe.DetailType != nil:
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, "undecodable EventBridge event", err
		}
		r, reason, err := eventBridgeS3Record(ev)
		if reason != "" {
			return nil, reason, err
		}
		return []events.S3EventRecord{r}, "", nil
	case probe.Records != nil:
		var e events.S3Event
		if err := json.Unmarshal(body, &e); err != nil { // also a key that is not URL-encoded as S3 encodes keys
			return nil, "undecodable S3 notification", err
		}
		if len(e.Records) == 0 {
			return nil, "an S3 notification without records", nil
		}
		for i, r := range e.Records {
			if r.EventSource != "aws:s3" {
				return nil, fmt.Sprintf("record %d has eventSource %q, not aws:s3", i, r.EventSource), nil
			}
		}
		return e.Records, "", nil
	}
	return nil, "neither an S3 notification, an SNS notification nor an EventBridge event", nil
}

// eventBridgeS3Record returns the S3 notification record equivalent to an
// EventBridge S3 object event.
func eventBridgeS3Record(ev events.EventBridgeEvent) (events.S3EventRecord, string, error) {
	if ev.Source != "aws.s3" {
		return events.S3EventRecord{}, fmt.Sprintf("an EventBridge event from %q, not aws.s3", ev.Source), nil
	}
	var d s3event.EventBridgeDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return events.S3EventRecord{}, "undecodable EventBridge detail", err
	}
	var name string
	switch ev.DetailType {
	case "Object Created":
		name = "ObjectCreated:" + d.Reason
		switch d.Reason {
		case "PutObject":
			name = "ObjectCreated:Put"
		case "POST Object":
			name = "ObjectCreated:Post"
		case "CopyObject":
			name = "ObjectCreated:Copy"
		}
	case "Object Deleted":
		name = "ObjectRemoved:" + d.Reason
		marker := d.DeletionType == "Delete Marker Created"
		switch {
		case d.Reason == "DeleteObject" && marker:
			name = "ObjectRemoved:DeleteMarkerCreated"
		case d.Reason == "DeleteObject":
			name = "ObjectRemoved:Delete"
		case d.Reason == "Lifecycle Expiration" && marker:
			name = "LifecycleExpiration:DeleteMarkerCreated"
		case d.Reason == "Lifecycle Expiration":
			name = "LifecycleExpiration:Delete"
		}
	default:
		return events.S3EventRecord{}, fmt.Sprintf("an S3 %q event from EventBridge, not Object Created or Object Deleted", ev.DetailType), nil
	}
	var r events.S3EventRecord
	r.EventSource = "aws:s3"
	r.AWSRegion = ev.Region
	r.EventTime = ev.Time.UTC().Truncate(time.Millisecond)
	r.EventName = name
	r.PrincipalID.PrincipalID = d.Requester
	r.RequestParameters.SourceIPAddress = d.SourceIP
	if d.RequestID != "" {
		r.ResponseElements = map[string]string{"x-amz-request-id": d.RequestID}
	}
	r.S3.Bucket.Name = d.Bucket.Name
	if d.Bucket.Name != "" {
		r.S3.Bucket.Arn = "arn:aws:s3:::" + d.Bucket.Name
	}
	o := &r.S3.Object
	o.URLDecodedKey = d.Object.Key // EventBridge sends the key itself
	o.Key = url.QueryEscape(d.Object.Key)
	o.Size = d.Object.Size
	o.ETag = d.Object.ETag
	o.VersionID = d.Object.VersionID
	o.Sequencer = d.Object.Sequencer
	return r, "", nil
}
