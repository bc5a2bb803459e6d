package thumbnailer

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"

	"golang.org/x/sync/semaphore"
)

// DefaultMemoryBudget is the budget for image work when
// Options.MemoryBudget is zero and the process has no soft
// memory limit: with one (GOMEMLIMIT, or debug.SetMemoryLimit), the
// budget is half of it, leaving the rest to the Go runtime, buffers and the
// collector's headroom.
const DefaultMemoryBudget = 512 << 20

// defaultMemoryBudget is half the process's soft memory limit, or
// DefaultMemoryBudget without one.
func defaultMemoryBudget() int64 {
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		return max(l/2, 32<<20)
	}
	return DefaultMemoryBudget
}

// admission admits image work by its estimated memory: the source bytes
// plus [imaging.MemoryEstimate]. Work waits (under its context) until its
// weight fits in what is left of the budget, so concurrent uploads cannot
// together exhaust the process, whatever the platform runs them on (Lambda
// runs one per process; rampart dev several per worker pool). Work heavier
// than the whole budget runs alone.
type admission struct {
	budget int64
	sem    *semaphore.Weighted
}

func newAdmission(budget int64) *admission {
	return &admission{budget: budget, sem: semaphore.NewWeighted(budget)}
}

// acquire waits until need bytes are available and returns the function
// that gives them back, or ctx's error if it ends first (a transient
// failure: the event is retried).
func (a *admission) acquire(ctx context.Context, log *slog.Logger, need int64) (release func(), err error) {
	w := min(need, a.budget)
	if !a.sem.TryAcquire(w) {
		log.InfoContext(ctx, "waiting for memory for image work",
			slog.Int64("memory_estimate_bytes", need), slog.Int64("memory_budget_bytes", a.budget))
		if err := a.sem.Acquire(ctx, w); err != nil {
			return nil, err
		}
	}
	return func() { a.sem.Release(w) }, nil
}
