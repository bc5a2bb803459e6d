package s3event_test

import (
	"encoding/json"
	"testing"

	"github.com/rampartdev/rampart/internal/s3event"
)

// Every field of a documented detail decodes, the key as it is sent.
func TestEventBridgeDetail(t *testing.T) {
	const detail = `{"version": "0", "bucket": {"name": "media"},
		"object": {"key": "a b+c.jpg", "size": 1024, "etag": "d41d8cd98f00b204e9800998ecf8427e",
			"version-id": "v1", "sequencer": "0055AED6DCD90281E5"},
		"request-id": "C3D13FE58DE4C810", "requester": "123456789012",
		"source-ip-address": "127.0.0.1", "reason": "DeleteObject", "deletion-type": "Delete Marker Created"}`
	var got s3event.EventBridgeDetail
	if err := json.Unmarshal([]byte(detail), &got); err != nil {
		t.Fatal(err)
	}
	var want s3event.EventBridgeDetail
	want.Bucket.Name = "media"
	want.Object.Key, want.Object.Size, want.Object.ETag = "a b+c.jpg", 1024, "d41d8cd98f00b204e9800998ecf8427e"
	want.Object.VersionID, want.Object.Sequencer = "v1", "0055AED6DCD90281E5"
	want.RequestID, want.Requester, want.SourceIP = "C3D13FE58DE4C810", "123456789012", "127.0.0.1"
	want.Reason, want.DeletionType = "DeleteObject", "Delete Marker Created"
	if got != want {
		t.Errorf("decoded %+v\nwant    %+v", got, want)
	}
}
