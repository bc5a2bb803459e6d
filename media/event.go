package media

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event"
)

// Kind says what happened to an object.
type Kind string

// Event kinds.
const (
	ObjectCreated Kind = "created"
	ObjectRemoved Kind = "removed"
)

// Event is one S3 object notification, whichever way it was delivered.
type Event struct {
	Kind   Kind   `json:"kind"`
	Bucket string `json:"bucket"`
	// Key is the object key, URL-decoded.
	Key       string `json:"key"`
	Size      int64  `json:"size,omitempty"`
	ETag      string `json:"etag,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	// Sequencer is normalised (see [NormalizeSequencer]).
	Sequencer string    `json:"sequencer"`
	Time      time.Time `json:"time"`
	// RequestID is the S3 request id of the operation that caused the
	// event; it is the correlation id in logs.
	RequestID string `json:"requestId,omitempty"`
	// Name is the original event name ("ObjectCreated:Put", "Object Deleted").
	Name string `json:"name,omitempty"`
}

// ID returns the record id of the event's object.
func (e Event) ID() string { return ID(e.Bucket, e.Key) }

// IdempotencyKey identifies one event for one object version: bucket, key,
// eTag and versionId as the object's identity, plus the sequencer. The
// sequencer matters in unversioned buckets: uploading A, then B, then A
// again repeats A's eTag, and without the sequencer the third upload would
// replay the first one's result while B's thumbnails stayed in place. A
// duplicate delivery of one event carries the same sequencer, so it still
// maps to the same key.
func (e Event) IdempotencyKey() string {
	return strings.Join([]string{string(e.Kind), e.Bucket, e.Key, e.ETag, e.VersionID, e.Sequencer}, "\x00")
}

// EventError reports a notification that cannot be decoded or is not an
// object event; retrying it cannot help.
type EventError struct {
	Reason string
	Err    error
}

func (e *EventError) Error() string {
	if e.Err != nil {
		return "media: bad event: " + e.Reason + ": " + e.Err.Error()
	}
	return "media: bad event: " + e.Reason
}

func (e *EventError) Unwrap() error { return e.Err }

// ErrTestEvent is returned for the s3:TestEvent message S3 sends when a
// notification configuration is created. It carries no object.
var ErrTestEvent = errors.New("media: s3:TestEvent")

// FromS3 converts one record of an S3 notification (S3 → Lambda or the body
// of an S3 → SQS message). ObjectCreated:* records are [ObjectCreated];
// ObjectRemoved:* and LifecycleExpiration:* (an expiration rule deleted the
// object or made a delete marker) are [ObjectRemoved]; any other event is an
// *[EventError]. An S3-compatible server's record (eventSource
// "minio:s3") is read without the "s3:" its names carry (MinIO's
// s3:ObjectCreated:Put), as the idempotency engine reads it; S3's own
// names have no prefix.
func FromS3(r events.S3EventRecord) (Event, error) {
	var kind Kind
	name := s3event.EventName(r)
	switch {
	case strings.HasPrefix(name, "ObjectCreated:"):
		kind = ObjectCreated
	case strings.HasPrefix(name, "ObjectRemoved:"), strings.HasPrefix(name, "LifecycleExpiration:"):
		kind = ObjectRemoved
	default:
		return Event{}, &EventError{Reason: fmt.Sprintf("unsupported event %q", r.EventName)}
	}
	key := r.S3.Object.URLDecodedKey
	if key == "" && r.S3.Object.Key != "" {
		// Built in code rather than decoded from JSON.
		k, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return Event{}, &EventError{Reason: "undecodable key", Err: err}
		}
		key = k
	}
	e := Event{
		Kind:      kind,
		Bucket:    r.S3.Bucket.Name,
		Key:       key,
		Size:      r.S3.Object.Size,
		ETag:      strings.Trim(r.S3.Object.ETag, `"`),
		VersionID: r.S3.Object.VersionID,
		Time:      r.EventTime,
		RequestID: r.ResponseElements["x-amz-request-id"],
		Name:      name,
	}
	return e, e.normalize(r.S3.Object.Sequencer)
}

func (e *Event) normalize(seq string) error {
	if e.Bucket == "" || e.Key == "" {
		return &EventError{Reason: "missing bucket or key"}
	}
	s, err := NormalizeSequencer(seq)
	if err != nil {
		return &EventError{Reason: "bad sequencer", Err: err}
	}
	e.Sequencer = s
	return nil
}

// FromEventBridge converts an S3 "Object Created" or "Object Deleted" event
// delivered by EventBridge: it is the record internal/s3event makes of it
// (its key is not URL-encoded; Name is the S3 event name its reason
// stands for, ObjectCreated:Put for PutObject, LifecycleExpiration:Delete
// for a Lifecycle Expiration), converted by [FromS3].
func FromEventBridge(ev events.CloudWatchEvent) (Event, error) {
	r, err := s3event.FromEventBridge(ev)
	if err != nil {
		return Event{}, eventError(err)
	}
	return FromS3(r)
}

// FromSQSBody decodes the body of an SQS message: an S3 notification (the
// S3 → SQS wiring), an EventBridge event (an EventBridge rule targeting the
// queue), or an SNS notification carrying either (S3 → SNS → SQS fan-out,
// without raw message delivery). It reads the body as the idempotency
// engine's SQSS3Keys does (one decoder, internal/s3event): the records of
// an S3 notification must say "eventSource": "aws:s3" (or, from an
// S3-compatible server, a source ending in ":s3", such as MinIO's
// "minio:s3"), a body over 256 KiB or a notification without records is
// an *[EventError]. It returns
// ErrTestEvent for S3's test message (with no Records).
func FromSQSBody(body string) ([]Event, error) {
	return fromRecords(s3event.ParseSQSBody(body))
}

// FromSNSMessage decodes the Message of an SNS notification (S3 → SNS,
// delivered to Lambda or to SQS): an S3 notification or an EventBridge
// event, as [FromSQSBody] reads them. It returns ErrTestEvent for S3's
// test message.
func FromSNSMessage(message string) ([]Event, error) {
	return fromRecords(s3event.ParseSNSMessage(message))
}

func fromRecords(recs []events.S3EventRecord, err error) ([]Event, error) {
	if err != nil {
		return nil, eventError(err)
	}
	out := make([]Event, 0, len(recs))
	for _, r := range recs {
		e, err := FromS3(r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// eventError returns the media error for an error of internal/s3event.
func eventError(err error) error {
	if errors.Is(err, s3event.ErrTestEvent) {
		return ErrTestEvent
	}
	if me, ok := errors.AsType[*s3event.MalformedError](err); ok {
		return &EventError{Reason: me.Reason, Err: me.Err}
	}
	return &EventError{Reason: "undecodable event", Err: err}
}

// Shape is the kind of payload a Lambda function received.
type Shape int

// Payload shapes.
const (
	ShapeUnknown     Shape = iota
	ShapeS3                // S3 → Lambda
	ShapeSQS               // S3 → SQS → Lambda
	ShapeEventBridge       // S3 → EventBridge → Lambda
	ShapeSNS               // S3 → SNS → Lambda
)

// DetectShape tells the payload shapes apart by their envelope.
func DetectShape(payload []byte) Shape {
	var probe struct {
		Records []struct {
			EventSource  string `json:"eventSource"`
			EventSource2 string `json:"EventSource"`
		} `json:"Records"`
		DetailType *string `json:"detail-type"`
	}
	if json.Unmarshal(bytes.TrimSpace(payload), &probe) != nil {
		return ShapeUnknown
	}
	if probe.DetailType != nil {
		return ShapeEventBridge
	}
	if len(probe.Records) > 0 {
		// SQS and S3 records spell the key eventSource, SNS records
		// EventSource; encoding/json, and so aws-lambda-go, matches either
		// spelling in any case.
		src := probe.Records[0].EventSource
		if src == "" {
			src = probe.Records[0].EventSource2
		}
		switch {
		case src == "aws:sqs":
			return ShapeSQS
		case s3event.IsS3Source(src): // aws:s3, or an S3-compatible server's (minio:s3)
			return ShapeS3
		case src == "aws:sns":
			return ShapeSNS
		}
	}
	return ShapeUnknown
}
