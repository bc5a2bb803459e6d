package batch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/metrics"
)

// orderKey keys a message by the order id in its JSON body, as a user
// deduplicating by business id does.
func orderKey(m events.SQSMessage) (string, error) {
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(m.Body), &o); err != nil || o.ID == "" {
		return "", idempotency.ErrMissingKey
	}
	return "order|" + o.ID, nil
}

// resend returns the sample message carrying body as a new message (a
// producer's second send): another message id, receipt handle, receive
// count, sent time and trace attribute.
func resend(t testing.TB, id, body, trace string) events.SQSMessage {
	t.Helper()
	var ev events.SQSEvent
	if err := json.Unmarshal(sqsBatch(t, id+"="+body), &ev); err != nil {
		t.Fatal(err)
	}
	m := ev.Records[0]
	m.ReceiptHandle = "handle-" + id
	m.Attributes["ApproximateReceiveCount"] = "3"
	m.Attributes["SentTimestamp"] = "17000000" + strings.Repeat("1", len(id))
	m.MessageAttributes = map[string]events.SQSMessageAttribute{
		"traceparent": {DataType: "String", StringValue: &trace},
	}
	return m
}

func invokeMessages(t testing.TB, ctx context.Context, fn batch.Handler[events.SQSMessage], opts *batch.Options[events.SQSMessage], ms ...events.SQSMessage) []string {
	t.Helper()
	payload, err := json.Marshal(events.SQSEvent{Records: ms})
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(batch.SQSHandler(fn, opts)).Invoke(ctx, payload)
	if err != nil && !errors.Is(err, batch.ErrAllFailed) {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	if err == nil {
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
	}
	failed := []string{}
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if errors.Is(err, batch.ErrAllFailed) {
		for _, m := range ms {
			failed = append(failed, m.MessageId)
		}
	}
	return failed
}

// TestSQS_resendIsTheSameOrder is the README's one-line wiring
// (Options{Guard, Key}) receiving the same order twice: the producer's
// resend carries another trace attribute and its JSON keys in another
// order. It is a duplicate, processed once, never a payload mismatch that
// fails on every delivery until the dead-letter queue.
func TestSQS_resendIsTheSameOrder(t *testing.T) {
	var runs atomic.Int32
	fn := func(context.Context, events.SQSMessage) error { runs.Add(1); return nil }
	opts := &batch.Options[events.SQSMessage]{Guard: newGuard(t), Key: orderKey}

	first := resend(t, "m-1", `{"id":"o-1","quantity":2,"items":[{"sku":"a","n":1}]}`, "00-aaaa-01")
	if failed := invokeMessages(t, context.Background(), fn, opts, first); len(failed) != 0 {
		t.Fatalf("first delivery failed: %v", failed)
	}
	second := resend(t, "m-2", "{\"items\": [{\"n\":1, \"sku\":\"a\"}],\n \"quantity\": 2, \"id\": \"o-1\"}", "00-bbbb-01")
	if failed := invokeMessages(t, context.Background(), fn, opts, second); len(failed) != 0 {
		t.Errorf("the resend of the same order failed (%v): its attributes or key order were hashed", failed)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("order processed %d times, want once", n)
	}
}

// TestSQS_payloadOption: a producer that stamps each send with sent_at makes
// two sends of one order differ in their bodies. With the default payload
// that is a mismatch (the record fails); with Options.Payload naming the
// fields that make the order, it is the same order, and an order that
// really differs under the same id is still a mismatch.
func TestSQS_payloadOption(t *testing.T) {
	first := resend(t, "m-1", `{"id":"o-1","quantity":2,"sent_at":"10:00"}`, "t1")
	again := resend(t, "m-2", `{"id":"o-1","quantity":2,"sent_at":"10:05"}`, "t2")
	other := resend(t, "m-3", `{"id":"o-1","quantity":9,"sent_at":"10:06"}`, "t3")
	fn := func(context.Context, events.SQSMessage) error { return nil }

	t.Run("default", func(t *testing.T) {
		opts := &batch.Options[events.SQSMessage]{Guard: newGuard(t), Key: orderKey}
		invokeMessages(t, context.Background(), fn, opts, first)
		if failed := invokeMessages(t, context.Background(), fn, opts, again); !slices.Equal(failed, []string{"m-2"}) {
			t.Errorf("failed %v; want m-2: the default hashes the whole body", failed)
		}
	})
	t.Run("SQSBodyFields", func(t *testing.T) {
		var logs bytes.Buffer
		var runs atomic.Int32
		fn := func(context.Context, events.SQSMessage) error { runs.Add(1); return nil }
		opts := &batch.Options[events.SQSMessage]{
			Guard: newGuard(t), Key: orderKey,
			Payload: idempotency.SQSBodyFields("id", "quantity"),
			Logger:  slog.New(slog.NewJSONHandler(&logs, nil)),
		}
		invokeMessages(t, context.Background(), fn, opts, first)
		if failed := invokeMessages(t, context.Background(), fn, opts, again); len(failed) != 0 || runs.Load() != 1 {
			t.Errorf("resend: failed %v after %d runs; want none, 1 run", failed, runs.Load())
		}
		if failed := invokeMessages(t, context.Background(), fn, opts, other); !slices.Equal(failed, []string{"m-3"}) {
			t.Errorf("other quantity: failed %v; want m-3", failed)
		}
		if !strings.Contains(logs.String(), "different payload") {
			t.Errorf("the mismatch is not logged: %s", logs.String())
		}
	})
	t.Run("payload error", func(t *testing.T) {
		opts := &batch.Options[events.SQSMessage]{
			Guard: newGuard(t), Key: func(events.SQSMessage) (string, error) { return "k", nil },
			Payload: idempotency.SQSBodyFields("id"),
		}
		bad := resend(t, "m-4", `not json`, "t4")
		if failed := invokeMessages(t, context.Background(), fn, opts, bad, first); !slices.Equal(failed, []string{"m-4"}) {
			t.Errorf("failed %v; want the message whose payload cannot be computed", failed)
		}
	})
}

// TestStreams_defaultPayload: the same data put on a stream twice (another
// sequence number and arrival time) under one business key is the same
// payload, for Kinesis and for DynamoDB Streams.
func TestStreams_defaultPayload(t *testing.T) {
	t.Run("Kinesis", func(t *testing.T) {
		var ev events.KinesisEvent
		if err := json.Unmarshal(kinesisBatch(t, 2), &ev); err != nil {
			t.Fatal(err)
		}
		ev.Records[1].Kinesis = ev.Records[0].Kinesis
		ev.Records[1].Kinesis.SequenceNumber = "49568167373333333333333333333333333333333333333333333"
		ev.Records[1].Kinesis.ApproximateArrivalTimestamp.Time = ev.Records[0].Kinesis.ApproximateArrivalTimestamp.Add(5e9)
		var runs atomic.Int32
		opts := &batch.Options[events.KinesisEventRecord]{
			Guard: newGuard(t),
			Key:   func(r events.KinesisEventRecord) (string, error) { return "data|" + r.Kinesis.PartitionKey, nil },
		}
		resp, err := batch.Kinesis(context.Background(), ev, func(context.Context, events.KinesisEventRecord) error { runs.Add(1); return nil }, opts)
		if err != nil || len(resp.BatchItemFailures) != 0 || runs.Load() != 1 {
			t.Errorf("failures %v, err %v, runs %d; want none, nil, 1", resp.BatchItemFailures, err, runs.Load())
		}
		ev.Records[1].Kinesis.Data = []byte("other data")
		resp, _ = batch.Kinesis(context.Background(), ev, func(context.Context, events.KinesisEventRecord) error { return nil }, opts)
		if len(resp.BatchItemFailures) != 1 {
			t.Errorf("other data under the same key: failures %v, want the second record", resp.BatchItemFailures)
		}
	})
	t.Run("DynamoDB", func(t *testing.T) {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(testenv.LambdaEvent(t, "dynamodb-event.json"), &ev); err != nil {
			t.Fatal(err)
		}
		r := ev.Records[0]
		r.Change.SequenceNumber = "999"
		r.Change.ApproximateCreationDateTime.Time = r.Change.ApproximateCreationDateTime.Add(7e9)
		r.Change.SizeBytes++
		ev.Records = []events.DynamoDBEventRecord{ev.Records[0], r}
		var runs atomic.Int32
		opts := &batch.Options[events.DynamoDBEventRecord]{
			Guard: newGuard(t),
			Key: func(r events.DynamoDBEventRecord) (string, error) {
				return "item|" + r.Change.Keys["key"].String(), nil
			},
		}
		resp, err := batch.DynamoDB(context.Background(), ev, func(context.Context, events.DynamoDBEventRecord) error { runs.Add(1); return nil }, opts)
		if err != nil || len(resp.BatchItemFailures) != 0 || runs.Load() != 1 {
			t.Errorf("failures %v, err %v, runs %d; want none, nil, 1", resp.BatchItemFailures, err, runs.Load())
		}
	})
}

// unrecordable is a store that cannot save completions: a table throttled
// past every retry.
type unrecordable struct{ idempotency.Store }

var errThrottled = errors.New("ProvisionedThroughputExceededException")

func (unrecordable) Complete(context.Context, idempotency.Record) error { return errThrottled }

// TestSQS_doneButNotRecorded: a message whose work succeeded but whose
// idempotency record could not be saved is not reported as failed (its
// redelivery would repeat the side effect, a charge, twice), nor is a
// duplicate of it later in the batch; the failure is logged and counted.
func TestSQS_doneButNotRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := idempotency.New(unrecordable{memstore.New(nil)}, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
		var charges atomic.Int32
		fn := func(_ context.Context, m events.SQSMessage) error {
			if m.MessageId == "m-fail" {
				return errors.New("card declined")
			}
			charges.Add(1)
			return nil
		}
		var logs, emf bytes.Buffer
		rec, err := metrics.New(&emf, &metrics.Options{Namespace: "Test", DisableColdStart: true})
		if err != nil {
			t.Fatal(err)
		}
		ctx, set := rec.Start(context.Background())
		opts := &batch.Options[events.SQSMessage]{Guard: g, Key: orderKey, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
		failed := invokeMessages(t, ctx, fn, opts,
			resend(t, "m-1", `{"id":"o-1"}`, "t"),
			resend(t, "m-fail", `{"id":"o-2"}`, "t"),
			resend(t, "m-dup", `{"id":"o-1"}`, "t"))
		if !slices.Equal(failed, []string{"m-fail"}) || charges.Load() != 1 {
			t.Errorf("failed %v after %d charges; want only m-fail, 1 charge", failed, charges.Load())
		}
		if !strings.Contains(logs.String(), `"level":"ERROR","msg":"batch: record processed but its idempotency record was not saved"`) ||
			!strings.Contains(logs.String(), errThrottled.Error()) {
			t.Errorf("not logged with its cause: %s", logs.String())
		}
		if err := set.Flush(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(emf.String(), `"IdempotencyNotRecorded":1`) {
			t.Errorf("metric not counted: %s", emf.String())
		}
	})
}

// TestSQS_failNotRecorded: with Options.FailNotRecorded the message is
// reported as failed for redelivery instead.
func TestSQS_failNotRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := idempotency.New(unrecordable{memstore.New(nil)}, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
		opts := &batch.Options[events.SQSMessage]{Guard: g, Key: orderKey, FailNotRecorded: true}
		failed := invokeMessages(t, context.Background(), func(context.Context, events.SQSMessage) error { return nil }, opts,
			resend(t, "m-1", `{"id":"o-1"}`, "t"), resend(t, "m-2", `{"id":"o-2"}`, "t"))
		if !slices.Equal(failed, []string{"m-1", "m-2"}) {
			t.Errorf("failed %v; want both", failed)
		}
	})
}
