package batch

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
)

// SQS processes an SQS batch with fn and returns the partial batch response
// that lists the failed messages (by messageId) for Lambda to make visible
// again; the function's event source mapping must have
// ReportBatchItemFailures enabled.
//
// Messages of a standard queue are processed independently, up to
// opts.Concurrency at once. Messages of a FIFO queue keep their group's
// order, as opts.FIFO describes. When every message failed, SQS returns an
// *[AllFailedError] with the response.
func SQS(ctx context.Context, ev events.SQSEvent, fn Handler[events.SQSMessage], opts *Options[events.SQSMessage]) (events.SQSEventResponse, error) {
	o := optionsOrZero(opts)
	src := newSource(o, idempotency.SQSKey, sqsPayload)
	recs := make([]record[events.SQSMessage], len(ev.Records))
	fifo := false
	for i, m := range ev.Records {
		recs[i] = record[events.SQSMessage]{rec: m, id: m.MessageId}
		fifo = fifo || strings.HasSuffix(m.EventSourceARN, ".fifo")
	}
	var p plan
	switch {
	case fifo && o.FIFO == SkipGroupOnFailure:
		p = grouped(messageGroups(ev.Records), true, o.Concurrency)
	case fifo:
		p = sequential(len(recs))
	default:
		p = grouped(make([]string, len(recs)), false, o.Concurrency)
		if o.Guard != nil { // duplicates of one key run one after the other
			p = grouped(keys(ev.Records, src.key), false, o.Concurrency)
		}
	}
	failed, err := process(ctx, recs, p, fn, o, src)
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, i := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: recs[i].id})
	}
	return resp, err
}

// SQSHandler returns an aws-lambda-go handler that processes each SQS event
// with [SQS]:
//
//	lambda.Start(batch.SQSHandler(process, nil))
func SQSHandler(fn Handler[events.SQSMessage], opts *Options[events.SQSMessage]) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return SQS(ctx, ev, fn, opts)
	}
}

func sqsPayload(m events.SQSMessage) ([]byte, error) { return idempotency.Payload(m) }

func messageGroups(ms []events.SQSMessage) []string {
	gs := make([]string, len(ms))
	for i, m := range ms {
		gs[i] = "g:" + m.Attributes["MessageGroupId"] // never empty: one lane per group
	}
	return gs
}

// keys returns each record's idempotency key ("" when it has none).
func keys[R any](rs []R, key idempotency.KeyFunc[R]) []string {
	ks := make([]string, len(rs))
	for i, r := range rs {
		ks[i], _ = key(r)
	}
	return ks
}

func optionsOrZero[R any](o *Options[R]) *Options[R] {
	if o == nil {
		return &Options[R]{}
	}
	return o
}
