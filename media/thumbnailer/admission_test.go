package thumbnailer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAdmission holds concurrent work to the budget: of 8 goroutines
// needing 40 of a budget of 100, at most two run at once, and work needing
// more than the whole budget still runs, alone.
func TestAdmission(t *testing.T) {
	a := newAdmission(100)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var running, most atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			release, err := a.acquire(context.Background(), log, 40)
			if err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			release()
		})
	}
	wg.Wait()
	if most.Load() != 2 {
		t.Errorf("at most %d ran at once, want 2", most.Load())
	}
	release, err := a.acquire(context.Background(), log, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// While it runs, nothing else is admitted; a deadline ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := a.acquire(ctx, log, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("acquire while the budget is used: %v, want the context's deadline", err)
	}
	release()
	if release, err := a.acquire(context.Background(), log, 100); err != nil {
		t.Errorf("after release: %v", err)
	} else {
		release()
	}
}

func TestDefaultMemoryBudget(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	debug.SetMemoryLimit(math.MaxInt64)
	if got := defaultMemoryBudget(); got != DefaultMemoryBudget {
		t.Errorf("without a memory limit: %d, want %d", got, DefaultMemoryBudget)
	}
	debug.SetMemoryLimit(1 << 30)
	if got := defaultMemoryBudget(); got != 512<<20 {
		t.Errorf("under a 1 GiB limit: %d, want half", got)
	}
	debug.SetMemoryLimit(10 << 20)
	if got := defaultMemoryBudget(); got != 32<<20 {
		t.Errorf("under a 10 MiB limit: %d, want the 32 MiB floor", got)
	}
}
