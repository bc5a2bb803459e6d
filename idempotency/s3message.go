package idempotency

import (
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event"
)

// MaxS3MessageBody is the largest SQS message body [SQSS3Keys] reads:
// 256 KiB. No source of S3 events sends more: an S3 notification is at
// most 64 KB (its documented maximum), an SNS message or an EventBridge
// event at most 256 KiB. A queue accepts up to 1 MiB from other producers;
// such a body is not an S3 event.
const MaxS3MessageBody = s3event.MaxBody

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
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
//     Its records' eventSource is "aws:s3", or, from an S3-compatible
//     server, another source ending in ":s3" (MinIO's "minio:s3", Ceph
//     RGW's "ceph:s3"), whose event names lose the "s3:" prefix MinIO
//     writes (s3:ObjectCreated:Put is keyed as ObjectCreated:Put);
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
// notification without records, a record of a source that is not S3 (an
// SQS, SNS or DynamoDB record), or one
// that [S3Key] finds no key in) is a *[MessageError] (errors.Is
// [ErrMalformedMessage]), permanent: reject it, never retry it. Either
// way no key is returned, so nothing is guarded under a partial key.
func SQSS3Keys(m events.SQSMessage) ([]S3RecordKey, error) {
	recs, err := s3event.ParseSQSBody(m.Body)
	if errors.Is(err, s3event.ErrTestEvent) {
		return nil, ErrTestEvent
	}
	if me, ok := errors.AsType[*s3event.MalformedError](err); ok {
		return nil, &MessageError{MessageID: m.MessageId, Reason: me.Reason, Err: me.Err}
	}
	if err != nil {
		return nil, &MessageError{MessageID: m.MessageId, Reason: "undecodable body", Err: err}
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
