package s3event

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// MaxBody is the largest body [ParseSQSBody] and [ParseSNSMessage] read:
// 256 KiB. No source of S3 events sends more: an S3 notification is a few
// kilobytes (one record per event), an SNS message or an EventBridge event
// at most 256 KiB. A queue accepts up to 1 MiB from other producers; such a
// body is not an S3 event.
const MaxBody = 256 << 10

// ErrTestEvent reports S3's s3:TestEvent message ({"Service": "Amazon S3",
// "Event": "s3:TestEvent", "Time", "Bucket", "RequestId", "HostId"}), which
// S3 sends when a bucket's notification configuration is created or
// changed, directly or inside an SNS notification. It names no object:
// acknowledge it.
var ErrTestEvent = errors.New("S3's s3:TestEvent message, which names no object")

// MalformedError reports a body that is not an S3 event in any shape S3
// delivers it in. A redelivery carries the same body, so the error is
// permanent: reject the message (dead-letter it), never retry it. Its text
// never contains the body, which may hold user data.
type MalformedError struct {
	Reason string // what is wrong with the body
	Err    error  // the cause (a JSON syntax error, say), or nil
}

func (e *MalformedError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

// Unwrap returns the cause.
func (e *MalformedError) Unwrap() error { return e.Err }

func malformed(reason string, err error) error { return &MalformedError{Reason: reason, Err: err} }

// ParseSQSBody returns the S3 event records an SQS message's body carries,
// in order: the ways S3 events reach a queue (field names as AWS documents
// them; encoding/json, like aws-lambda-go, matches them in any case):
//
//   - an S3 notification, {"Records": [...]} (S3 → SQS, or S3 → SNS → SQS
//     with raw message delivery), each record with "eventSource": "aws:s3"
//     or, from an S3-compatible server, another source ending in ":s3"
//     (MinIO's "minio:s3", Ceph RGW's "ceph:s3"; see [IsS3Source]); its
//     object key is URL-encoded, as S3 sends it, and URLDecodedKey is set
//     as aws-lambda-go sets it
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
//     Such a server's event names are read as S3's: MinIO writes
//     "s3:ObjectCreated:Put" where S3 writes "ObjectCreated:Put", and the
//     record's EventName drops the "s3:" (an aws:s3 record is kept as it
//     is);
//   - an SNS notification ({"Type": "Notification", "Message": ...}: S3 →
//     SNS → SQS without raw message delivery) whose Message is such a
//     notification or an EventBridge event, never another SNS notification
//     (https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html);
//   - an S3 event from EventBridge (S3 → EventBridge → SQS), returned as
//     [FromEventBridge] converts it.
//
// S3's test message (a body with "Event": "s3:TestEvent" and no Records)
// is [ErrTestEvent]. Any other body is a *[MalformedError]: not a JSON
// object, over [MaxBody], an SNS message that is not a notification with a
// Message (a subscription confirmation), an EventBridge event of another
// source or type, a notification without records or with a record of
// a source that is not S3's. What identifies an event (bucket, key, sequencer)
// is the caller's to check.
func ParseSQSBody(body string) ([]events.S3EventRecord, error) {
	return parse(body, true)
}

// ParseSNSMessage returns the S3 event records the Message of an SNS
// notification carries (S3 → SNS, delivered to Lambda or to SQS): an S3
// notification or an EventBridge event, as [ParseSQSBody] reads them, but
// not another SNS notification.
func ParseSNSMessage(message string) ([]events.S3EventRecord, error) {
	return parse(message, false)
}

// parse decodes body; sns allows one SNS envelope around it.
func parse(body string, sns bool) ([]events.S3EventRecord, error) {
	if len(body) > MaxBody {
		return nil, malformed(fmt.Sprintf("body of %d bytes, over the %d bytes of any S3 event source", len(body), MaxBody), nil)
	}
	var probe struct {
		Records    json.RawMessage `json:"Records"`
		Event      string          `json:"Event"`
		Type       string          `json:"Type"`
		Message    *string         `json:"Message"`
		DetailType *string         `json:"detail-type"`
	}
	if err := json.Unmarshal([]byte(body), &probe); err != nil {
		return nil, malformed("body is not a JSON object", err)
	}
	switch {
	case probe.Event == "s3:TestEvent" && probe.Records == nil:
		return nil, ErrTestEvent
	case probe.Type != "":
		if !sns {
			return nil, malformed("an SNS notification inside an SNS notification", nil)
		}
		if probe.Type != "Notification" || probe.Message == nil {
			return nil, malformed(fmt.Sprintf("an SNS %q message, not a notification with a Message", probe.Type), nil)
		}
		return parse(*probe.Message, false)
	case probe.DetailType != nil:
		var ev events.EventBridgeEvent
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			return nil, malformed("undecodable EventBridge event", err)
		}
		r, err := FromEventBridge(ev)
		if err != nil {
			return nil, err
		}
		return []events.S3EventRecord{r}, nil
	case probe.Records != nil:
		var e events.S3Event
		if err := json.Unmarshal([]byte(body), &e); err != nil { // also a key not URL-encoded as S3 encodes keys
			return nil, malformed("undecodable S3 notification", err)
		}
		if len(e.Records) == 0 {
			return nil, malformed("an S3 notification without records", nil)
		}
		for i := range e.Records {
			r := &e.Records[i]
			if !IsS3Source(r.EventSource) {
				return nil, malformed(fmt.Sprintf("record %d has eventSource %q, not aws:s3 nor another S3 server's", i, r.EventSource), nil)
			}
			r.EventName = EventName(*r)
		}
		return e.Records, nil
	}
	return nil, malformed("neither an S3 notification, an SNS notification nor an EventBridge event", nil)
}

// IsS3Source reports whether a record's eventSource is S3's: "aws:s3", or
// a name of an S3-compatible server's that ends in ":s3" ("minio:s3",
// "ceph:s3"). Records of other sources ("aws:sqs", "aws:sns",
// "aws:dynamodb") are not S3 events.
func IsS3Source(src string) bool {
	return src == "aws:s3" || len(src) > len(":s3") && strings.HasSuffix(src, ":s3")
}

// EventName returns r's event name as S3 writes it: an S3-compatible
// server's record (an [IsS3Source] other than "aws:s3") loses the "s3:"
// prefix MinIO writes (s3:ObjectCreated:Put is ObjectCreated:Put); any
// other record's name is returned as it is. [ParseSQSBody] sets the names
// it returns so; a record decoded elsewhere (S3 → Lambda) is read the
// same way through it, so that it is keyed as the same record queued.
func EventName(r events.S3EventRecord) string {
	if r.EventSource != "aws:s3" && IsS3Source(r.EventSource) {
		return strings.TrimPrefix(r.EventName, "s3:")
	}
	return r.EventName
}

// FromEventBridge returns the S3 notification record equivalent to an S3
// object event from EventBridge ("source": "aws.s3", "detail-type":
// "Object Created" or "Object Deleted"; the detail as eventBridgeDetail
// reads it). The event name comes from the detail's reason (PutObject is
// ObjectCreated:Put, POST Object ObjectCreated:Post, CopyObject
// ObjectCreated:Copy, CompleteMultipartUpload
// ObjectCreated:CompleteMultipartUpload, DeleteObject ObjectRemoved:Delete
// or, with deletion-type "Delete Marker Created",
// ObjectRemoved:DeleteMarkerCreated, Lifecycle Expiration
// LifecycleExpiration:Delete or LifecycleExpiration:DeleteMarkerCreated;
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html);
// a reason not listed makes it ObjectCreated:<reason> or
// ObjectRemoved:<reason>. The object key, which EventBridge does not
// URL-encode, is URLDecodedKey as it is (and Key encoded as S3 encodes it,
// "+" for a space, slashes kept); the time is cut to the millisecond, as
// S3 notifications give it; the region, request id (responseElements' x-amz-request-id), requester and
// source IP are kept. Another source or detail type, or a detail that is
// not an object, is a *[MalformedError].
func FromEventBridge(ev events.EventBridgeEvent) (events.S3EventRecord, error) {
	if ev.Source != "aws.s3" {
		return events.S3EventRecord{}, malformed(fmt.Sprintf("an EventBridge event from %q, not aws.s3", ev.Source), nil)
	}
	var d eventBridgeDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return events.S3EventRecord{}, malformed("undecodable EventBridge detail", err)
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
		return events.S3EventRecord{}, malformed(fmt.Sprintf("an S3 %q event from EventBridge, not Object Created or Object Deleted", ev.DetailType), nil)
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
	o.Key = strings.ReplaceAll(url.QueryEscape(d.Object.Key), "%2F", "/")
	o.Size = d.Object.Size
	o.ETag = d.Object.ETag
	o.VersionID = d.Object.VersionID
	o.Sequencer = d.Object.Sequencer
	return r, nil
}

// eventBridgeDetail is the detail of an S3 "Object Created" or "Object
// Deleted" event from EventBridge, field names as AWS documents them
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
// Its object key is not URL-encoded.
type eventBridgeDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
	RequestID    string `json:"request-id"`
	Requester    string `json:"requester"`
	SourceIP     string `json:"source-ip-address"`
	Reason       string `json:"reason"`
	DeletionType string `json:"deletion-type"`
}
