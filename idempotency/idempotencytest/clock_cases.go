package idempotencytest

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// skewed returns a Guard over e's store whose clock runs off behind (off <
// 0) or ahead of e's clock.
func (e *env) skewed(off time.Duration, opts idempotency.Options) *idempotency.Guard {
	opts.Now = func() time.Time { return e.clock.Now().Add(off) }
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Namespace == "" {
		opts.Namespace = "suite"
	}
	return idempotency.New(e.store, &opts)
}

var clockCases = []testCase{
	{
		name: "ClockFarFromServer",
		rule: "liveness and expiry follow the Guard's clock alone: with a clock hours behind or ahead of the store server's (an injected clock, or a skew beyond Expiry), records are kept for Expiry and a duplicate replays",
		run: func(t *testing.T, e *env) {
			for _, off := range []time.Duration{-3 * time.Hour, 3 * time.Hour} {
				g, c := e.skewed(off, idempotency.Options{}), &counter{}
				key := "k" + off.String()
				first := mustDo(t, g, t.Context(), key, []byte("p"), c.fn)
				second, err := g.Do(t.Context(), key, []byte("p"), c.fn)
				if err != nil || string(second) != string(first) || c.n.Load() != 1 {
					t.Errorf("clock %v off: first %q, then %q, %v after %d runs; want the first result replayed after 1 run", off, first, second, err, c.n.Load())
				}
			}
		},
	},
	{
		name: "SkewedHolderBehind",
		rule: "a holder whose clock runs behind (30 s, within SkewMargin) is not taken over while its function may run; after its deadline plus the margin by its own clock, the next delivery takes over",
		run: func(t *testing.T, e *env) {
			opts := idempotency.Options{SkewMargin: time.Minute}
			holderG, dup, c := e.skewed(-30*time.Second, opts), e.skewed(0, opts), &counter{}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // 10 s of lease left
			defer cancel()
			release, done := holder(ctx, holderG, "k", []byte("holder"), nil)
			_, err := dup.Do(t.Context(), "k", []byte("payload"), c.fn)
			ipe, ok := errors.AsType[*idempotency.InProgressError](err)
			if !ok || c.n.Load() != 0 {
				t.Fatalf("duplicate during the lease of a holder 30 s behind: %v after %d runs; want *InProgressError", err, c.n.Load())
			}
			if ipe.RetryAfter < 35*time.Second || ipe.RetryAfter > 41*time.Second {
				t.Errorf("RetryAfter %v; want the lease's end by the holder's clock (-20 s) plus the margin (60 s)", ipe.RetryAfter)
			}
			e.clock.Advance(35 * time.Second) // past the real deadline, within the margin
			if _, err := dup.Do(t.Context(), "k", []byte("payload"), c.fn); !errors.Is(err, idempotency.ErrInProgress) {
				t.Errorf("within the margin: %v; want ErrInProgress", err)
			}
			e.clock.Advance(6 * time.Second) // lease end + margin passed
			if res := mustDo(t, dup, t.Context(), "k", []byte("payload"), c.fn); string(res) != "result of run 1" {
				t.Errorf("after the margin: %q; want a takeover", res)
			}
			close(release)
			if r := <-done; !errors.Is(r.err, idempotency.ErrFenced) {
				t.Errorf("late holder: %v; want ErrFenced", r.err)
			}
		},
	},
	{
		name: "SkewedHolderAhead",
		rule: "a holder whose clock runs ahead (30 s) is not taken over before its deadline plus SkewMargin by its own clock; then it is",
		run: func(t *testing.T, e *env) {
			opts := idempotency.Options{SkewMargin: 5 * time.Second}
			holderG, dup, c := e.skewed(30*time.Second, opts), e.skewed(0, opts), &counter{}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			release, done := holder(ctx, holderG, "k", []byte("holder"), nil)
			e.clock.Advance(44 * time.Second) // lease end by the holder's clock is +40 s
			if _, err := dup.Do(t.Context(), "k", []byte("payload"), c.fn); !errors.Is(err, idempotency.ErrInProgress) || c.n.Load() != 0 {
				t.Fatalf("before the lease end plus margin: %v after %d runs; want ErrInProgress", err, c.n.Load())
			}
			e.clock.Advance(2 * time.Second)
			if res := mustDo(t, dup, t.Context(), "k", []byte("payload"), c.fn); string(res) != "result of run 1" {
				t.Errorf("after the lease end plus margin: %q; want a takeover", res)
			}
			close(release)
			<-done
		},
	},
}
