package idempotencytest

import (
	"log/slog"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// skewed returns a Guard over e's store whose clock runs off behind (off <
// 0) or ahead of e's clock.
func (e *env) skewed(off time.Duration, opts idempotency.Options) *idempotency.Guard {
	opts.Clock = func() time.Time { return e.clock.Now().Add(off) }
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
}
