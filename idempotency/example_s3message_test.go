package idempotency_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

// An S3 → SQS → Lambda thumbnailer with partial batch responses, one
// guarded run per S3 event, whatever message carries it. S3 sent the upload
// of "summer photo.jpg" twice (two messages, two messageIds): it is
// processed once. S3's test message is acknowledged, a body that is not an
// S3 event is rejected (logged and acknowledged: its redelivery would carry
// the same body), and a failed thumbnail fails its message alone, for SQS
// to deliver again. The batch processor has no Guard of its own: the
// events are guarded, not the messages. In main:
//
//	lambda.Start(batch.SQSHandler(process, nil))
//
// with the function's event source mapping set to ReportBatchItemFailures.
func ExampleSQSS3Keys() {
	g := idempotency.New(memstore.New(nil), &idempotency.Options{Namespace: "thumbnails", Logger: quiet})
	thumbnail := func(ctx context.Context, r events.S3EventRecord) error {
		key := r.S3.Object.URLDecodedKey // never Key: S3 sends it URL-encoded
		if key == "broken.jpg" {
			return errors.New("decode broken.jpg: unexpected EOF")
		}
		fmt.Println("thumbnail of", r.S3.Bucket.Name+"/"+key)
		return nil
	}

	process := func(ctx context.Context, m events.SQSMessage) error {
		objects, err := idempotency.SQSS3Keys(m)
		switch {
		case errors.Is(err, idempotency.ErrTestEvent):
			return nil // sent when the notification was configured: nothing to do
		case errors.Is(err, idempotency.ErrMalformedMessage):
			fmt.Println("rejected:", err) // log it (slog.ErrorContext); a retry cannot help
			return nil
		}
		for _, o := range objects {
			_, err := g.Do(ctx, o.Key, o.Payload, func(ctx context.Context) ([]byte, error) {
				return nil, thumbnail(ctx, o.Record)
			})
			if err != nil && !errors.Is(err, idempotency.ErrNotRecorded) { // not recorded: done all the same
				return err // this message fails; SQS delivers it again
			}
		}
		return nil
	}
	handler := batch.SQSHandler(process, &batch.Options[events.SQSMessage]{Logger: quiet})

	upload := func(key, sequencer string) string {
		return `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",` +
			`"eventTime":"2026-03-04T05:06:07.089Z","s3":{"bucket":{"name":"uploads"},"object":{"key":"` + key + `",` +
			`"size":1024,"eTag":"d41d8cd98f00b204e9800998ecf8427e","sequencer":"` + sequencer + `"}}}]}`
	}
	resp, err := handler(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-1", Body: upload("summer+photo.jpg", "0055AED6DCD90281E5")},
		{MessageId: "m-2", Body: upload("summer+photo.jpg", "0055AED6DCD90281E5")}, // S3 sent it again
		{MessageId: "m-3", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-03-04T05:00:00.000Z","Bucket":"uploads"}`},
		{MessageId: "m-4", Body: `{"order":"o-1"}`},
		{MessageId: "m-5", Body: upload("broken.jpg", "0055AED6DCD90281F0")},
	}})
	fmt.Println("failed:", resp.BatchItemFailures, err)
	// Output:
	// thumbnail of uploads/summer photo.jpg
	// rejected: idempotency: SQS message m-4 is not an S3 event notification: neither an S3 notification, an SNS notification nor an EventBridge event
	// failed: [{m-5}] <nil>
}
