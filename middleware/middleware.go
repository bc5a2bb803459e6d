package middleware

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/metrics"
)

// DefaultTimeoutMargin is how long before the Lambda deadline the deadline
// guard cancels the handler's context, unless Options.TimeoutMargin says
// otherwise. Half a second leaves room, after the handler sees the
// cancellation, for what must still happen: the idempotency engine releasing
// its record (one store round trip, with retries), the metrics flush, the
// last log lines and the runtime API's response, while costing little of a
// typical 3 to 30 second timeout. The margin never exceeds a quarter of the
// time the invocation had when it started, so short timeouts keep most of
// their budget.
const DefaultTimeoutMargin = 500 * time.Millisecond

// ErrTimeoutImminent is the cause (context.Cause) of the handler's context
// when the deadline guard cancelled it. ctx.Err() is then
// context.DeadlineExceeded, as for any deadline.
var ErrTimeoutImminent = errors.New("middleware: Lambda timeout imminent")

// Options configures [Wrap]. A nil *Options selects the defaults.
type Options struct {
	// Logger receives the middleware's own records ("timeout imminent",
	// "invocation failed"). Nil means logging.New(nil): JSON on standard
	// output. When its handler is a *logging.Handler (logging.New and
	// logging.NewJSONHandler build one), Wrap starts each invocation on
	// that handler, so the handler's records logged through the context the
	// handler gets carry the invocation's attributes (request id, cold start,
	// correlation id). Any other handler is wrapped in
	// logging.NewHandler(handler, nil) for the middleware's records; the
	// caller's own logger then does not see the invocation.
	Logger *slog.Logger

	// Metrics, when set, gives every invocation a metrics.Set (reach it with
	// metrics.FromContext) that is flushed when the handler returns, panics
	// or times out. Nil means no metrics.
	Metrics *metrics.Recorder

	// TimeoutMargin is how long before the deadline the handler's context is
	// cancelled. Zero means DefaultTimeoutMargin; a negative value turns the
	// deadline guard off.
	TimeoutMargin time.Duration

	// LambdaOptions are passed to lambda.NewHandlerWithOptions, which decodes
	// the event and encodes the response.
	LambdaOptions []lambda.Option
}

// Handler is a wrapped handler: an aws-lambda-go [lambda.Handler], to pass to
// lambda.Start.
type Handler struct {
	inner   lambda.Handler
	log     *logging.Handler
	logger  *slog.Logger
	metrics *metrics.Recorder
	margin  time.Duration
}

var _ lambda.Handler = (*Handler)(nil)

// Wrap returns h wrapped with the toolkit: for every invocation it starts the
// logging context (request id, cold start, trace and correlation ids), a
// metrics Set when Options.Metrics is set, and the deadline guard; then it
// decodes the event, calls h, and encodes its result exactly as
// lambda.Start(h) would. Start it with
//
//	lambda.Start(middleware.Wrap(h, opts))
//
// To make h idempotent, wrap it with the engine first, so that the guard's
// cancellation releases its record cleanly:
//
//	middleware.Wrap(idempotency.Handler(guard, idempotency.SQSKey, h), opts)
func Wrap[TIn, TOut any](h func(context.Context, TIn) (TOut, error), opts *Options) *Handler {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = logging.New(nil)
	}
	lh, ok := o.Logger.Handler().(*logging.Handler)
	if !ok {
		lh = logging.NewHandler(o.Logger.Handler(), nil)
	}
	if o.TimeoutMargin == 0 {
		o.TimeoutMargin = DefaultTimeoutMargin
	}
	return &Handler{
		inner:   lambda.NewHandlerWithOptions(h, o.LambdaOptions...),
		log:     lh,
		logger:  slog.New(lh),
		metrics: o.Metrics,
		margin:  o.TimeoutMargin,
	}
}

// Invoke runs one invocation of the wrapped handler with payload, the raw
// event.
func (w *Handler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	ctx = w.log.Start(ctx, payload)
	if w.metrics != nil {
		var set *metrics.Set
		ctx, set = w.metrics.Start(ctx)
		defer func() {
			if ferr := set.Flush(); ferr != nil {
				w.logger.LogAttrs(ctx, slog.LevelError, "metrics flush failed", slog.String("error", ferr.Error()))
			}
		}()
	}
	ctx, stop := w.guard(ctx)
	defer stop()
	defer func() {
		if v := recover(); v != nil {
			w.logger.LogAttrs(ctx, slog.LevelError, "handler panicked", slog.String("panic", fmt.Sprint(v)))
			panic(v) // the runtime reports it and ends the process
		}
	}()
	out, err = w.inner.Invoke(ctx, payload)
	if err != nil {
		w.logger.LogAttrs(ctx, slog.LevelError, "invocation failed",
			slog.String("error", err.Error()), slog.String("error_type", fmt.Sprintf("%T", err)))
		return nil, err
	}
	// The bytes may belong to aws-lambda-go's buffer pool, which another
	// concurrent invocation can reuse as soon as Invoke returns.
	return bytes.Clone(out), nil
}

// guard returns ctx ending w.margin before its deadline (with cause
// ErrTimeoutImminent), and the function to call when the handler has
// returned. "timeout imminent" is logged before the context ends.
func (w *Handler) guard(ctx context.Context) (context.Context, func()) {
	deadline, ok := ctx.Deadline()
	if !ok || w.margin < 0 {
		return ctx, func() {}
	}
	margin := min(w.margin, time.Until(deadline)/4)
	warn := func() {
		w.logger.LogAttrs(ctx, slog.LevelWarn, "timeout imminent",
			slog.Int64("remaining_ms", time.Until(deadline).Milliseconds()),
			slog.Int64("margin_ms", margin.Round(time.Millisecond).Milliseconds()),
			slog.Time("deadline", deadline))
	}
	return newGuardContext(ctx, deadline.Add(-margin), warn)
}
