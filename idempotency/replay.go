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
// parent context is replaced, not chained; a nil fn removes it.
//
// The hook belongs to the one call: the context Do gives the guarded
// function does not carry it, so Guard.Do calls made inside the function
// (on this Guard or another) do not fire it. Set a hook on the function's
// context for those.
func WithReplayHook(ctx context.Context, fn func(Replay)) context.Context {
	return context.WithValue(ctx, replayHookKey{}, fn)
}

// withoutReplayHook returns ctx without its per-call replay hook, for the
// guarded function: ctx itself when it has none.
func withoutReplayHook(ctx context.Context) context.Context {
	if fn, _ := ctx.Value(replayHookKey{}).(func(Replay)); fn == nil {
		return ctx
	}
	return context.WithValue(ctx, replayHookKey{}, (func(Replay))(nil))
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
