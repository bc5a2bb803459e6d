package idempotencytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// guard returns a Guard over e's store driven by e's clock, with opts
// applied on top.
func (e *env) guard(opts idempotency.Options) *idempotency.Guard {
	return e.guardOver(e.store, opts)
}

// guardOver is [env.guard] over store, a wrapper of e's store.
func (e *env) guardOver(store idempotency.Store, opts idempotency.Options) *idempotency.Guard {
	opts.Now = e.clock.Now
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Namespace == "" {
		opts.Namespace = "suite"
	}
	return idempotency.New(store, &opts)
}

// onConflict is a Store that calls fn once, after the first Acquire that
// returns a *ConflictError.
type onConflict struct {
	idempotency.Store
	once sync.Once
	fn   func()
}

func (s *onConflict) Acquire(ctx context.Context, rec idempotency.Record, now time.Time) error {
	err := s.Store.Acquire(ctx, rec, now)
	if _, ok := errors.AsType[*idempotency.ConflictError](err); ok {
		s.once.Do(s.fn)
	}
	return err
}

// counter is a guarded function that counts its runs and returns a result
// naming the run.
type counter struct{ n atomic.Int64 }

func (c *counter) fn(_ context.Context) ([]byte, error) {
	return fmt.Appendf(nil, "result of run %d", c.n.Add(1)), nil
}

// mustDo calls g.Do or fails t, and returns the result.
func mustDo(t testing.TB, g *idempotency.Guard, ctx context.Context, key string, payload []byte, fn func(context.Context) ([]byte, error)) []byte {
	t.Helper()
	res, err := g.Do(ctx, key, payload, fn)
	if err != nil {
		t.Fatalf("Do(%q): %v", key, err)
	}
	return res
}

// holder starts g.Do(ctx, key) in a goroutine whose function blocks until
// release is closed, and returns once the function is running.
func holder(ctx context.Context, g *idempotency.Guard, key string, result []byte, fnErr error) (release chan struct{}, done chan doResult) {
	release, done, started := make(chan struct{}), make(chan doResult, 1), make(chan struct{})
	go func() {
		res, err := g.Do(ctx, key, []byte("payload"), func(context.Context) ([]byte, error) {
			close(started)
			<-release
			return result, fnErr
		})
		done <- doResult{res, err}
	}()
	select {
	case <-started:
	case r := <-done: // Do failed before running the function
		done <- r
	}
	return release, done
}

// flakyComplete is a Store whose Complete fails with errUnavailable the
// first failures times (without reaching the store), as a store that is
// briefly unreachable does.
type flakyComplete struct {
	idempotency.Store
	failures atomic.Int64
	calls    atomic.Int64
}

var errUnavailable = errors.New("store unavailable (injected)")

func (s *flakyComplete) Complete(ctx context.Context, rec idempotency.Record) error {
	s.calls.Add(1)
	if s.failures.Add(-1) >= 0 {
		return errUnavailable
	}
	return s.Store.Complete(ctx, rec)
}

// afterGets is a Store that calls fn once, after its n-th Get.
type afterGets struct {
	idempotency.Store
	n    int64
	gets atomic.Int64
	fn   func()
}

func (s *afterGets) Get(ctx context.Context, key string) (idempotency.Record, error) {
	rec, err := s.Store.Get(ctx, key)
	if s.gets.Add(1) == s.n {
		s.fn()
	}
	return rec, err
}

type doResult struct {
	res []byte
	err error
}

var guardCases = []testCase{
	{
		name: "FirstRunAndReplay",
		rule: "the first delivery runs the function and stores its result; a duplicate replays it without running the function",
		run: func(t *testing.T, e *env) {
			g, c := e.guard(idempotency.Options{}), &counter{}
			first := mustDo(t, g, t.Context(), "order-1", []byte("payload"), c.fn)
			e.clock.Advance(time.Minute)
			second := mustDo(t, g, t.Context(), "order-1", []byte("payload"), c.fn)
			if !bytes.Equal(first, second) || c.n.Load() != 1 {
				t.Errorf("results %q then %q after %d runs; want the first result replayed after 1 run", first, second, c.n.Load())
			}
			rec := mustGet(t, e, g.StoreKey("order-1"))
			if rec.Status != idempotency.StatusCompleted || !bytes.Equal(rec.Result, first) {
				t.Errorf("stored record %s %q; want COMPLETED %q", rec.Status, rec.Result, first)
			}
			if !sameTime(rec.Expiry, e.clock.Now().Add(idempotency.DefaultExpiry-time.Minute)) {
				t.Errorf("completed record expires at %v; want the default expiry after completion", rec.Expiry)
			}
		},
	},
	{
		name: "PayloadMismatch",
		rule: "a key reused with a different payload is a *PayloadMismatchError, completed or in progress, and the function does not run",
		run: func(t *testing.T, e *env) {
			g, c := e.guard(idempotency.Options{}), &counter{}
			mustDo(t, g, t.Context(), "k", []byte("payload A"), c.fn)
			_, err := g.Do(t.Context(), "k", []byte("payload B"), c.fn)
			var pm *idempotency.PayloadMismatchError
			if !errors.As(err, &pm) || !errors.Is(err, idempotency.ErrPayloadMismatch) || pm.Status != idempotency.StatusCompleted {
				t.Errorf("Do with another payload: %v; want *PayloadMismatchError on a COMPLETED record", err)
			}
			release, done := holder(t.Context(), g, "k2", []byte("r"), nil)
			if _, err := g.Do(t.Context(), "k2", []byte("payload B"), c.fn); !errors.Is(err, idempotency.ErrPayloadMismatch) {
				t.Errorf("Do with another payload while in progress: %v; want ErrPayloadMismatch", err)
			}
			close(release)
			<-done
			if c.n.Load() != 1 {
				t.Errorf("function ran %d times; want 1", c.n.Load())
			}
			// With validation off the first result is replayed.
			g2 := e.guard(idempotency.Options{SkipPayloadValidation: true})
			mustDo(t, g2, t.Context(), "k3", []byte("payload A"), c.fn)
			mustDo(t, g2, t.Context(), "k3", []byte("payload B"), c.fn)
			if c.n.Load() != 2 {
				t.Errorf("function ran %d times with validation off; want 2", c.n.Load())
			}
		},
	},
	{
		name: "FailureReleases",
		rule: "when the function fails, Do returns its error unchanged and releases the record; the retry runs the function",
		run: func(t *testing.T, e *env) {
			g, c := e.guard(idempotency.Options{}), &counter{}
			boom := errors.New("boom")
			_, err := g.Do(t.Context(), "k", []byte("p"), func(context.Context) ([]byte, error) { return nil, boom })
			if err != boom {
				t.Fatalf("Do = %v; want the function's error unchanged", err)
			}
			wantNotFound(t, e, g.StoreKey("k"))
			res := mustDo(t, g, t.Context(), "k", []byte("p"), c.fn)
			if c.n.Load() != 1 || string(res) != "result of run 1" {
				t.Errorf("retry: result %q after %d runs; want the retry to run the function", res, c.n.Load())
			}
		},
	},
	{
		name: "PanicReleases",
		rule: "when the function panics, Do releases the record and lets the panic through",
		run: func(t *testing.T, e *env) {
			g := e.guard(idempotency.Options{})
			func() {
				defer func() {
					if r := recover(); r != "kaboom" {
						t.Errorf("recovered %v; want the function's panic", r)
					}
				}()
				g.Do(t.Context(), "k", nil, func(context.Context) ([]byte, error) { panic("kaboom") })
			}()
			wantNotFound(t, e, g.StoreKey("k"))
		},
	},
	{
		name: "InProgress",
		rule: "a duplicate during the holder's lease gets a retryable *InProgressError at once; after completion it replays",
		run: func(t *testing.T, e *env) {
			g, c := e.guard(idempotency.Options{}), &counter{}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			release, done := holder(ctx, g, "k", []byte("holder result"), nil)
			_, err := g.Do(t.Context(), "k", []byte("payload"), c.fn)
			var ipe *idempotency.InProgressError
			if !errors.As(err, &ipe) || !errors.Is(err, idempotency.ErrInProgress) {
				t.Fatalf("duplicate: %v; want *InProgressError", err)
			}
			if ipe.RetryAfter <= 0 || ipe.RetryAfter > time.Minute+idempotency.DefaultSkewMargin {
				t.Errorf("RetryAfter %v; want within the holder's one-minute lease plus the skew margin", ipe.RetryAfter)
			}
			close(release)
			if r := <-done; r.err != nil {
				t.Fatalf("holder: %v", r.err)
			}
			if res := mustDo(t, g, t.Context(), "k", []byte("payload"), c.fn); string(res) != "holder result" || c.n.Load() != 0 {
				t.Errorf("after completion: %q, %d runs; want the holder's result and no run", res, c.n.Load())
			}
		},
	},
	{
		name: "WaitForResult",
		rule: "with WaitForResult a duplicate waits for the holder's result; if the holder fails the waiter does the work; waiting ends with ctx",
		run: func(t *testing.T, e *env) {
			g := e.guard(idempotency.Options{WaitForResult: true, PollInterval: time.Millisecond})
			c := &counter{}
			release, done := holder(t.Context(), g, "k", []byte("holder result"), nil)
			time.AfterFunc(20*time.Millisecond, func() { close(release) })
			if res := mustDo(t, g, t.Context(), "k", []byte("payload"), c.fn); string(res) != "holder result" {
				t.Errorf("waiter got %q; want the holder's result", res)
			}
			<-done

			release, done = holder(t.Context(), g, "k2", nil, errors.New("holder failed"))
			time.AfterFunc(20*time.Millisecond, func() { close(release) })
			if res := mustDo(t, g, t.Context(), "k2", []byte("payload"), c.fn); string(res) != "result of run 1" {
				t.Errorf("waiter got %q; want its own run after the holder failed", res)
			}
			<-done

			release, done = holder(t.Context(), g, "k3", []byte("r"), nil)
			// The waiter's context ends once its acquire has met the holder's
			// record, however long that round trip took: a deadline would race
			// the store on a loaded machine. The holder blocks until the waiter
			// has given up, so only the waiter's own context ends its wait.
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			waiter := e.guardOver(&onConflict{Store: e.store, fn: cancel},
				idempotency.Options{WaitForResult: true, PollInterval: time.Millisecond})
			_, err := waiter.Do(ctx, "k3", []byte("payload"), c.fn)
			if !errors.Is(err, idempotency.ErrInProgress) || !errors.Is(err, context.Canceled) {
				t.Errorf("waiter whose ctx ended: %v; want ErrInProgress and context.Canceled", err)
			}
			close(release)
			<-done
			if c.n.Load() != 1 {
				t.Errorf("function ran %d times in waiters; want 1", c.n.Load())
			}
		},
	},
	{
		name: "LeaseFollowsDeadline",
		rule: "the INPROGRESS lease ends SkewMargin after the holder's context deadline, or after DefaultLease plus SkewMargin without one",
		run: func(t *testing.T, e *env) {
			g := e.guard(idempotency.Options{DefaultLease: 7 * time.Minute, SkewMargin: 3 * time.Second})
			ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
			defer cancel()
			release, done := holder(ctx, g, "k", []byte("r"), nil)
			rec := mustGet(t, e, g.StoreKey("k"))
			if d := rec.InProgressExpiry.Sub(e.clock.Now()); d <= 83*time.Second || d > 93*time.Second {
				t.Errorf("lease of %v with a 90s deadline and a 3s margin; want about 93s", d)
			}
			close(release)
			<-done
			release, done = holder(t.Context(), g, "k2", []byte("r"), nil)
			rec = mustGet(t, e, g.StoreKey("k2"))
			if d := rec.InProgressExpiry.Sub(e.clock.Now()); d != 7*time.Minute+3*time.Second {
				t.Errorf("lease of %v without a deadline; want DefaultLease (7m) plus the margin (3s)", d)
			}
			close(release)
			<-done
		},
	},
	{
		name: "CrashedHolderTakeoverAndFencing",
		rule: "after a holder's lease ends the next delivery takes over; the late holder's completion is fenced and returns ErrFenced, leaving the new result",
		run: func(t *testing.T, e *env) {
			g, c := e.guard(idempotency.Options{}), &counter{}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			release, done := holder(ctx, g, "k", []byte("late result"), nil)
			e.clock.Advance(2 * time.Minute) // the holder's lease ends: as if it crashed
			res := mustDo(t, g, t.Context(), "k", []byte("payload"), c.fn)
			close(release) // the "crashed" holder comes back and tries to complete
			late := <-done
			if !errors.Is(late.err, idempotency.ErrFenced) || string(late.res) != "late result" {
				t.Errorf("late holder: %q, %v; want its result and ErrFenced", late.res, late.err)
			}
			if rec := mustGet(t, e, g.StoreKey("k")); !bytes.Equal(rec.Result, res) || rec.Status != idempotency.StatusCompleted {
				t.Errorf("stored %s %q; want the new holder's COMPLETED %q", rec.Status, rec.Result, res)
			}
			// A late holder that fails cannot release the new holder's record.
			release, done = holder(ctx, g, "k2", nil, errors.New("late failure"))
			e.clock.Advance(2 * time.Minute)
			release2, done2 := holder(t.Context(), g, "k2", []byte("new"), nil)
			close(release)
			<-done
			if rec := mustGet(t, e, g.StoreKey("k2")); rec.Status != idempotency.StatusInProgress {
				t.Errorf("after the late holder failed the record is %+v; want the new holder's INPROGRESS record", rec)
			}
			close(release2)
			if r := <-done2; r.err != nil || string(r.res) != "new" {
				t.Errorf("new holder: %q, %v", r.res, r.err)
			}
		},
	},
	{
		name: "CompletedExpiry",
		rule: "a COMPLETED record replays until Options.Expiry; after it the function runs again",
		run: func(t *testing.T, e *env) {
			g, c := e.guard(idempotency.Options{Expiry: 10 * time.Minute}), &counter{}
			mustDo(t, g, t.Context(), "k", nil, c.fn)
			e.clock.Advance(10*time.Minute - time.Second)
			mustDo(t, g, t.Context(), "k", nil, c.fn)
			if c.n.Load() != 1 {
				t.Fatalf("ran %d times before expiry; want 1", c.n.Load())
			}
			e.clock.Advance(time.Second)
			if res := mustDo(t, g, t.Context(), "k", nil, c.fn); string(res) != "result of run 2" {
				t.Errorf("after expiry got %q; want a second run", res)
			}
		},
	},
	{
		name: "Cache",
		rule: "with CacheSize a duplicate is answered from memory without a store call, detects payload mismatch, and the cache honours expiry",
		run: func(t *testing.T, e *env) {
			cs := NewCountingStore(e.store)
			opts := idempotency.Options{CacheSize: 2, Expiry: 10 * time.Minute, Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler), Namespace: "suite"}
			g, c := idempotency.New(cs, &opts), &counter{}
			first := mustDo(t, g, t.Context(), "k", []byte("p"), c.fn)
			calls := cs.Calls()
			if res := mustDo(t, g, t.Context(), "k", []byte("p"), c.fn); !bytes.Equal(res, first) {
				t.Errorf("cached replay %q; want %q", res, first)
			}
			if n := cs.Calls() - calls; n != 0 {
				t.Errorf("cached duplicate made %d store calls; want 0", n)
			}
			if _, err := g.Do(t.Context(), "k", []byte("other"), c.fn); !errors.Is(err, idempotency.ErrPayloadMismatch) {
				t.Errorf("cached mismatch: %v; want ErrPayloadMismatch", err)
			}
			// A replay from the store fills the cache of another Guard.
			g2 := idempotency.New(cs, &opts)
			mustDo(t, g2, t.Context(), "k", []byte("p"), c.fn)
			calls = cs.Calls()
			mustDo(t, g2, t.Context(), "k", []byte("p"), c.fn)
			if n := cs.Calls() - calls; n != 0 {
				t.Errorf("second duplicate on another guard made %d store calls; want 0", n)
			}
			// Mutating a returned result does not alter the cache.
			res := mustDo(t, g, t.Context(), "k", []byte("p"), c.fn)
			res[0] ^= 0xff
			if again := mustDo(t, g, t.Context(), "k", []byte("p"), c.fn); !bytes.Equal(again, first) {
				t.Errorf("cache returned %q after the caller changed a result; want %q", again, first)
			}
			e.clock.Advance(10 * time.Minute)
			if res := mustDo(t, g, t.Context(), "k", []byte("p"), c.fn); string(res) != "result of run 2" || c.n.Load() != 2 {
				t.Errorf("after expiry got %q after %d runs; want a second run", res, c.n.Load())
			}
		},
	},
	{
		name: "ConcurrentDeliveries",
		rule: "N >= 32 goroutines delivering one key run the function exactly once; the others get the result or ErrInProgress (or, waiting, the result), also spread over several Guards (processes) with result caches",
		run: func(t *testing.T, e *env) {
			const n = 48
			for _, v := range []struct {
				wait          bool
				guards, cache int
			}{{false, 1, 0}, {true, 1, 0}, {true, 4, 8}} {
				wait := v.wait
				guards := make([]*idempotency.Guard, v.guards)
				for i := range guards {
					guards[i] = e.guard(idempotency.Options{WaitForResult: wait, PollInterval: time.Millisecond, CacheSize: v.cache})
				}
				g := guards[0]
				var runs atomic.Int64
				fn := func(context.Context) ([]byte, error) {
					runs.Add(1)
					time.Sleep(5 * time.Millisecond) // hold the lease while the others arrive
					return []byte("the result"), nil
				}
				label := fmt.Sprintf("wait=%v, %d guards", wait, v.guards)
				key := "k-" + label
				var wg sync.WaitGroup
				var results, inProgress atomic.Int64
				start := make(chan struct{})
				for i := range n {
					wg.Go(func() {
						<-start
						res, err := guards[i%len(guards)].Do(t.Context(), key, []byte("payload"), fn)
						switch {
						case err == nil && string(res) == "the result":
							results.Add(1)
						case errors.Is(err, idempotency.ErrInProgress) && !wait:
							inProgress.Add(1)
						default:
							t.Errorf("%s: Do = %q, %v", label, res, err)
						}
					})
				}
				close(start)
				wg.Wait()
				if runs.Load() != 1 {
					t.Errorf("%s: the function ran %d times; want exactly 1", label, runs.Load())
				}
				if wait && results.Load() != n {
					t.Errorf("%s: %d of %d got the result", label, results.Load(), n)
				}
				if res := mustDo(t, g, t.Context(), key, []byte("payload"), fn); string(res) != "the result" || runs.Load() != 1 {
					t.Errorf("%s: later delivery got %q after %d runs", label, res, runs.Load())
				}
			}
		},
	},
	{
		name: "ResultTooLarge",
		rule: "a result over the store's limit (stores with a MaxResultSize() int method) is a *NotRecordedError wrapping *ResultTooLargeError, with the result; the record is completed without it, so duplicates (from the store, the cache or waiting) get *ResultNotStoredError and never run the function again until the record expires, and no replay hook fires",
		run: func(t *testing.T, e *env) {
			limit := resultLimit(t, e)
			replays := 0
			hook := func(context.Context, idempotency.Replay) { replays++ }
			g := e.guard(idempotency.Options{Expiry: 10 * time.Minute, OnReplay: hook})
			big := bytes.Repeat([]byte("x"), limit+1)
			var runs atomic.Int64
			fn := func(context.Context) ([]byte, error) { runs.Add(1); return big, nil }
			res, err := g.Do(t.Context(), "k", []byte("p"), fn)
			nr, isNR := errors.AsType[*idempotency.NotRecordedError](err)
			tl, isTL := errors.AsType[*idempotency.ResultTooLargeError](err)
			if !isNR || !isTL || nr.Held || len(res) != len(big) || len(nr.Result) != len(big) || tl.Limit != limit {
				t.Fatalf("Do = %d bytes, %v; want the result and a *NotRecordedError wrapping *ResultTooLargeError", len(res), err)
			}
			rec := mustGet(t, e, g.StoreKey("k"))
			if rec.Status != idempotency.StatusCompleted || !rec.ResultNotStored || len(rec.Result) != 0 {
				t.Errorf("record %s, ResultNotStored %v, %d result bytes; want COMPLETED without its result", rec.Status, rec.ResultNotStored, len(rec.Result))
			}
			e.clock.Advance(time.Minute)
			cached := e.guard(idempotency.Options{Expiry: 10 * time.Minute, CacheSize: 4, OnReplay: hook})
			waiting := e.guard(idempotency.Options{Expiry: 10 * time.Minute, WaitForResult: true, OnReplay: hook})
			for i, dg := range []*idempotency.Guard{g, cached, cached, waiting} {
				res, err := dg.Do(t.Context(), "k", []byte("p"), fn)
				rn, ok := errors.AsType[*idempotency.ResultNotStoredError](err)
				if !ok || !errors.Is(err, idempotency.ErrResultNotStored) || rn.KeyHash == "" || res != nil {
					t.Errorf("duplicate %d: %d bytes, %v; want *ResultNotStoredError", i, len(res), err)
				}
			}
			if _, err := g.Do(t.Context(), "k", []byte("other"), fn); !errors.Is(err, idempotency.ErrPayloadMismatch) {
				t.Errorf("the key with another payload: %v; want ErrPayloadMismatch", err)
			}
			if runs.Load() != 1 || replays != 0 {
				t.Errorf("the function ran %d times and %d replays were reported; want 1 run, no replay", runs.Load(), replays)
			}
			e.clock.Advance(10 * time.Minute) // the record expires
			small := func(context.Context) ([]byte, error) { runs.Add(1); return []byte("small"), nil }
			if res := mustDo(t, g, t.Context(), "k", []byte("p"), small); string(res) != "small" || runs.Load() != 2 {
				t.Errorf("after expiry: %q after %d runs; want a second run", res, runs.Load())
			}
			if rec := mustGet(t, e, g.StoreKey("k")); rec.ResultNotStored || string(rec.Result) != "small" {
				t.Errorf("record after the second run: ResultNotStored %v, result %q", rec.ResultNotStored, rec.Result)
			}
		},
	},
	{
		name: "FailedCompleteRetried",
		rule: "a Complete that fails transiently is retried with backoff within the lease: the outcome is recorded, Do succeeds, and a duplicate replays without running the function again",
		run: func(t *testing.T, e *env) {
			fs := &flakyComplete{Store: e.store}
			fs.failures.Store(2)
			g, c := e.guardOver(fs, idempotency.Options{}), &counter{}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			res, err := g.Do(ctx, "k", []byte("p"), c.fn)
			if err != nil || string(res) != "result of run 1" {
				t.Fatalf("Do = %q, %v; want the result, recorded on the third attempt", res, err)
			}
			if n := fs.calls.Load(); n != 3 {
				t.Errorf("%d Complete calls; want 3 (two failures, then success)", n)
			}
			if again := mustDo(t, g, ctx, "k", []byte("p"), c.fn); string(again) != "result of run 1" || c.n.Load() != 1 {
				t.Errorf("duplicate: %q after %d runs; want the replay after 1 run", again, c.n.Load())
			}
		},
	},
	{
		name: "FailedCompleteHeld",
		rule: "when Complete keeps failing, Do returns the result with a *NotRecordedError (Held) after a bounded retry; the record stays INPROGRESS, so a duplicate gets ErrInProgress instead of redoing the work until the lease ends",
		run: func(t *testing.T, e *env) {
			fs := &flakyComplete{Store: e.store}
			fs.failures.Store(1 << 30)
			g, c := e.guardOver(fs, idempotency.Options{}), &counter{}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			res, err := g.Do(ctx, "k", []byte("p"), c.fn)
			nr, ok := errors.AsType[*idempotency.NotRecordedError](err)
			if !ok || !errors.Is(err, idempotency.ErrNotRecorded) || !errors.Is(err, errUnavailable) || !nr.Held ||
				string(res) != "result of run 1" || string(nr.Result) != "result of run 1" {
				t.Fatalf("Do = %q, %v; want the result and a held *NotRecordedError wrapping the store's error", res, err)
			}
			if n := fs.calls.Load(); n < 2 || n > 4 {
				t.Errorf("%d Complete calls; want a bounded retry (2 to 4)", n)
			}
			if rec := mustGet(t, e, g.StoreKey("k")); rec.Status != idempotency.StatusInProgress {
				t.Errorf("record is %s; want it held INPROGRESS", rec.Status)
			}
			if _, err := g.Do(t.Context(), "k", []byte("p"), c.fn); !errors.Is(err, idempotency.ErrInProgress) || c.n.Load() != 1 {
				t.Errorf("duplicate during the lease: %v after %d runs; want ErrInProgress and no second run", err, c.n.Load())
			}
			fs.failures.Store(0)             // the store is back
			e.clock.Advance(2 * time.Minute) // the lease (and skew margin) ends
			if res := mustDo(t, g, t.Context(), "k", []byte("p"), c.fn); string(res) != "result of run 2" {
				t.Errorf("after the lease: %q; want the next delivery to run the function", res)
			}
		},
	},
	{
		name: "WaitReadsNotWrites",
		rule: "a waiting duplicate polls with Store.Get, not Acquire: one conditional write (its first Acquire) however long it waits, then the holder's result",
		run: func(t *testing.T, e *env) {
			g := e.guard(idempotency.Options{})
			release, done := holder(t.Context(), g, "k", []byte("holder result"), nil)
			cs := NewCountingStore(&afterGets{Store: e.store, n: 3, fn: func() { close(release) }})
			waiter := e.guardOver(cs, idempotency.Options{WaitForResult: true, PollInterval: time.Millisecond})
			res := mustDo(t, waiter, t.Context(), "k", []byte("payload"), (&counter{}).fn)
			if string(res) != "holder result" {
				t.Errorf("waiter got %q; want the holder's result", res)
			}
			if a, gets := cs.Acquires(), cs.Gets(); a != 1 || gets < 3 || cs.Writes() != 1 {
				t.Errorf("waiting cost %d Acquires, %d writes and %d Gets; want 1 Acquire and reads only", a, cs.Writes(), gets)
			}
			<-done
		},
	},
	{
		name: "ReplayHooks",
		rule: "Options.OnReplay and a WithReplayHook context hook are called for each replay (store, cache or after waiting) and never for a run",
		run: func(t *testing.T, e *env) {
			var guardHook []string
			g := e.guard(idempotency.Options{CacheSize: 4, OnReplay: func(_ context.Context, r idempotency.Replay) { guardHook = append(guardHook, r.From) }})
			var callHook []string
			ctx := idempotency.WithReplayHook(t.Context(), func(r idempotency.Replay) { callHook = append(callHook, r.From) })
			c := &counter{}
			mustDo(t, g, ctx, "k", []byte("p"), c.fn)
			if len(guardHook)+len(callHook) != 0 {
				t.Fatalf("hooks called for a run: %v %v", guardHook, callHook)
			}
			mustDo(t, g, ctx, "k", []byte("p"), c.fn) // from the cache
			g2 := e.guard(idempotency.Options{OnReplay: func(_ context.Context, r idempotency.Replay) { guardHook = append(guardHook, r.From) }})
			mustDo(t, g2, ctx, "k", []byte("p"), c.fn) // from the store
			if want := "[cache store]"; fmt.Sprint(guardHook) != want || fmt.Sprint(callHook) != want {
				t.Errorf("hooks saw %v and %v; want %s", guardHook, callHook, want)
			}
			mustDo(t, g2, t.Context(), "k", []byte("p"), c.fn) // no per-call hook
			if len(callHook) != 2 {
				t.Errorf("the per-call hook ran for a call without it: %v", callHook)
			}
		},
	},
	{
		name: "MissingKey",
		rule: "Do with an empty key is ErrMissingKey and touches nothing",
		run: func(t *testing.T, e *env) {
			g, c := e.guard(idempotency.Options{}), &counter{}
			if _, err := g.Do(t.Context(), "", nil, c.fn); !errors.Is(err, idempotency.ErrMissingKey) || c.n.Load() != 0 {
				t.Errorf("Do(\"\") = %v after %d runs; want ErrMissingKey and no run", err, c.n.Load())
			}
		},
	},
}
