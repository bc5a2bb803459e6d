package batch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

// An SQS order processor, idempotent per order: a resend of an order (a new
// message, another trace attribute, another sent_at, its keys reordered)
// is processed once, and an invalid message fails alone.
func ExampleSQSHandler() {
	guard := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
	type order struct {
		ID       string `json:"id"`
		Quantity int    `json:"quantity"`
	}
	orderKey := func(m events.SQSMessage) (string, error) {
		var o order
		if err := json.Unmarshal([]byte(m.Body), &o); err != nil || o.ID == "" {
			return idempotency.SQSKey(m) // no order id: the message's own key
		}
		return "order|" + o.ID, nil
	}
	process := func(ctx context.Context, m events.SQSMessage) error {
		var o order
		if err := json.Unmarshal([]byte(m.Body), &o); err != nil {
			return fmt.Errorf("invalid order: %w", err)
		}
		fmt.Println("charging order", o.ID)
		return nil
	}
	handler := batch.SQSHandler(process, &batch.Options[events.SQSMessage]{
		Guard:   guard,
		Key:     orderKey,
		Payload: idempotency.SQSBodyFields("id", "quantity"),
		Logger:  slog.New(slog.DiscardHandler),
	})

	trace := "00-1-01"
	resp, err := handler(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-1", Body: `{"id":"o-1","quantity":2,"sent_at":"10:00"}`},
		{MessageId: "m-2", Body: `not json`},
		{MessageId: "m-3", Body: `{"sent_at":"10:05","quantity":2,"id":"o-1"}`,
			MessageAttributes: map[string]events.SQSMessageAttribute{"traceparent": {DataType: "String", StringValue: &trace}}},
	}})
	fmt.Println(resp.BatchItemFailures, err)
	// Output:
	// charging order o-1
	// [{m-2}] <nil>
}

// A store that cannot save the outcome (a throttled table) does not make a
// processed message look failed: its redelivery would charge twice.
func ExampleOptions_failNotRecorded() {
	fn := func(context.Context, events.SQSMessage) error { return nil }
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: `{"id":"o-1"}`}}}
	for _, failNotRecorded := range []bool{false, true} {
		guard := idempotency.New(noSave{memstore.New(nil)}, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
		resp, _ := batch.SQS(context.Background(), ev, fn, &batch.Options[events.SQSMessage]{
			Guard: guard, FailNotRecorded: failNotRecorded, Logger: slog.New(slog.DiscardHandler),
		})
		fmt.Printf("FailNotRecorded %v: failures %v\n", failNotRecorded, resp.BatchItemFailures)
	}
	// Output:
	// FailNotRecorded false: failures []
	// FailNotRecorded true: failures [{m-1}]
}

// noSave is a store whose completions fail for good (a result too large to
// store), so the Guard gives up at once.
type noSave struct{ idempotency.Store }

func (noSave) Complete(context.Context, idempotency.Record) error {
	return &idempotency.ResultTooLargeError{Size: 1, Limit: 0}
}
