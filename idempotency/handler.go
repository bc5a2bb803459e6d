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

// Handler guards an aws-lambda-go handler h: each input runs h at most once
// per key, as [Guard.Do] describes, and a duplicate returns the stored output.
// Outputs are stored as JSON, so TOut must round-trip through encoding/json.
//
// The payload whose hash detects a reused key is [Payload] of the input. When
// key reports [ErrMissingKey], the returned function fails with that error,
// or calls h unguarded if Options.AllowMissingKey is set.
//
// The result has the signature aws-lambda-go's lambda.Start accepts:
//
//	lambda.Start(idempotency.Handler(g, idempotency.EventBridgeKey, handle))
func Handler[TIn, TOut any](g *Guard, key KeyFunc[TIn], h func(context.Context, TIn) (TOut, error)) func(context.Context, TIn) (TOut, error) {
	return func(ctx context.Context, in TIn) (TOut, error) {
		var out TOut
		k, err := key(in)
		if err == nil && k == "" {
			err = ErrMissingKey
		}
		if err != nil {
			if errors.Is(err, ErrMissingKey) && g.opts.AllowMissingKey {
				g.log.LogAttrs(ctx, slog.LevelInfo, "idempotency: no key, running unguarded", slog.String("namespace", g.opts.Namespace))
				return h(ctx, in)
			}
			return out, err
		}
		payload, err := Payload(in)
		if err != nil {
			return out, err
		}
		ran := false
		res, err := g.Do(ctx, k, payload, func(ctx context.Context) ([]byte, error) {
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
		if ran || err != nil {
			return out, err
		}
		if err := json.Unmarshal(res, &out); err != nil {
			return out, fmt.Errorf("idempotency: decode stored output: %w", err)
		}
		return out, nil
	}
}
