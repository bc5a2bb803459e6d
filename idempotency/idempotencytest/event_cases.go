package idempotencytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// queuedS3 returns SQS messages carrying the S3 event that s3Event makes
// for key (URL-encoded as S3 sends it; plain is the key itself): two
// messages of the S3 → SQS wiring with their own messageIds (S3 sent the
// notification twice), one of S3 → SNS → SQS and one of S3 → EventBridge →
// SQS.
func queuedS3(t *testing.T, key, plain, etag, sequencer string) []events.SQSMessage {
	t.Helper()
	notification := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",`+
		`"eventTime":"2026-01-02T03:04:05.678Z","s3":{"bucket":{"name":"uploads"},`+
		`"object":{"key":%q,"size":1024,"eTag":%q,"sequencer":%q}}}]}`, key, etag, sequencer)
	message, err := json.Marshal(notification)
	if err != nil {
		t.Fatal(err)
	}
	sns := `{"Type":"Notification","MessageId":"95df01b4-ee98-5cb9-9903-4c221d41eb5e","TopicArn":"arn:aws:sns:eu-central-1:111122223333:uploads",` +
		`"Subject":"Amazon S3 Notification","Message":` + string(message) + `,"Timestamp":"2026-01-02T03:04:06.001Z","SignatureVersion":"1"}`
	bridge := fmt.Sprintf(`{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created","source":"aws.s3",`+
		`"account":"111122223333","time":"2026-01-02T03:04:05Z","region":"eu-central-1","resources":["arn:aws:s3:::uploads"],`+
		`"detail":{"version":"0","bucket":{"name":"uploads"},"object":{"key":%q,"size":1024,"etag":%q,"sequencer":%q},"reason":"PutObject"}}`,
		plain, etag, sequencer)
	arn := "arn:aws:sqs:eu-central-1:111122223333:uploads"
	return []events.SQSMessage{
		{MessageId: "d5f2a7b4-0001", EventSourceARN: arn, Body: notification},
		{MessageId: "d5f2a7b4-0002", EventSourceARN: arn, Body: notification},
		{MessageId: "d5f2a7b4-0003", EventSourceARN: arn, Body: sns},
		{MessageId: "d5f2a7b4-0004", EventSourceARN: arn, Body: bridge},
	}
}

var eventCases = []testCase{
	{
		name: "S3ThroughQueues",
		rule: "one S3 event delivered at once directly and in four SQS messages (twice from S3 with two messageIds, through SNS, through EventBridge), keyed by S3EventKey and SQSS3Keys, runs once; every delivery succeeds",
		run: func(t *testing.T, e *env) {
			g := e.guard(idempotency.Options{WaitForResult: true, PollInterval: time.Millisecond})
			h := newS3Handler(g)
			queued := func(m events.SQSMessage) error {
				recs, err := idempotency.SQSS3Keys(m)
				if err != nil {
					return err
				}
				for _, r := range recs {
					if _, err := g.Do(t.Context(), r.Key, r.Payload, func(context.Context) ([]byte, error) {
						h.runs.Add(1)
						return nil, nil
					}); err != nil {
						return err
					}
				}
				return nil
			}
			direct := s3Event(t, "ObjectCreated:Put", "photos/summer+%C3%BCber+a%2Bb.jpg", "etag-a", "0055AED6DCD90281E5")
			msgs := queuedS3(t, "photos/summer+%C3%BCber+a%2Bb.jpg", "photos/summer über a+b.jpg", "etag-a", "0055AED6DCD90281E5")
			errs := make([]error, len(msgs)+1)
			var wg sync.WaitGroup
			for i, m := range msgs {
				wg.Go(func() { errs[i] = queued(m) })
			}
			wg.Go(func() { _, errs[len(msgs)] = h.deliver(t, direct) })
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("delivery %d: %v", i, err)
				}
			}
			if n := h.runs.Load(); n != 1 {
				t.Errorf("one S3 event delivered five ways ran %d times; want 1", n)
			}
			other := queuedS3(t, "photos/summer+%C3%BCber+a%2Bb.jpg", "photos/summer über a+b.jpg", "etag-b", "0055AED6DCD90281F0")
			if err := queued(other[2]); err != nil || h.runs.Load() != 2 {
				t.Errorf("the next upload of the key (another sequencer): %v, %d runs; want a second run", err, h.runs.Load())
			}
		},
	},
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
