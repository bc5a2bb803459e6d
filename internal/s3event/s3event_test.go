package s3event_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event"
)

// Every field of a documented detail reaches the record, the key as it is
// sent (and encoded as an S3 notification spells it, slashes kept), the
// time cut to the millisecond.
func TestFromEventBridge_fields(t *testing.T) {
	const detail = `{"version": "0", "bucket": {"name": "media"},
		"object": {"key": "photos/a b+c.jpg", "size": 1024, "etag": "d41d8cd98f00b204e9800998ecf8427e",
			"version-id": "v1", "sequencer": "0055AED6DCD90281E5"},
		"request-id": "C3D13FE58DE4C810", "requester": "123456789012",
		"source-ip-address": "127.0.0.1", "reason": "DeleteObject", "deletion-type": "Delete Marker Created"}`
	at := time.Date(2026, 3, 4, 5, 6, 7, 89_123_456, time.UTC)
	got, err := s3event.FromEventBridge(events.EventBridgeEvent{Source: "aws.s3", DetailType: "Object Deleted", Region: "eu-central-1", Time: at, Detail: json.RawMessage(detail)})
	if err != nil {
		t.Fatal(err)
	}
	var want events.S3EventRecord
	want.EventSource, want.AWSRegion, want.EventName = "aws:s3", "eu-central-1", "ObjectRemoved:DeleteMarkerCreated"
	want.EventTime = at.Truncate(time.Millisecond)
	want.PrincipalID.PrincipalID = "123456789012"
	want.RequestParameters.SourceIPAddress = "127.0.0.1"
	want.ResponseElements = map[string]string{"x-amz-request-id": "C3D13FE58DE4C810"}
	want.S3.Bucket.Name, want.S3.Bucket.Arn = "media", "arn:aws:s3:::media"
	o := &want.S3.Object
	o.Key, o.URLDecodedKey, o.Size, o.ETag = "photos/a+b%2Bc.jpg", "photos/a b+c.jpg", 1024, "d41d8cd98f00b204e9800998ecf8427e"
	o.VersionID, o.Sequencer = "v1", "0055AED6DCD90281E5"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record %+v\nwant   %+v", got, want)
	}
}
