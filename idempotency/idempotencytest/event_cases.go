package idempotencytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
)

// s3Event decodes an S3 notification as aws-lambda-go does for a Lambda
// handler, for one record with the object key as S3 sends it (URL-encoded).
func s3Event(t *testing.T, name, key, etag, sequencer string) events.S3Event {
	t.Helper()
	var e events.S3Event
	doc := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":%q,`+
		`"eventTime":"2026-01-02T03:04:05.678Z","s3":{"bucket":{"name":"uploads"},`+
		`"object":{"key":%q,"size":1024,"eTag":%q,"sequencer":%q}}}]}`, name, key, etag, sequencer)
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// s3Handler is an S3-triggered handler guarded by idempotency.Handler with
// idempotency.S3EventKey, counting its runs.
type s3Handler struct {
	runs atomic.Int64
	h    func(context.Context, events.S3Event) (string, error)
}

func newS3Handler(g *idempotency.Guard) *s3Handler {
	s := &s3Handler{}
	s.h = idempotency.Handler(g, idempotency.S3EventKey, func(_ context.Context, e events.S3Event) (string, error) {
		s.runs.Add(1)
		return "processed " + e.Records[0].S3.Object.ETag, nil
	})
	return s
}

func (s *s3Handler) deliver(t *testing.T, e events.S3Event) (string, error) {
	t.Helper()
	return s.h(t.Context(), e)
}

// deliverAll delivers evs in turn, failing the test on a delivery's error,
// and returns how many times the handler has run.
func (s *s3Handler) deliverAll(t *testing.T, evs ...events.S3Event) int64 {
	t.Helper()
	for _, e := range evs {
		if _, err := s.deliver(t, e); err != nil {
			t.Fatalf("deliver: %v", err)
		}
	}
	return s.runs.Load()
}

var eventCases = []testCase{
	{
		name: "S3ReuploadABA",
		rule: "uploading content A, then B, then A again to one key runs the handler three times; a redelivery of any of them replays",
		run: func(t *testing.T, e *env) {
			h := newS3Handler(e.guard(idempotency.Options{}))
			a1 := s3Event(t, "ObjectCreated:Put", "photo.jpg", "etag-a", "0055AED6DCD90281E5")
			b := s3Event(t, "ObjectCreated:Put", "photo.jpg", "etag-b", "0055AED6DCD90281F0")
			a2 := s3Event(t, "ObjectCreated:Put", "photo.jpg", "etag-a", "0055AED6DCD9028200")
			if n := h.deliverAll(t, a1, b, a2, a2, b, a1); n != 3 {
				t.Errorf("A, B, A and their redeliveries ran the handler %d times; want 3", n)
			}
		},
	},
	{
		name: "S3SecondDelete",
		rule: "two deletes of one key (with an upload between) are two events: both run",
		run: func(t *testing.T, e *env) {
			h := newS3Handler(e.guard(idempotency.Options{}))
			n := h.deliverAll(t,
				s3Event(t, "ObjectRemoved:Delete", "photo.jpg", "", "0055AED6DCD90281E5"),
				s3Event(t, "ObjectCreated:Put", "photo.jpg", "etag-a", "0055AED6DCD90281F0"),
				s3Event(t, "ObjectRemoved:Delete", "photo.jpg", "", "0055AED6DCD9028200"),
			)
			if n != 3 {
				t.Errorf("delete, upload, delete ran the handler %d times; want 3", n)
			}
		},
	},
	{
		name: "S3RecordWithoutIdentity",
		rule: "an S3 record without an eTag (on a created object) or a sequencer is ErrMissingKey and runs nothing, or runs unguarded with AllowMissingKey; it never shares a record",
		run: func(t *testing.T, e *env) {
			strict := newS3Handler(e.guard(idempotency.Options{}))
			for _, ev := range []events.S3Event{
				s3Event(t, "ObjectCreated:Put", "photo.jpg", "", "0055AED6DCD90281E5"),
				s3Event(t, "ObjectCreated:Put", "photo.jpg", "etag-a", ""),
			} {
				if _, err := strict.deliver(t, ev); !errors.Is(err, idempotency.ErrMissingKey) {
					t.Errorf("deliver: %v; want ErrMissingKey", err)
				}
			}
			if n := strict.runs.Load(); n != 0 {
				t.Errorf("the handler ran %d times; want 0", n)
			}
			lax := newS3Handler(e.guard(idempotency.Options{AllowMissingKey: true}))
			ev := s3Event(t, "ObjectCreated:Put", "photo.jpg", "", "0055AED6DCD90281E5")
			if n := lax.deliverAll(t, ev, ev); n != 2 {
				t.Errorf("with AllowMissingKey the handler ran %d times; want 2 (unguarded)", n)
			}
		},
	},
	{
		name: "S3EncodedAndDecodedKey",
		rule: "one event delivered with its key spelled \"a+b.jpg\", \"a%20b.jpg\" or decoded in code runs once",
		run: func(t *testing.T, e *env) {
			h := newS3Handler(e.guard(idempotency.Options{}))
			plus := s3Event(t, "ObjectCreated:Put", "my+photo.jpg", "etag-a", "0055AED6DCD90281E5")
			pct := s3Event(t, "ObjectCreated:Put", "my%20photo.jpg", "etag-a", "0055AED6DCD90281E5")
			built := plus
			built.Records = []events.S3EventRecord{plus.Records[0]}
			built.Records[0].S3.Object.URLDecodedKey = "" // made in code from the raw key
			if n := h.deliverAll(t, plus, pct, built); n != 1 {
				t.Errorf("one event under three spellings of its key ran %d times; want 1", n)
			}
		},
	},
}
