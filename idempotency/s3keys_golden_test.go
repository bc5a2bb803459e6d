package idempotency_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/internal/s3event/s3eventtest"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/internal/testingutil"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/s3keys.golden.json from the code under test")

// keysOutcome is what SQSS3Keys (or S3EventKey) made of one input: its
// keys and payloads, or the class of its error.
type keysOutcome struct {
	Keys     []string `json:"keys,omitempty"`
	Payloads []string `json:"payloads,omitempty"`
	Err      string   `json:"err,omitempty"` // "test event", "malformed", "missing key" or another error's text
}

// goldenInputs returns every S3 event the tests and samples hold, by name:
// each sample file (this package's, the media service's and aws-lambda-go's)
// as an SQS body, inside an SNS envelope, each body of an SQS sample, each
// S3 sample delivered directly, and the objects of the S3 tests written
// every way S3 delivers them to a queue.
func goldenInputs(t *testing.T) map[string]func() keysOutcome {
	t.Helper()
	in := map[string]func() keysOutcome{}
	queued := func(name, body string) {
		in["sqs "+name] = func() keysOutcome { return sqsOutcome(body) }
		in["sqs sns "+name] = func() keysOutcome { return sqsOutcome(s3eventtest.SNS(body)) }
	}
	for name, b := range testenv.Samples(t, "testdata/*.json", "../media/testdata/*.json") {
		queued(name, b)
		var s3 events.S3Event
		if strings.HasSuffix(name, ".json") && json.Unmarshal([]byte(b), &s3) == nil && len(s3.Records) > 0 && s3.Records[0].EventSource == "aws:s3" {
			in["direct "+name] = func() keysOutcome { return directOutcome(s3) }
		}
	}
	objects := []s3eventtest.Object{
		{EventName: "ObjectCreated:Put", Reason: "PutObject", Key: "photos/été 2026/a+b c ☀.jpg", ETag: "b1946ac92492d2347c6235b4d2611184", Seq: "00617F08299329D189", Size: 5},
		{EventName: "ObjectCreated:Post", Reason: "POST Object", Key: "in/form upload.png", ETag: "0f343b0931126a20f133d67c2b018a3b", Version: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", Seq: "617f08299329d18a", Size: 9},
		{EventName: "ObjectCreated:Copy", Reason: "CopyObject", Key: "copies/100%.txt", ETag: "d41d8cd98f00b204e9800998ecf8427e", Seq: "0064D3901D00059242"},
		{EventName: "ObjectCreated:CompleteMultipartUpload", Reason: "CompleteMultipartUpload", Key: "raw/2023-08-08T14:03:40.532432.zip", ETag: "4af981f98d22a0b9979da24b259e5e42-12", Version: "uhggCJ2_B6gU2JaXWXebnXFDstO0ID6G", Seq: "0064D3901D00059243", Size: 198524144},
		{EventName: "ObjectCreated:RenameObject", Reason: "RenameObject", Key: "k", ETag: "e", Seq: "0055AED6DCD90281E5"},
		{EventName: "ObjectRemoved:Delete", Reason: "DeleteObject", DeletionType: "Permanently Deleted", Key: "photos/été 2026/a+b c ☀.jpg", Seq: "00617F08299329D190"},
		{EventName: "ObjectRemoved:DeleteMarkerCreated", Reason: "DeleteObject", DeletionType: "Delete Marker Created", Key: "日本語/キー.jpg", Version: "CY6jmR1pUJG.N3Y6x0AhJE5ThzK2Nhpp", Seq: "00617F08299329D191"},
		{EventName: "LifecycleExpiration:Delete", Reason: "Lifecycle Expiration", DeletionType: "Permanently Deleted", Key: "old/a b.jpg", Seq: "0055AED6DCD90281E5"},
		{EventName: "LifecycleExpiration:DeleteMarkerCreated", Reason: "Lifecycle Expiration", DeletionType: "Delete Marker Created", Key: "old/c.jpg", Version: "v2", Seq: "0055AED6DCD90281E6"},
		{EventName: "ObjectCreated:Put", Reason: "PutObject", Key: "a+b%20c.jpg", ETag: "e", Seq: "0055aed6dcd90281e5"},
		{EventName: "ObjectCreated:Put", Reason: "PutObject", Key: "not hex", ETag: "e", Seq: "Happy Sequencer"},
	}
	for i, o := range objects {
		name := fmt.Sprintf("object %d %s %s", i, o.EventName, o.Key)
		queued(name+" notification", o.Notification())
		queued(name+" eventbridge", o.EventBridge())
		in["direct "+name] = func() keysOutcome {
			var e events.S3Event
			if err := json.Unmarshal([]byte(o.Notification()), &e); err != nil {
				return keysOutcome{Err: err.Error()}
			}
			return directOutcome(e)
		}
	}
	a, b := objects[0], objects[5]
	queued("two records", fmt.Sprintf(`{"Records":[%s,%s]}`, a.Record(), b.Record()))
	// idempotencytest's S3ThroughQueues event, as its queues carry it.
	conformance := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",`+
		`"eventTime":"2026-01-02T03:04:05.678Z","s3":{"bucket":{"name":"uploads"},`+
		`"object":{"key":%q,"size":1024,"eTag":%q,"sequencer":%q}}}]}`, "photos/summer+%C3%BCber+a%2Bb.jpg", "etag-a", "0055AED6DCD90281E5")
	queued("conformance notification", conformance)
	queued("conformance eventbridge", fmt.Sprintf(`{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created","source":"aws.s3",`+
		`"account":"111122223333","time":"2026-01-02T03:04:05Z","region":"eu-central-1","resources":["arn:aws:s3:::uploads"],`+
		`"detail":{"version":"0","bucket":{"name":"uploads"},"object":{"key":%q,"size":1024,"etag":%q,"sequencer":%q},"reason":"PutObject"}}`,
		"photos/summer über a+b.jpg", "etag-a", "0055AED6DCD90281E5"))
	return in
}

func sqsOutcome(body string) keysOutcome {
	keys, err := idempotency.SQSS3Keys(events.SQSMessage{MessageId: "m", Body: body})
	if err != nil {
		return errOutcome(err)
	}
	var o keysOutcome
	for _, k := range keys {
		o.Keys = append(o.Keys, k.Key)
		o.Payloads = append(o.Payloads, string(k.Payload))
	}
	return o
}

func directOutcome(e events.S3Event) keysOutcome {
	k, err := idempotency.S3EventKey(e)
	if err != nil {
		return errOutcome(err)
	}
	p, err := idempotency.Payload(e)
	if err != nil {
		return errOutcome(err)
	}
	return keysOutcome{Keys: []string{k}, Payloads: []string{string(p)}}
}

func errOutcome(err error) keysOutcome {
	switch {
	case errors.Is(err, idempotency.ErrTestEvent):
		return keysOutcome{Err: "test event"}
	case errors.Is(err, idempotency.ErrMissingKey):
		return keysOutcome{Err: "missing key"}
	case errors.Is(err, idempotency.ErrMalformedMessage):
		return keysOutcome{Err: "malformed"}
	}
	return keysOutcome{Err: err.Error()}
}

// The keys and payloads of every S3 event in the samples and tests are
// those the release before the shared decoder (internal/s3event) derived,
// recorded in testdata/s3keys.golden.json: a changed key would run an
// event again after an upgrade (a duplicate side effect), a changed
// payload would make its redelivery a *PayloadMismatchError. Bodies that
// were refused are still refused the same way.
func TestS3Keys_golden(t *testing.T) {
	const path = "testdata/s3keys.golden.json"
	got := map[string]keysOutcome{}
	for name, f := range goldenInputs(t) {
		got[name] = f()
	}
	want := testingutil.GoldenMap(t, path, got, *updateGolden, func(g, w keysOutcome) bool {
		return slices.Equal(g.Keys, w.Keys) && slices.Equal(g.Payloads, w.Payloads) && g.Err == w.Err
	})
	keyed := 0
	for _, w := range want {
		if len(w.Keys) > 0 {
			keyed++
		}
	}
	if keyed < 40 {
		t.Errorf("only %d keyed inputs in %s; want the samples' events", keyed, path)
	}
}
