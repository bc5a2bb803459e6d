package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

// A holder whose context has no deadline must not work past its lease: the
// next delivery may take over once the lease ends.
func TestGuard_FunctionContextEndsWithLease(t *testing.T) {
	store := memstore.New(nil)
	g := idempotency.New(store, &idempotency.Options{DefaultLease: 50 * time.Millisecond})
	var fnDeadline time.Time
	_, err := g.Do(context.Background(), "k", nil, func(ctx context.Context) ([]byte, error) {
		dl, ok := ctx.Deadline()
		if !ok {
			t.Fatal("function context has no deadline; want the lease's end")
		}
		fnDeadline = dl
		// The lease outlasts the function's context by the skew margin.
		rec, err := store.Get(ctx, g.StoreKey("k"))
		if err != nil {
			t.Fatal(err)
		}
		if d := rec.InProgressExpiry.Sub(dl); d < idempotency.DefaultSkewMargin-10*time.Millisecond || d > idempotency.DefaultSkewMargin+10*time.Millisecond {
			t.Errorf("lease ends %v after the function's deadline; want the skew margin (%v)", d, idempotency.DefaultSkewMargin)
		}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v; want the function's context.DeadlineExceeded unchanged", err)
	}
	if d := time.Until(fnDeadline); d > 0 {
		t.Errorf("function deadline still %v away after it ended", d)
	}

	// With a deadline of its own, the function gets the caller's context as is.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	want, _ := ctx.Deadline()
	_, err = g.Do(ctx, "k2", nil, func(fctx context.Context) ([]byte, error) {
		if dl, _ := fctx.Deadline(); !dl.Equal(want) {
			t.Errorf("function deadline %v; want the caller's %v", dl, want)
		}
		return []byte("ok"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// getTimes is a Store that records when Get is called.
type getTimes struct {
	idempotency.Store
	mu    sync.Mutex
	times []time.Time
}

func (s *getTimes) Get(ctx context.Context, key string) (idempotency.Record, error) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	s.mu.Unlock()
	return s.Store.Get(ctx, key)
}

// A waiting duplicate reads the record with an exponential backoff from
// PollInterval, bounded by MaxPollFactor × PollInterval.
func TestGuard_WaitBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memstore.New(nil)
		quiet := slog.New(slog.DiscardHandler)
		g := idempotency.New(store, &idempotency.Options{Logger: quiet})
		started := make(chan struct{})
		go g.Do(t.Context(), "k", nil, func(context.Context) ([]byte, error) {
			close(started)
			time.Sleep(3 * time.Second)
			return []byte("done"), nil
		})
		<-started
		gt := &getTimes{Store: store}
		w := idempotency.New(gt, &idempotency.Options{Logger: quiet, WaitForResult: true})
		start := time.Now()
		res, err := w.Do(t.Context(), "k", nil, func(context.Context) ([]byte, error) { return nil, errors.New("ran") })
		if err != nil || string(res) != "done" {
			t.Fatalf("waiter: %q, %v", res, err)
		}
		var gaps []time.Duration
		prev := start
		for _, at := range gt.times {
			gaps = append(gaps, at.Sub(prev))
			prev = at
		}
		want := []time.Duration{50, 100, 200, 400, 800, 800, 800}
		for i := range want {
			want[i] *= time.Millisecond
		}
		if fmt.Sprint(gaps) != fmt.Sprint(want) {
			t.Errorf("waits between reads %v; want %v", gaps, want)
		}
	})
}

// A per-call replay hook belongs to its call: a Guard.Do nested in the
// guarded function (an endpoint that calls another idempotent step) must not
// fire the outer call's hook when the nested call replays, while a hook set
// on the function's own context does fire.
func TestGuard_ReplayHookNotInherited(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	g := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: quiet})
	step := func(context.Context) ([]byte, error) { return []byte("step done"), nil }
	if _, err := g.Do(t.Context(), "step", nil, step); err != nil { // the nested call will replay
		t.Fatal(err)
	}
	var outer, inner []string
	ctx := idempotency.WithReplayHook(t.Context(), func(r idempotency.Replay) { outer = append(outer, r.From) })
	res, err := g.Do(ctx, "endpoint", nil, func(fctx context.Context) ([]byte, error) {
		if _, err := g.Do(fctx, "step", nil, step); err != nil { // a replay, no hook of its own
			return nil, err
		}
		fctx = idempotency.WithReplayHook(fctx, func(r idempotency.Replay) { inner = append(inner, r.From) })
		return g.Do(fctx, "step", nil, step) // a replay with its own hook
	})
	if err != nil || string(res) != "step done" {
		t.Fatalf("Do = %q, %v", res, err)
	}
	if len(outer) != 0 {
		t.Errorf("the outer call's hook fired %v for replays of nested calls; want it silent (the outer call ran)", outer)
	}
	if fmt.Sprint(inner) != "[store]" {
		t.Errorf("the nested call's own hook saw %v; want [store]", inner)
	}
	// The outer call's replay still fires its hook.
	if _, err := g.Do(ctx, "endpoint", nil, step); err != nil || fmt.Sprint(outer) != "[store]" {
		t.Errorf("replay of the outer call: %v, hook saw %v; want [store]", err, outer)
	}
}

// failSmallComplete is a Store whose Complete refuses every result over
// limit as too large, and fails every other one as unavailable: a store
// that goes down just after refusing a large result.
type failSmallComplete struct {
	idempotency.Store
	limit int
}

var errUnavailable = errors.New("store unavailable (injected)")

func (s failSmallComplete) Complete(ctx context.Context, rec idempotency.Record) error {
	if len(rec.Result) > s.limit {
		return &idempotency.ResultTooLargeError{Size: len(rec.Result), Limit: s.limit}
	}
	return errUnavailable
}

// When the completion without the result fails too, the record is held
// INPROGRESS as after any failed Complete (duplicates wait for the lease,
// none runs the function at once), and the error wraps both causes.
func TestGuard_resultTooLargeAndStoreFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // Complete's backoff without real sleeping
		store := memstore.New(nil)
		g := idempotency.New(failSmallComplete{Store: store, limit: 4}, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		res, err := g.Do(ctx, "k", nil, func(context.Context) ([]byte, error) { return []byte("too large"), nil })
		nr, ok := errors.AsType[*idempotency.NotRecordedError](err)
		if !ok || !nr.Held || string(res) != "too large" || !errors.Is(err, errUnavailable) || !errors.As(err, new(*idempotency.ResultTooLargeError)) {
			t.Fatalf("Do = %q, %v; want the result and a held *NotRecordedError wrapping *ResultTooLargeError and the store's error", res, err)
		}
		if rec, err := store.Get(ctx, g.StoreKey("k")); err != nil || rec.Status != idempotency.StatusInProgress {
			t.Errorf("record %+v, %v; want it held INPROGRESS", rec, err)
		}
		if _, err := g.Do(t.Context(), "k", nil, func(context.Context) ([]byte, error) { return nil, errors.New("ran again") }); !errors.Is(err, idempotency.ErrInProgress) {
			t.Errorf("duplicate: %v; want ErrInProgress", err)
		}
	})
}
