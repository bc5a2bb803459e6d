package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/metrics"
)

// Handler processes one record. A nil error marks the record done; an error
// or a panic marks it failed, to be retried by the event source.
type Handler[R any] func(ctx context.Context, record R) error

// FIFOMode says what happens to the rest of an SQS FIFO batch when a record
// fails. Either way, the order of every message group is kept: a failed
// message's successors in its group are never processed before it.
type FIFOMode int

const (
	// StopOnFailure stops at the first failure: the failed message and every
	// message after it, in any group, are reported as failed. This is what
	// Lambda does for a FIFO queue without partial batch responses.
	StopOnFailure FIFOMode = iota
	// SkipGroupOnFailure reports the failed message and the later messages
	// of its message group as failed, and carries on with the other groups.
	// Groups are processed concurrently, up to Options.Concurrency.
	SkipGroupOnFailure
)

// Options configures batch processing. A nil *Options selects the defaults.
type Options[R any] struct {
	// Concurrency is the number of records (standard SQS queues) or message
	// groups (FIFO queues with SkipGroupOnFailure) processed at once. Zero or
	// one means one at a time. Streams and FIFO queues with StopOnFailure
	// are processed in order, one record at a time.
	Concurrency int

	// FIFO selects the failure handling of SQS FIFO queues (event source
	// ARN ending in ".fifo"). The default is StopOnFailure.
	FIFO FIFOMode

	// Guard, when set, runs each record at most once per idempotency key: a
	// record already processed (by an earlier delivery, or earlier in the
	// same batch) counts as a success without calling the handler again.
	// Records of the batch that share a key are processed one after the
	// other, never concurrently.
	Guard *idempotency.Guard

	// Key returns a record's idempotency key. Nil means the default of the
	// event source: idempotency.SQSKey for SQS (the messageId: for S3
	// events in the queue, which S3 may send twice as two messages, leave
	// Guard unset and guard each event with idempotency.SQSS3Keys in the
	// handler); the event source ARN and
	// event ID (shard and sequence number) for Kinesis and DynamoDB
	// Streams. A record whose key is missing (Key returns
	// idempotency.ErrMissingKey or an empty key) runs unguarded when the
	// Guard's Options.AllowMissingKey is set, as idempotency.Handler does;
	// otherwise it fails, logged with the reason.
	Key idempotency.KeyFunc[R]

	// Payload returns the bytes of a record whose hash detects a key reused
	// with a different payload (an *idempotency.PayloadMismatchError, which
	// fails the record). Nil means the event source's default, which leaves
	// out what the transport adds or changes between deliveries:
	//
	//   - SQS: idempotency.Payload, the body only (in canonical JSON form
	//     when it is JSON, so a resend with its keys in another order is the
	//     same payload), not the message attributes (a resend may carry
	//     another trace id), system attributes, receipt handle or receive
	//     count;
	//   - Kinesis: [KinesisPayload], the data and partition key, not the
	//     arrival time;
	//   - DynamoDB Streams: [DynamoDBPayload], the event name, keys and
	//     images, not the creation time or size.
	//
	// To compare only some members of a JSON body (leaving out a timestamp
	// the producer sets on each send), use idempotency.SQSBodyFields.
	Payload idempotency.PayloadFunc[R]

	// FailNotRecorded reports a record as failed, for the event source to
	// deliver again, when its handler succeeded but the Guard could not
	// record the outcome (an *idempotency.NotRecordedError). By default
	// such a record counts as a success: the work has been done once, and a
	// redelivery would do it again. Either way the failure is logged at
	// ERROR and counted as the [MetricNotRecorded] metric (in the
	// metrics.Set of the context, when there is one).
	FailNotRecorded bool

	// Logger receives one record per failed record (with the stack, for a
	// panic). Nil means slog.Default().
	Logger *slog.Logger
}

// MetricNotRecorded is the metric (Count) a batch adds, through
// metrics.FromContext, for each record whose handler succeeded but whose
// idempotency record could not be saved (see Options.FailNotRecorded).
const MetricNotRecorded = "IdempotencyNotRecorded"

// record is one record of a batch as the processor tracks it.
type record[R any] struct {
	rec R
	id  string // the itemIdentifier reported on failure
	err error  // the outcome
}

// plan says how a batch is split into lanes: records of a lane are
// processed in order, lanes concurrently.
type plan struct {
	lanes       [][]int // indices into the batch, per lane
	stopLane    bool    // a failure fails the rest of its lane unprocessed
	concurrency int
}

// process runs fn over recs following p and returns the indices of the
// failed records, in batch order, and the error to return from the
// handler (an *AllFailedError when every record failed).
func process[R any](ctx context.Context, recs []record[R], p plan, fn Handler[R], o *Options[R], src source[R]) ([]int, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	log := slog.Default()
	if o.Logger != nil {
		log = o.Logger
	}
	sem := make(chan struct{}, max(1, p.concurrency))
	var wg sync.WaitGroup
	for _, lane := range p.lanes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for i, idx := range lane {
				r := &recs[idx]
				if err := ctx.Err(); err != nil {
					r.err = fmt.Errorf("%w: %w", ErrNotProcessed, err)
					continue
				}
				r.err = run(ctx, r, fn, o, src, log)
				if r.err == nil {
					continue
				}
				logFailure(ctx, log, r)
				if p.stopLane {
					for _, rest := range lane[i+1:] {
						recs[rest].err = fmt.Errorf("%w: record %s before it failed", ErrNotProcessed, r.id)
					}
					return
				}
			}
		})
	}
	wg.Wait()
	var failed []int
	var errs []error
	left := 0 // records the context's end kept from running
	for i := range recs {
		if recs[i].err != nil {
			failed = append(failed, i)
			errs = append(errs, recs[i].err)
			if ctx.Err() != nil && errors.Is(recs[i].err, ctx.Err()) {
				left++
			}
		}
	}
	if left > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "batch: context ended, records left for retry",
			slog.Int("records", left), slog.String("cause", context.Cause(ctx).Error()))
	}
	if len(failed) == len(recs) {
		return failed, &AllFailedError{Errs: errs}
	}
	return failed, nil
}

// source is what an event source's records are guarded by: their key and
// payload functions, the options' or the source's defaults.
type source[R any] struct {
	key     idempotency.KeyFunc[R]
	payload idempotency.PayloadFunc[R]
	// unrecorded holds the keys, with their payloads, of the records of
	// this batch whose work was done but not recorded: a duplicate later in
	// the batch counts as done instead of finding the key in progress.
	unrecorded *sync.Map
}

// newSource returns o's key and payload functions, or the defaults given.
func newSource[R any](o *Options[R], key idempotency.KeyFunc[R], payload idempotency.PayloadFunc[R]) source[R] {
	s := source[R]{key: o.Key, payload: o.Payload, unrecorded: new(sync.Map)}
	if s.key == nil {
		s.key = key
	}
	if s.payload == nil {
		s.payload = payload
	}
	return s
}

// run processes one record, under the guard if there is one, turning a
// panic into the record's error.
func run[R any](ctx context.Context, r *record[R], fn Handler[R], o *Options[R], src source[R], log *slog.Logger) (err error) {
	ctx = logging.WithCorrelationID(ctx, r.id)
	g := o.Guard
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if g == nil {
		return fn(ctx, r.rec)
	}
	k, err := src.key(r.rec)
	guarded, err := g.CheckKey(ctx, k, err)
	if err != nil {
		return err
	}
	if !guarded { // no key, and the Guard allows that: run it as is
		return fn(ctx, r.rec)
	}
	payload, err := src.payload(r.rec)
	if err != nil {
		return fmt.Errorf("batch: payload of record %s: %w", r.id, err)
	}
	if p, ok := src.unrecorded.Load(k); ok && bytes.Equal(p.([]byte), payload) {
		log.LogAttrs(ctx, slog.LevelInfo, "batch: duplicate of a record processed earlier in this batch", slog.String("itemIdentifier", r.id))
		return nil
	}
	_, err = g.Do(ctx, k, payload, func(ctx context.Context) ([]byte, error) {
		return nil, fn(ctx, r.rec)
	})
	if nr, ok := errors.AsType[*idempotency.NotRecordedError](err); ok {
		notRecorded(ctx, log, r, nr)
		if !o.FailNotRecorded {
			src.unrecorded.Store(k, payload)
			return nil
		}
	}
	return err
}

// notRecorded logs and counts a record whose handler succeeded but whose
// idempotency record was not saved. ctx carries the record's correlation id
// (see run).
func notRecorded[R any](ctx context.Context, log *slog.Logger, r *record[R], nr *idempotency.NotRecordedError) {
	_ = metrics.FromContext(ctx).Add(MetricNotRecorded, metrics.Count, 1)
	log.LogAttrs(ctx, slog.LevelError, "batch: record processed but its idempotency record was not saved",
		slog.String("itemIdentifier", r.id), slog.String("key_hash", nr.KeyHash),
		slog.Bool("held", nr.Held), slog.String("error", nr.Err.Error()))
}

func logFailure[R any](ctx context.Context, log *slog.Logger, r *record[R]) {
	ctx = logging.WithCorrelationID(ctx, r.id)
	attrs := []slog.Attr{slog.String("itemIdentifier", r.id), slog.String("error", r.err.Error())}
	if pe, ok := errors.AsType[*PanicError](r.err); ok {
		attrs = append(attrs, slog.String("stack", string(pe.Stack)))
	}
	log.LogAttrs(ctx, slog.LevelError, "batch: record failed", attrs...)
}

// sequential is the plan of an ordered source: one lane, stopping at the
// first failure.
func sequential(n int) plan {
	lane := make([]int, n)
	for i := range lane {
		lane[i] = i
	}
	return plan{lanes: [][]int{lane}, stopLane: true, concurrency: 1}
}

// grouped is the plan that puts records with the same group in one lane, in
// batch order. An empty group gives the record a lane of its own.
func grouped(groups []string, stop bool, concurrency int) plan {
	p := plan{stopLane: stop, concurrency: concurrency}
	lane := map[string]int{}
	for i, g := range groups {
		if g != "" {
			if l, ok := lane[g]; ok {
				p.lanes[l] = append(p.lanes[l], i)
				continue
			}
			lane[g] = len(p.lanes)
		}
		p.lanes = append(p.lanes, []int{i})
	}
	return p
}
