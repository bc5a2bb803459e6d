// Package middleware wraps an aws-lambda-go handler with the Rampart Lambda
// toolkit in one call: structured logging with the Lambda context (package
// logging), CloudWatch EMF metrics flushed at the end of each invocation
// (package metrics), and a deadline guard.
//
//	logger := logging.New(nil)
//	slog.SetDefault(logger)
//	rec, _ := metrics.New(os.Stdout, &metrics.Options{Namespace: "Orders"})
//	lambda.Start(middleware.Wrap(handle, &middleware.Options{Logger: logger, Metrics: rec}))
//
// The wrapped handler is typed: Wrap[TIn, TOut] takes the same
// func(context.Context, TIn) (TOut, error) that lambda.Start does, checked at
// compile time. Batch handlers (package batch) and idempotent handlers
// (idempotency.Handler) are such functions, so they compose by nesting:
//
//	middleware.Wrap(batch.SQSHandler(process, &batch.Options[events.SQSMessage]{Guard: g}), opts)
//
// # Deadline guard
//
// Lambda stops a function that reaches its timeout wherever it is, possibly
// halfway through a write, and an idempotency record stays INPROGRESS until
// its lease ends. The guard cancels the handler's context Options.TimeoutMargin
// ([DefaultTimeoutMargin]) before the deadline, with cause
// [ErrTimeoutImminent] (ctx.Err() is context.DeadlineExceeded, as for any
// deadline, in contexts derived from it too). It first logs a WARN record
// "timeout imminent" with remaining_ms, margin_ms and deadline, and only
// then ends the context, so the warning comes before every line the
// cancellation causes. A handler that honours its context then returns in
// time: the idempotency engine releases its record, the batch package
// reports unstarted records for retry, metrics are flushed.
package middleware
