package batch

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
)

// Kinesis processes a Kinesis Data Streams batch in order and returns the
// partial batch response. At the first failure it stops: the failed record
// and every later one are reported by sequence number, and Lambda resumes
// the shard from the failed record (the lowest reported), so no record is
// skipped and none is processed out of order. When every record failed,
// Kinesis returns an *[AllFailedError] with the response.
func Kinesis(ctx context.Context, ev events.KinesisEvent, fn Handler[events.KinesisEventRecord], opts *Options[events.KinesisEventRecord]) (events.KinesisEventResponse, error) {
	failed, err := stream(ctx, ev.Records, func(r events.KinesisEventRecord) string { return r.Kinesis.SequenceNumber }, KinesisKey, KinesisPayload, fn, opts)
	resp := events.KinesisEventResponse{BatchItemFailures: make([]events.KinesisBatchItemFailure, len(failed))}
	for i, id := range failed {
		resp.BatchItemFailures[i] = events.KinesisBatchItemFailure{ItemIdentifier: id}
	}
	return resp, err
}

// DynamoDB processes a DynamoDB Streams batch like [Kinesis]: in order,
// stopping at the first failure, reporting it and every later record by
// sequence number.
func DynamoDB(ctx context.Context, ev events.DynamoDBEvent, fn Handler[events.DynamoDBEventRecord], opts *Options[events.DynamoDBEventRecord]) (events.DynamoDBEventResponse, error) {
	failed, err := stream(ctx, ev.Records, func(r events.DynamoDBEventRecord) string { return r.Change.SequenceNumber }, DynamoDBKey, DynamoDBPayload, fn, opts)
	resp := events.DynamoDBEventResponse{BatchItemFailures: make([]events.DynamoDBBatchItemFailure, len(failed))}
	for i, id := range failed {
		resp.BatchItemFailures[i] = events.DynamoDBBatchItemFailure{ItemIdentifier: id}
	}
	return resp, err
}

// stream processes the records of a stream batch in order, stopping at the
// first failure, and returns the sequence numbers of the failed record and
// every later one.
func stream[R any](ctx context.Context, rs []R, seq func(R) string, key idempotency.KeyFunc[R], payload idempotency.PayloadFunc[R], fn Handler[R], opts *Options[R]) ([]string, error) {
	o := optionsOrZero(opts)
	recs := make([]record[R], len(rs))
	for i, r := range rs {
		recs[i] = record[R]{rec: r, id: seq(r)}
	}
	failed, err := process(ctx, recs, sequential(len(recs)), fn, o, newSource(o, key, payload))
	ids := make([]string, len(failed))
	for i, j := range failed {
		ids[i] = recs[j].id
	}
	return ids, err
}

// KinesisKey is the default idempotency key of a Kinesis record: its stream
// and event ID (shard and sequence number), the same on every redelivery.
func KinesisKey(r events.KinesisEventRecord) (string, error) {
	if r.EventID == "" {
		return "", fmt.Errorf("%w: Kinesis record without eventID", idempotency.ErrMissingKey)
	}
	return "kinesis|" + r.EventSourceArn + "|" + r.EventID, nil
}

// DynamoDBKey is the default idempotency key of a DynamoDB Streams record:
// its stream and event ID.
func DynamoDBKey(r events.DynamoDBEventRecord) (string, error) {
	if r.EventID == "" {
		return "", fmt.Errorf("%w: DynamoDB Streams record without eventID", idempotency.ErrMissingKey)
	}
	return "dynamodb|" + r.EventSourceArn + "|" + r.EventID, nil
}

// KinesisPayload is the default payload of a Kinesis record (see
// Options.Payload): its partition key and data, what the producer put. Not
// the arrival time, sequence number or shard, which belong to one delivery
// of the data, so that the same data put twice under one business key (see
// Options.Key) is the same payload.
func KinesisPayload(r events.KinesisEventRecord) ([]byte, error) {
	return json.Marshal(struct {
		PartitionKey string `json:"partitionKey"`
		Data         []byte `json:"data"`
	}{r.Kinesis.PartitionKey, r.Kinesis.Data})
}

// DynamoDBPayload is the default payload of a DynamoDB Streams record (see
// Options.Payload): the event name (INSERT, MODIFY, REMOVE), the item's
// keys and its new and old images, what the change is. Not the
// approximate creation time, sequence number or size.
func DynamoDBPayload(r events.DynamoDBEventRecord) ([]byte, error) {
	b, err := json.Marshal(struct {
		EventName string                                   `json:"eventName"`
		Keys      map[string]events.DynamoDBAttributeValue `json:"keys,omitempty"`
		NewImage  map[string]events.DynamoDBAttributeValue `json:"newImage,omitempty"`
		OldImage  map[string]events.DynamoDBAttributeValue `json:"oldImage,omitempty"`
	}{r.EventName, r.Change.Keys, r.Change.NewImage, r.Change.OldImage})
	if err != nil {
		return nil, fmt.Errorf("batch: encode DynamoDB Streams payload: %w", err)
	}
	return b, nil
}
