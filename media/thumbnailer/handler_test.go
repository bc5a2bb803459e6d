package thumbnailer_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

// s3Body is the body S3 puts in an SQS message for e.
func s3Body(t *testing.T, e media.Event) string {
	t.Helper()
	name := "ObjectCreated:Put"
	if e.Kind == media.ObjectRemoved {
		name = "ObjectRemoved:Delete"
	}
	ev := events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", EventName: name, EventTime: e.Time,
		ResponseElements: map[string]string{"x-amz-request-id": e.RequestID},
		S3: events.S3Entity{Bucket: events.S3Bucket{Name: e.Bucket}, Object: events.S3Object{
			Key: strings.ReplaceAll(e.Key, " ", "+"), ETag: e.ETag, Sequencer: strings.TrimLeft(e.Sequencer, "0")}},
	}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestThumbnailer_HandleSQSReportsOnlyFailedMessages(t *testing.T) {
	f := newFixture(t)
	good := f.upload("uploads/good photo.jpg", testJPEG(t, 200, 200, 1))
	bad := f.upload("uploads/bad.jpg", []byte("not an image"))
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-good", Body: s3Body(t, good), EventSource: "aws:sqs"},
		{MessageId: "m-rejected", Body: s3Body(t, bad), EventSource: "aws:sqs"},
		{MessageId: "m-test", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"media-uploads"}`, EventSource: "aws:sqs"},
		{MessageId: "m-garbage", Body: `{"hello":"world"}`, EventSource: "aws:sqs"},
	}}
	resp, err := f.th.HandleSQS(t.Context(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m-garbage" {
		t.Fatalf("failures %+v, want only the malformed message", resp.BatchItemFailures)
	}
	if r := f.record("uploads/good photo.jpg"); r.Status != media.StatusProcessed {
		t.Fatalf("good: %+v", r)
	}
	if r := f.record("uploads/bad.jpg"); r.Status != media.StatusRejected {
		t.Fatalf("bad: %+v", r)
	}

	// A transient failure fails only its own message.
	next := f.upload("uploads/later.jpg", testJPEG(t, 200, 200, 2))
	f.objects.setFailGet(errThrottled)
	payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-throttled", Body: s3Body(t, next), EventSource: "aws:sqs"},
		{MessageId: "m-dup", Body: s3Body(t, good), EventSource: "aws:sqs"},
	}})
	out, err := f.th.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatal(err)
	}
	resp = out.(events.SQSEventResponse)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m-throttled" {
		t.Fatalf("failures %+v, want only the throttled message", resp.BatchItemFailures)
	}
}

func TestThumbnailer_InvokeAcceptsEveryWiring(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/direct.jpg", testJPEG(t, 200, 100, 3))
	if _, err := f.th.Invoke(t.Context(), json.RawMessage(s3Body(t, e))); err != nil {
		t.Fatal(err)
	}
	if r := f.record("uploads/direct.jpg"); r.Status != media.StatusProcessed {
		t.Fatalf("S3 direct: %+v", r)
	}
	e2 := f.upload("uploads/raw/eb photo.jpg", testJPEG(t, 100, 200, 4))
	detail, _ := json.Marshal(map[string]any{
		"bucket":     map[string]string{"name": e2.Bucket},
		"object":     map[string]any{"key": e2.Key, "etag": e2.ETag, "sequencer": e2.Sequencer},
		"request-id": e2.RequestID,
	})
	eb, _ := json.Marshal(events.CloudWatchEvent{Version: "0", ID: "x", DetailType: "Object Created", Source: "aws.s3", Detail: detail})
	if _, err := f.th.Invoke(t.Context(), eb); err != nil {
		t.Fatal(err)
	}
	if r := f.record("uploads/raw/eb photo.jpg"); r.Status != media.StatusProcessed || r.Height != 200 {
		t.Fatalf("EventBridge: %+v", r)
	}
	var ee *media.EventError
	if _, err := f.th.Invoke(t.Context(), json.RawMessage(`{"foo":1}`)); !errors.As(err, &ee) {
		t.Fatalf("unknown payload: %v", err)
	}
}

func TestThumbnailer_HandleSQSStopsStartingMessagesNearTheDeadline(t *testing.T) {
	// In a synctest bubble the slow read advances a fake clock.
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t)
		first := f.upload("uploads/first.jpg", testJPEG(t, 200, 200, 1))
		second := f.upload("uploads/second.jpg", testJPEG(t, 200, 200, 2))
		// The first message's read takes the invocation to just under the
		// minimum write reserve before its deadline: it stops before writing,
		// and the second message must not be started at all.
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		f.objects.setSlowGet(func(ctx context.Context, key string) {
			if key == first.Key {
				dl, _ := ctx.Deadline()
				time.Sleep(time.Until(dl) - thumbnailer.DefaultMinWriteReserve + 100*time.Millisecond)
			}
		})
		resp, err := f.th.HandleSQS(ctx, events.SQSEvent{Records: []events.SQSMessage{
			{MessageId: "m-first", Body: s3Body(t, first), EventSource: "aws:sqs"},
			{MessageId: "m-second", Body: s3Body(t, second), EventSource: "aws:sqs"},
		}})
		var all *batch.AllFailedError
		if !errors.As(err, &all) {
			t.Fatalf("HandleSQS: %v, want every message failed", err)
		}
		var ids []string
		for _, f := range resp.BatchItemFailures {
			ids = append(ids, f.ItemIdentifier)
		}
		if !slices.Equal(ids, []string{"m-first", "m-second"}) {
			t.Fatalf("batchItemFailures %v, want both messages", ids)
		}
		if n := f.objects.getCount(second.Key); n != 0 {
			t.Fatalf("the second message was started (%d reads) with less than the minimum write reserve left", n)
		}
		if !strings.Contains(f.logs.String(), "event not started") {
			t.Fatalf("no log of the message not started:\n%s", f.logs.String())
		}
	})
}
