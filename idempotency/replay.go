package idempotency

import "context"

// Replay describes a duplicate that got a stored result instead of running
// the guarded function. Hooks receive it ([Options.OnReplay],
// [WithReplayHook]).
type Replay struct {
	KeyHash string // hash of the idempotency key, safe to log
	// From says where the result came from: "store", "cache" (the Guard's
	// result cache) or "wait" (the store, after waiting for the holder).
	From string
}

type replayHookKey struct{}

// WithReplayHook returns a context that makes [Guard.Do] (and [Handler])
// call fn when the call replays a stored result, after Options.OnReplay.
// It is per call, as net/http/httptrace's hooks are, so that an adapter can
// mark its own response as a replay (a header, a metric) without owning
// the Guard's options:
//
//	replayed := false
//	ctx = idempotency.WithReplayHook(ctx, func(idempotency.Replay) { replayed = true })
//	res, err := g.Do(ctx, key, payload, fn)
//
// fn runs on the calling goroutine, before Do returns. A hook set on a
// parent context is replaced, not chained.
func WithReplayHook(ctx context.Context, fn func(Replay)) context.Context {
	return context.WithValue(ctx, replayHookKey{}, fn)
}

// replayed calls the hooks for a replay of kh.
func (g *Guard) replayed(ctx context.Context, kh, from string) {
	r := Replay{KeyHash: kh, From: from}
	if g.opts.OnReplay != nil {
		g.opts.OnReplay(ctx, r)
	}
	if fn, ok := ctx.Value(replayHookKey{}).(func(Replay)); ok && fn != nil {
		fn(r)
	}
}
