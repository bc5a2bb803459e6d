package thumbnailer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/media"
)

// HandleSQS processes an SQS batch of S3 notifications (S3 → SQS → Lambda
// with ReportBatchItemFailures) and reports the messages to deliver again,
// using the toolkit's batch processor. A message fails when one of its events
// failed transiently, or when it is not a notification at all: SQS
// redelivers it until maxReceiveCount and then moves it to the dead-letter
// queue, where it stays visible. S3's test message succeeds. Messages not
// started when ctx ends are reported too, and so are those reached with less
// than the MinWriteReserve of [Options] left before ctx's
// deadline: they fail with [ErrOutOfTime] before any side effect, rather
// than start work that would be cut off. When every message failed the
// error is a *batch.AllFailedError, so the whole batch is retried.
func (t *Thumbnailer) HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return batch.SQS(ctx, ev, t.HandleMessage, &batch.Options[events.SQSMessage]{Logger: t.opts.Logger})
}

// HandleMessage processes one SQS message of S3 notifications: the
// per-message step of [Thumbnailer.HandleSQS], for a runtime that settles
// messages itself and keeps each one's error (rampart dev's dead letters).
func (t *Thumbnailer) HandleMessage(ctx context.Context, m events.SQSMessage) error {
	evs, err := media.FromSQSBody(m.Body)
	if errors.Is(err, media.ErrTestEvent) {
		t.opts.Logger.InfoContext(ctx, "s3:TestEvent ignored", slog.String("message_id", m.MessageId))
		return nil
	}
	if err != nil {
		t.opts.Logger.ErrorContext(ctx, "malformed message: left for the dead-letter queue",
			slog.String("message_id", m.MessageId), slog.String("receive_count", m.Attributes["ApproximateReceiveCount"]), slog.Any("error", err))
		t.count(ctx, MetricBadEvents, 1)
		return err
	}
	var failed error
	for _, e := range evs {
		if _, err := t.Process(ctx, e); err != nil {
			failed = errors.Join(failed, err)
		}
	}
	return failed
}

// HandleS3 processes a notification delivered by S3 directly. An error
// makes Lambda retry the whole (asynchronous) invocation.
func (t *Thumbnailer) HandleS3(ctx context.Context, ev events.S3Event) error {
	var failed error
	for _, r := range ev.Records {
		e, err := media.FromS3(r)
		if err == nil {
			_, err = t.Process(ctx, e)
		} else {
			t.opts.Logger.ErrorContext(ctx, "malformed S3 record", slog.Any("error", err))
			t.count(ctx, MetricBadEvents, 1)
		}
		if err != nil {
			failed = errors.Join(failed, err)
		}
	}
	return failed
}

// HandleSNS processes S3 notifications delivered by SNS (S3 → SNS →
// Lambda): each record's Message is one. An error makes Lambda retry the
// whole (asynchronous) invocation.
func (t *Thumbnailer) HandleSNS(ctx context.Context, ev events.SNSEvent) error {
	var failed error
	for _, r := range ev.Records {
		evs, err := media.FromSNSMessage(r.SNS.Message)
		if errors.Is(err, media.ErrTestEvent) {
			t.opts.Logger.InfoContext(ctx, "s3:TestEvent ignored", slog.String("sns_message_id", r.SNS.MessageID))
			continue
		}
		if err != nil {
			t.opts.Logger.ErrorContext(ctx, "malformed SNS message", slog.String("sns_message_id", r.SNS.MessageID), slog.Any("error", err))
			t.count(ctx, MetricBadEvents, 1)
			failed = errors.Join(failed, err)
			continue
		}
		for _, e := range evs {
			if _, err := t.Process(ctx, e); err != nil {
				failed = errors.Join(failed, err)
			}
		}
	}
	return failed
}

// HandleEventBridge processes an S3 event delivered by EventBridge.
func (t *Thumbnailer) HandleEventBridge(ctx context.Context, ev events.CloudWatchEvent) error {
	e, err := media.FromEventBridge(ev)
	if err != nil {
		t.opts.Logger.ErrorContext(ctx, "malformed EventBridge event", slog.Any("error", err))
		t.count(ctx, MetricBadEvents, 1)
		return err
	}
	_, err = t.Process(ctx, e)
	return err
}

// Invoke is the Lambda entry point for every wiring (SQS, S3, SNS,
// EventBridge): it tells the payload
// shapes apart (see [DetectShape]) and returns the SQS batch response for
// SQS payloads and null otherwise.
func (t *Thumbnailer) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	switch media.DetectShape(payload) {
	case media.ShapeSQS:
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, &media.EventError{Reason: "undecodable SQS event", Err: err}
		}
		return t.HandleSQS(ctx, ev)
	case media.ShapeS3:
		var ev events.S3Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, &media.EventError{Reason: "undecodable S3 event", Err: err}
		}
		return nil, t.HandleS3(ctx, ev)
	case media.ShapeSNS:
		var ev events.SNSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, &media.EventError{Reason: "undecodable SNS event", Err: err}
		}
		return nil, t.HandleSNS(ctx, ev)
	case media.ShapeEventBridge:
		var ev events.CloudWatchEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, &media.EventError{Reason: "undecodable EventBridge event", Err: err}
		}
		return nil, t.HandleEventBridge(ctx, ev)
	}
	return nil, &media.EventError{Reason: fmt.Sprintf("unrecognised payload of %d bytes", len(payload))}
}
