package media_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event/s3eventtest"
	"github.com/rampartdev/rampart/media"
)

func readJSON(t *testing.T, name string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFromS3(t *testing.T) {
	for _, tc := range []struct {
		file string
		want media.Event
	}{
		{"s3-put.json", media.Event{Kind: media.ObjectCreated, Bucket: "media-uploads", Key: "uploads/Happy Faceé.jpg", Size: 1024,
			ETag: "d41d8cd98f00b204e9800998ecf8427e", VersionID: "096fKKXTRTtl3on89fVO.nfljtsv6qko",
			Sequencer: "000000000000000055AED6DCD90281E5", RequestID: "C3D13FE58DE4C810", Name: "ObjectCreated:Put"}},
		{"s3-delete.json", media.Event{Kind: media.ObjectRemoved, Bucket: "media-uploads", Key: "uploads/Happy Faceé.jpg",
			Sequencer: "000000000000000055AED6DCD9028200", RequestID: "D4E24FF69EF5D921", Name: "ObjectRemoved:Delete"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var ev events.S3Event
			payload := readJSON(t, tc.file, &ev)
			if got := media.DetectShape(payload); got != media.ShapeS3 {
				t.Fatalf("DetectShape = %v, want S3", got)
			}
			got, err := media.FromS3(ev.Records[0])
			if err != nil {
				t.Fatal(err)
			}
			got.Time = tc.want.Time
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestFromSQSBody(t *testing.T) {
	var ev events.SQSEvent
	payload := readJSON(t, "sqs-s3.json", &ev)
	if got := media.DetectShape(payload); got != media.ShapeSQS {
		t.Fatalf("DetectShape = %v, want SQS", got)
	}
	evs, err := media.FromSQSBody(ev.Records[0].Body)
	if err != nil || len(evs) != 1 || evs[0].Key != "uploads/Happy Faceé.jpg" || evs[0].Kind != media.ObjectCreated {
		t.Fatalf("S3 body: %+v, %v", evs, err)
	}
	if _, err := media.FromSQSBody(ev.Records[1].Body); !errors.Is(err, media.ErrTestEvent) {
		t.Fatalf("test event: %v, want ErrTestEvent", err)
	}
	eb, _ := os.ReadFile("testdata/eventbridge-created.json")
	evs, err = media.FromSQSBody(string(eb))
	if err != nil || len(evs) != 1 || evs[0].Key != "uploads/raw/2025-11-26T10:00:00 photo.jpg" {
		t.Fatalf("EventBridge body: %+v, %v", evs, err)
	}
	for _, bad := range []string{``, `nope`, `{}`, `{"Records":[{"eventName":"ObjectRestore:Post"}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k","sequencer":"Happy Sequencer"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"","sequencer":"01"}}}]}`} {
		var ee *media.EventError
		if _, err := media.FromSQSBody(bad); !errors.As(err, &ee) {
			t.Errorf("FromSQSBody(%q) = %v, want *EventError", bad, err)
		}
	}
}

func TestFromEventBridge(t *testing.T) {
	for _, tc := range []struct {
		file string
		kind media.Kind
		seq  string
	}{
		{"eventbridge-created.json", media.ObjectCreated, "0000000000000000617F08299329D189"},
		{"eventbridge-deleted.json", media.ObjectRemoved, "0000000000000000617F0837B476E463"},
	} {
		var ev events.CloudWatchEvent
		payload := readJSON(t, tc.file, &ev)
		if got := media.DetectShape(payload); got != media.ShapeEventBridge {
			t.Fatalf("%s: DetectShape = %v", tc.file, got)
		}
		got, err := media.FromEventBridge(ev)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != tc.kind || got.Sequencer != tc.seq || got.Bucket != "media-uploads" || got.RequestID != "N4N7GDK58NMKJ12R" {
			t.Fatalf("%s: %+v", tc.file, got)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	a := media.Event{Kind: media.ObjectCreated, Bucket: "b", Key: "k", ETag: "e1", Sequencer: "01"}
	dup := a
	reupload := a
	reupload.Sequencer = "03"
	if a.IdempotencyKey() != dup.IdempotencyKey() {
		t.Fatal("a duplicate delivery must map to the same key")
	}
	if a.IdempotencyKey() == reupload.IdempotencyKey() {
		t.Fatal("re-uploading the same content later must be a new key (A, B, A)")
	}
}

// TestID compares ID with fixed values: the id is the media table's
// partition key, stored in DynamoDB, so changing the function would orphan
// every record. The values were computed outside Go:
// printf 'BUCKET\0KEY' | sha256sum | cut -c1-32.
func TestID(t *testing.T) {
	for _, tc := range []struct{ bucket, key, want string }{
		{"media-bucket", "uploads/cat.jpg", "ac3720d69dfc44adc655db2ae0536cc4"},
		{"local-media", "uploads/2025/06/IMG 0001.jpg", "c161b8855b4eac704d7a73a8ca7dc6d2"},
		{"b", "k", "265def662ae3808168044d68d81cc945"},
		// The NUL separates bucket from key: these differ.
		{"a", "bc", "40bb547d936bbd31318ee37ac8799e7e"},
		{"ab", "c", "6c032e631d39a14d85aff7e319546af7"},
	} {
		if got := media.ID(tc.bucket, tc.key); got != tc.want {
			t.Errorf("ID(%q, %q) = %s, want %s", tc.bucket, tc.key, got, tc.want)
		}
	}
}

// FromSQSBody reads every body of the table shared with the idempotency
// engine's SQSS3Keys (internal/s3event/s3eventtest) as it says: the same
// records, the same test message, the same malformed bodies.
func TestFromSQSBody_sharedTable(t *testing.T) {
	for _, m := range s3eventtest.Messages() {
		t.Run(m.Name, func(t *testing.T) {
			evs, err := media.FromSQSBody(m.Body)
			switch m.Want {
			case s3eventtest.TestEvent:
				if !errors.Is(err, media.ErrTestEvent) || evs != nil {
					t.Fatalf("= %d events, %v; want ErrTestEvent", len(evs), err)
				}
			case s3eventtest.Malformed:
				if _, ok := errors.AsType[*media.EventError](err); !ok || evs != nil {
					t.Fatalf("= %d events, %v; want an *EventError", len(evs), err)
				}
			case s3eventtest.Records:
				if err != nil || len(evs) != len(m.Records) {
					t.Fatalf("= %d events, %v; want %d", len(evs), err, len(m.Records))
				}
				for i, w := range m.Records {
					kind := media.ObjectCreated
					if !strings.HasPrefix(w.EventName, "ObjectCreated:") {
						kind = media.ObjectRemoved
					}
					seq, _ := media.NormalizeSequencer(w.Sequencer)
					want := media.Event{Kind: kind, Bucket: w.Bucket, Key: w.Key, ETag: w.ETag, VersionID: w.VersionID, Sequencer: seq, Name: w.EventName}
					got := evs[i]
					got.Size, got.Time, got.RequestID = 0, time.Time{}, ""
					if got != want {
						t.Errorf("event %d = %+v\nwant     %+v", i, got, want)
					}
				}
			}
		})
	}
}

// An S3-compatible server's notification delivered to the function
// directly (MinIO's webhook target pointed at it) is an S3 event: its
// source "minio:s3" makes it ShapeS3, its event name's "s3:" prefix is
// read as S3's name.
func TestFromS3_s3CompatibleServer(t *testing.T) {
	payload := []byte(s3eventtest.MinIONotification)
	if got := media.DetectShape(payload); got != media.ShapeS3 {
		t.Fatalf("DetectShape(MinIO notification) = %v, want S3", got)
	}
	var ev events.S3Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	got, err := media.FromS3(ev.Records[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != media.ObjectCreated || got.Name != "ObjectCreated:Put" || got.Bucket != "images" || got.Key != "photos/a b.jpg" ||
		got.Sequencer != "000000000000000018A1F0E2B5D31A4C" || got.RequestID != "18A1F0E2B5C6D7E8" {
		t.Errorf("FromS3(MinIO record) = %+v", got)
	}
	aws := ev.Records[0]
	aws.EventSource = "aws:s3" // S3 never writes the prefix: not an event of S3's
	if got, err := media.FromS3(aws); !errors.As(err, new(*media.EventError)) {
		t.Errorf("FromS3(aws:s3 record named s3:ObjectCreated:Put) = %+v, %v; want an *EventError", got, err)
	}
	for _, src := range []string{`"aws:dynamodb"`, `":s3"`} {
		if got := media.DetectShape([]byte(strings.Replace(s3eventtest.MinIONotification, `"minio:s3"`, src, 1))); got != media.ShapeUnknown {
			t.Errorf("DetectShape(records of source %s) = %v, want unknown", src, got)
		}
	}
}
