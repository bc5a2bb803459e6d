// Package wholebatch is analysistest data for the wholebatch analyzer.
package wholebatch

import (
	"context"
	"errors"
	"fmt"

	"sync"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"

	"github.com/rampartdev/rampart/batch"
)

func process(ctx context.Context, body string) error { return nil }

// Bug: the first failure fails the batch.
func handleSQS(ctx context.Context, ev events.SQSEvent) error {
	for _, m := range ev.Records {
		if err := process(ctx, m.Body); err != nil {
			return fmt.Errorf("message %s: %w", m.MessageId, err) // want `wholebatch: returning an error from the loop over the SQSEvent's records fails the whole batch`
		}
	}
	return nil
}

// Bug: errors collected and returned after the loop.
func handleKinesis(ctx context.Context, ev *events.KinesisEvent) error {
	var failed error
	for _, r := range ev.Records {
		failed = errors.Join(failed, process(ctx, string(r.Kinesis.Data)))
	}
	return failed // want `wholebatch: returning the error failed collected over the KinesisEvent's records fails the whole batch`
}

// Bug: errgroup fan-out over the records, its first error returned.
func handleErrgroup(ctx context.Context, ev events.SQSEvent) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, m := range ev.Records {
		g.Go(func() error {
			if err := process(gctx, m.Body); err != nil {
				return fmt.Errorf("message %s: %w", m.MessageId, err) // the closure's return, not the handler's
			}
			return nil
		})
	}
	return g.Wait() // want `wholebatch: returning an error made from g.Wait\(\), collected over the SQSEvent's records, fails the whole batch`
}

// Bug: the same, its error checked first.
func handleErrgroupChecked(ctx context.Context, ev events.SQSEvent) error {
	var g errgroup.Group
	for _, m := range ev.Records {
		g.Go(func() error { return process(ctx, m.Body) })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("batch: %w", err) // want `wholebatch: returning an error made from err, collected over the SQSEvent's records`
	}
	return nil
}

// Bug: the failures collected in a slice.
func handleSlice(ctx context.Context, ev events.SQSEvent) error {
	var errs []error
	for _, m := range ev.Records {
		if err := process(ctx, m.Body); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d messages failed: %w", len(errs), len(ev.Records), errors.Join(errs...)) // want `wholebatch: returning an error made from errs, collected over the SQSEvent's records`
	}
	return nil
}

// Bug: goroutines per record keep the first error.
func handleGoroutines(ctx context.Context, ev events.SQSEvent) error {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	for _, m := range ev.Records {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := process(ctx, m.Body); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr // want `wholebatch: returning the error firstErr collected over the SQSEvent's records fails the whole batch`
}

// Fix: errgroup fan-out reporting each failed message.
func handleErrgroupFixed(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var (
		mu   sync.Mutex
		resp events.SQSEventResponse
		g    errgroup.Group
	)
	g.SetLimit(4)
	for _, m := range ev.Records {
		g.Go(func() error {
			if err := process(ctx, m.Body); err != nil {
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return resp, nil
}

// Bug: a partial response, thrown away by the error.
func handleDynamo(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, r := range ev.Records {
		if err := process(ctx, r.EventID); err != nil {
			return resp, err // want `wholebatch: .*a non-nil error makes Lambda ignore the partial batch response`
		}
	}
	return resp, nil
}

// Fix: report the failed messages.
func handleFixed(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		if err := process(ctx, m.Body); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// Fix: Rampart's batch processor.
func handleRampart(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return batch.SQS(ctx, ev, func(ctx context.Context, m events.SQSMessage) error { return process(ctx, m.Body) }, nil)
}

// Near-miss: an error before the loop (nothing can run), a loop over
// something else, and an S3 event (no partial batch response exists).
func handlePrecondition(ctx context.Context, ev events.SQSEvent) error {
	if err := process(ctx, ""); err != nil {
		return err
	}
	for _, m := range ev.Records {
		_ = m
	}
	for _, s := range []string{"a"} {
		if err := process(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func handleS3(ctx context.Context, ev events.S3Event) error {
	for _, r := range ev.Records {
		if err := process(ctx, r.S3.Object.URLDecodedKey); err != nil {
			return err
		}
	}
	return nil
}
