package batch

import (
	"context"
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
	o := optionsOrZero(opts)
	key := o.Key
	if key == nil {
		key = KinesisKey
	}
	recs := make([]record[events.KinesisEventRecord], len(ev.Records))
	for i, r := range ev.Records {
		recs[i] = record[events.KinesisEventRecord]{rec: r, id: r.Kinesis.SequenceNumber}
	}
	failed, err := process(ctx, recs, sequential(len(recs)), fn, o, key)
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	for _, i := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: recs[i].id})
	}
	return resp, err
}

// DynamoDB processes a DynamoDB Streams batch like [Kinesis]: in order,
// stopping at the first failure, reporting it and every later record by
// sequence number.
func DynamoDB(ctx context.Context, ev events.DynamoDBEvent, fn Handler[events.DynamoDBEventRecord], opts *Options[events.DynamoDBEventRecord]) (events.DynamoDBEventResponse, error) {
	o := optionsOrZero(opts)
	key := o.Key
	if key == nil {
		key = DynamoDBKey
	}
	recs := make([]record[events.DynamoDBEventRecord], len(ev.Records))
	for i, r := range ev.Records {
		recs[i] = record[events.DynamoDBEventRecord]{rec: r, id: r.Change.SequenceNumber}
	}
	failed, err := process(ctx, recs, sequential(len(recs)), fn, o, key)
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for _, i := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: recs[i].id})
	}
	return resp, err
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
