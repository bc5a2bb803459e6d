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
// of an S3 → SQS message).
func FromS3(r events.S3EventRecord) (Event, error) {
	var kind Kind
	switch {
	case strings.HasPrefix(r.EventName, "ObjectCreated:"):
		kind = ObjectCreated
	case strings.HasPrefix(r.EventName, "ObjectRemoved:"):
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
		Name:      r.EventName,
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
// delivered by EventBridge. Its key is not URL-encoded.
func FromEventBridge(ev events.CloudWatchEvent) (Event, error) {
	var kind Kind
	switch ev.DetailType {
	case "Object Created":
		kind = ObjectCreated
	case "Object Deleted":
		kind = ObjectRemoved
	default:
		return Event{}, &EventError{Reason: fmt.Sprintf("unsupported detail-type %q", ev.DetailType)}
	}
	if ev.Source != "aws.s3" {
		return Event{}, &EventError{Reason: fmt.Sprintf("unsupported source %q", ev.Source)}
	}
	var d s3event.EventBridgeDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return Event{}, &EventError{Reason: "undecodable detail", Err: err}
	}
	e := Event{
		Kind:      kind,
		Bucket:    d.Bucket.Name,
		Key:       d.Object.Key,
		Size:      d.Object.Size,
		ETag:      strings.Trim(d.Object.ETag, `"`),
		VersionID: d.Object.VersionID,
		Time:      ev.Time,
		RequestID: d.RequestID,
		Name:      ev.DetailType,
	}
	return e, e.normalize(d.Object.Sequencer)
}

// FromSQSBody decodes the body of an SQS message: an S3 notification (the
// S3 → SQS wiring), an EventBridge event (an EventBridge rule targeting the
// queue), or an SNS notification carrying an S3 notification (S3 → SNS →
// SQS fan-out, without raw message delivery). It returns ErrTestEvent for
// S3's test message.
func FromSQSBody(body string) ([]Event, error) {
	return fromBody(body, true)
}

// FromSNSMessage decodes the Message of an SNS notification (S3 → SNS,
// delivered to Lambda or to SQS): an S3 notification. It returns
// ErrTestEvent for S3's test message.
func FromSNSMessage(message string) ([]Event, error) {
	return fromBody(message, false)
}

// fromBody decodes a body; allowSNS allows one SNS envelope around it.
func fromBody(body string, allowSNS bool) ([]Event, error) {
	var probe struct {
		Records    json.RawMessage `json:"Records"`
		DetailType string          `json:"detail-type"`
		Event      string          `json:"Event"`
		Type       string          `json:"Type"`
		Message    *string         `json:"Message"`
	}
	if err := json.Unmarshal([]byte(body), &probe); err != nil {
		return nil, &EventError{Reason: "body is not JSON", Err: err}
	}
	switch {
	case probe.Event == "s3:TestEvent":
		return nil, ErrTestEvent
	case probe.Type == "Notification" && probe.Message != nil:
		if !allowSNS {
			return nil, &EventError{Reason: "an SNS notification inside an SNS notification"}
		}
		return fromBody(*probe.Message, false)
	case probe.DetailType != "":
		var ev events.CloudWatchEvent
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			return nil, &EventError{Reason: "undecodable EventBridge event", Err: err}
		}
		e, err := FromEventBridge(ev)
		if err != nil {
			return nil, err
		}
		return []Event{e}, nil
	case probe.Records != nil:
		var s3 events.S3Event
		if err := json.Unmarshal([]byte(body), &s3); err != nil {
			return nil, &EventError{Reason: "undecodable S3 notification", Err: err}
		}
		out := make([]Event, 0, len(s3.Records))
		for _, r := range s3.Records {
			e, err := FromS3(r)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	}
	return nil, &EventError{Reason: "neither an S3 notification nor an EventBridge event"}
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
		switch src {
		case "aws:sqs":
			return ShapeSQS
		case "aws:s3":
			return ShapeS3
		case "aws:sns":
			return ShapeSNS
		}
	}
	return ShapeUnknown
}
