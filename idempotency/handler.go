package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// KeyFunc extracts the idempotency key from a handler's input. It returns
// [ErrMissingKey] (possibly wrapped) when the input carries none. The
// extractors in this package ([S3Key], [SQSKey], [EventBridgeKey],
// [APIGatewayKey], ...) are KeyFuncs.
type KeyFunc[T any] func(T) (string, error)

// PayloadFunc returns the bytes of an input whose hash detects a key reused
// with a different payload ([PayloadMismatchError]): what makes two inputs
// with one key "the same request". It must leave out whatever differs
// between deliveries of one input (receipt handles, receive counts, trace
// ids), or genuine redeliveries fail as mismatches. [Payload] is the
// default, with a documented choice per event source; [SQSBody] and
// [SQSBodyFields] narrow it for SQS.
type PayloadFunc[T any] func(T) ([]byte, error)

// Handler guards an aws-lambda-go handler h: each input runs h at most once
// per key, as [Guard.Do] describes, and a duplicate returns the stored output.
// Outputs are stored as JSON, so TOut must round-trip through encoding/json.
//
// The payload whose hash detects a reused key is [Payload] of the input
// ([HandlerWithPayload] chooses another). When
// key reports [ErrMissingKey] (or an empty key), the returned function fails
// with an error matching ErrMissingKey, or calls h unguarded if
// Options.AllowMissingKey is set (see [Guard.CheckKey]).
//
// When h succeeds but its output cannot be recorded (a *[NotRecordedError]
// from Do), the returned function still returns h's output and a nil error:
// the work is done, and an error would make Lambda retry it. Do logs the
// cause at Warn or Error. Call [Guard.Do] directly to see the error. When
// the cause was an output too large for the store, a duplicate of that
// input returns the zero TOut and a *[ResultNotStoredError] (the work was
// done; there is no output to give): h does not run again. A key that
// [Guard.Do] completed with an empty result (another path to the same
// events, such as a batch processor of [SQSS3Keys]' records) replays as the
// zero TOut and a nil error.
//
// The result has the signature aws-lambda-go's lambda.Start accepts:
//
//	lambda.Start(idempotency.Handler(g, idempotency.EventBridgeKey, handle))
func Handler[TIn, TOut any](g *Guard, key KeyFunc[TIn], h func(context.Context, TIn) (TOut, error)) func(context.Context, TIn) (TOut, error) {
	return HandlerWithPayload(g, key, nil, h)
}

// HandlerWithPayload is [Handler] with a choice of what is hashed for
// payload validation: payload (nil means [Payload]).
//
//	lambda.Start(idempotency.HandlerWithPayload(g, orderKey, idempotency.SQSBodyFields("order.id", "amount"), handle))
func HandlerWithPayload[TIn, TOut any](g *Guard, key KeyFunc[TIn], payload PayloadFunc[TIn], h func(context.Context, TIn) (TOut, error)) func(context.Context, TIn) (TOut, error) {
	if payload == nil {
		payload = func(in TIn) ([]byte, error) { return Payload(in) }
	}
	return func(ctx context.Context, in TIn) (TOut, error) {
		var out TOut
		k, err := key(in)
		guarded, err := g.CheckKey(ctx, k, err)
		if err != nil {
			return out, err
		}
		if !guarded {
			return h(ctx, in)
		}
		p, err := payload(in)
		if err != nil {
			return out, err
		}
		ran := false
		res, err := g.Do(ctx, k, p, func(ctx context.Context) ([]byte, error) {
			o, err := h(ctx, in)
			if err != nil {
				out = o
				return nil, err
			}
			b, err := json.Marshal(o)
			if err != nil {
				return nil, fmt.Errorf("idempotency: encode handler output: %w", err)
			}
			out, ran = o, true
			return b, nil
		})
		if ran && errors.Is(err, ErrNotRecorded) {
			// h succeeded: returning the error would make Lambda (or the
			// event source) retry a side effect that happened. The engine
			// has logged why the result was not recorded.
			return out, nil
		}
		if ran || err != nil {
			return out, err
		}
		if len(res) == 0 {
			// Completed by a Guard.Do with no result (a batch processor, or
			// the queued path of the same S3 events, see SQSS3Keys): done,
			// with nothing to decode.
			return out, nil
		}
		if err := json.Unmarshal(res, &out); err != nil {
			return out, fmt.Errorf("idempotency: decode stored output: %w", err)
		}
		return out, nil
	}
}

// CheckKey decides, as [Handler] does, what to do with an input whose key
// function returned key and keyErr. Code that runs inputs under [Guard.Do]
// itself (such as a batch processor) calls it to treat a missing key the way
// Handler does:
//
//   - a non-empty key and a nil keyErr: guarded is true, run under Do;
//   - a missing key (keyErr matches [ErrMissingKey], or key is empty) with
//     Options.AllowMissingKey set: guarded is false and err nil, run the
//     input unguarded; the decision is logged at Info;
//   - a missing key without AllowMissingKey: err matches ErrMissingKey and
//     says that AllowMissingKey is off;
//   - any other keyErr: err is keyErr.
func (g *Guard) CheckKey(ctx context.Context, key string, keyErr error) (guarded bool, err error) {
	switch {
	case keyErr == nil && key != "":
		return true, nil
	case keyErr == nil:
		keyErr = ErrMissingKey
	case !errors.Is(keyErr, ErrMissingKey):
		return false, keyErr
	}
	if !g.opts.AllowMissingKey {
		return false, fmt.Errorf("%w (inputs without a key are refused: Options.AllowMissingKey is off)", keyErr)
	}
	g.log.LogAttrs(ctx, slog.LevelInfo, "idempotency: no key, running unguarded",
		slog.String("namespace", g.opts.Namespace), slog.String("reason", keyErr.Error()))
	return false, nil
}
