package idempotencytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// Durations the store cases use.
const (
	lease  = time.Minute
	expiry = time.Hour
)

// inProgress returns a fresh INPROGRESS record for key held by owner, with a
// lease of one minute and an expiry of one hour from now.
func inProgress(e *env, key, owner string) idempotency.Record {
	now := e.clock.Now()
	return idempotency.Record{
		Key:              key,
		Status:           idempotency.StatusInProgress,
		Owner:            owner,
		PayloadHash:      "hash-" + key,
		InProgressExpiry: now.Add(lease),
		Expiry:           now.Add(expiry),
	}
}

// mustAcquire acquires rec at the clock's time or fails t.
func mustAcquire(t testing.TB, e *env, rec idempotency.Record) {
	t.Helper()
	if err := e.store.Acquire(t.Context(), rec, e.clock.Now()); err != nil {
		t.Fatalf("Acquire(%q, owner %q): %v", rec.Key, rec.Owner, err)
	}
}

// mustComplete completes rec with result or fails t.
func mustComplete(t testing.TB, e *env, rec idempotency.Record, result []byte) idempotency.Record {
	t.Helper()
	rec.Status = idempotency.StatusCompleted
	rec.Result = result
	rec.Expiry = e.clock.Now().Add(expiry)
	if err := e.store.Complete(t.Context(), rec); err != nil {
		t.Fatalf("Complete(%q, owner %q): %v", rec.Key, rec.Owner, err)
	}
	return rec
}

// mustGet returns the record under key or fails t.
func mustGet(t testing.TB, e *env, key string) idempotency.Record {
	t.Helper()
	rec, err := e.store.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return rec
}

// wantNotFound fails t unless key has no record.
func wantNotFound(t testing.TB, e *env, key string) {
	t.Helper()
	if rec, err := e.store.Get(t.Context(), key); !errors.Is(err, idempotency.ErrNotFound) {
		t.Fatalf("Get(%q) = %+v, %v; want ErrNotFound", key, rec, err)
	}
}

// wantConflict fails t unless err is a *ConflictError, and returns its
// record.
func wantConflict(t testing.TB, err error) idempotency.Record {
	t.Helper()
	var ce *idempotency.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v; want *idempotency.ConflictError", err)
	}
	return ce.Existing
}

// sameRecord fails t unless got matches want field by field, times to the
// millisecond.
func sameRecord(t testing.TB, got, want idempotency.Record) {
	t.Helper()
	var diffs []string
	if got.Key != want.Key {
		diffs = append(diffs, fmt.Sprintf("Key %q, want %q", got.Key, want.Key))
	}
	if got.Status != want.Status {
		diffs = append(diffs, fmt.Sprintf("Status %q, want %q", got.Status, want.Status))
	}
	if got.Owner != want.Owner {
		diffs = append(diffs, fmt.Sprintf("Owner %q, want %q", got.Owner, want.Owner))
	}
	if got.PayloadHash != want.PayloadHash {
		diffs = append(diffs, fmt.Sprintf("PayloadHash %q, want %q", got.PayloadHash, want.PayloadHash))
	}
	if !bytes.Equal(got.Result, want.Result) {
		diffs = append(diffs, fmt.Sprintf("Result %q, want %q", got.Result, want.Result))
	}
	if got.ResultNotStored != want.ResultNotStored {
		diffs = append(diffs, fmt.Sprintf("ResultNotStored %v, want %v", got.ResultNotStored, want.ResultNotStored))
	}
	if !sameTime(got.InProgressExpiry, want.InProgressExpiry) {
		diffs = append(diffs, fmt.Sprintf("InProgressExpiry %v, want %v", got.InProgressExpiry, want.InProgressExpiry))
	}
	if !sameTime(got.Expiry, want.Expiry) {
		diffs = append(diffs, fmt.Sprintf("Expiry %v, want %v", got.Expiry, want.Expiry))
	}
	for _, d := range diffs {
		t.Errorf("record %q: %s", want.Key, d)
	}
}

// resultLimit returns the store's result limit, skipping t for stores
// without one of 8 MiB or less (the cases store a result over it).
func resultLimit(t *testing.T, e *env) int {
	t.Helper()
	l, ok := e.store.(idempotency.ResultLimiter)
	if !ok || l.MaxResultSize() <= 0 || l.MaxResultSize() > 8<<20 {
		t.Skip("the store declares no result limit of 8 MiB or less (MaxResultSize() int)")
	}
	return l.MaxResultSize()
}

// sameTime reports whether a and b agree to the millisecond.
func sameTime(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Millisecond && d < time.Millisecond
}

// cancelled returns a context that is already cancelled.
func cancelled(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

var storeCases = []testCase{
	{
		name: "AcquireFresh",
		rule: "Acquire writes rec when no record exists; Get returns it field for field",
		run: func(t *testing.T, e *env) {
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			sameRecord(t, mustGet(t, e, "k"), rec)
		},
	},
	{
		name: "AcquireConflictCarriesRecord",
		rule: "Acquire on a live INPROGRESS record returns *ConflictError whose Existing is that record, and changes nothing",
		run: func(t *testing.T, e *env) {
			first := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, first)
			e.clock.Advance(lease / 2)
			second := inProgress(e, "k", "owner-2")
			second.PayloadHash = "other"
			ex := wantConflict(t, e.store.Acquire(t.Context(), second, e.clock.Now()))
			sameRecord(t, ex, first)
			sameRecord(t, mustGet(t, e, "k"), first)
		},
	},
	{
		name: "AcquireConflictCarriesResult",
		rule: "Acquire on a live COMPLETED record returns *ConflictError carrying the stored result",
		run: func(t *testing.T, e *env) {
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			done := mustComplete(t, e, rec, []byte(`{"ok":true}`))
			e.clock.Advance(2 * lease) // past the old lease, within the expiry
			ex := wantConflict(t, e.store.Acquire(t.Context(), inProgress(e, "k", "owner-2"), e.clock.Now()))
			sameRecord(t, ex, done)
		},
	},
	{
		name: "AcquireAfterLeaseEnds",
		rule: "an INPROGRESS record whose lease has ended (now == InProgressExpiry included) is replaced by the next Acquire",
		run: func(t *testing.T, e *env) {
			mustAcquire(t, e, inProgress(e, "k", "crashed"))
			e.clock.Advance(lease) // exactly at the end of the lease
			next := inProgress(e, "k", "owner-2")
			mustAcquire(t, e, next)
			sameRecord(t, mustGet(t, e, "k"), next)
		},
	},
	{
		name: "AcquireAfterExpiry",
		rule: "a COMPLETED record past its Expiry is replaced by the next Acquire",
		run: func(t *testing.T, e *env) {
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			mustComplete(t, e, rec, []byte("r"))
			e.clock.Advance(expiry + time.Second)
			next := inProgress(e, "k", "owner-2")
			mustAcquire(t, e, next)
			sameRecord(t, mustGet(t, e, "k"), next)
		},
	},
	{
		name: "AcquireKeysIndependent",
		rule: "records under different keys do not affect each other",
		run: func(t *testing.T, e *env) {
			a, b := inProgress(e, "a", "owner-a"), inProgress(e, "b", "owner-b")
			mustAcquire(t, e, a)
			mustAcquire(t, e, b)
			mustComplete(t, e, a, []byte("ra"))
			if err := e.store.Release(t.Context(), "b", "owner-b"); err != nil {
				t.Fatalf("Release(b): %v", err)
			}
			if got := mustGet(t, e, "a"); got.Status != idempotency.StatusCompleted {
				t.Errorf("a: status %q after releasing b", got.Status)
			}
			wantNotFound(t, e, "b")
		},
	},
	{
		name: "CompleteThenGet",
		rule: "Complete turns the holder's record COMPLETED with the result and the new Expiry, keeping owner and payload hash",
		run: func(t *testing.T, e *env) {
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			e.clock.Advance(time.Second)
			result := make([]byte, 256)
			for i := range result {
				result[i] = byte(i) // every byte value survives
			}
			want := mustComplete(t, e, rec, result)
			sameRecord(t, mustGet(t, e, "k"), want)
		},
	},
	{
		name: "CompleteEmptyResult",
		rule: "an empty result is stored as an empty result",
		run: func(t *testing.T, e *env) {
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			mustComplete(t, e, rec, []byte{})
			got := mustGet(t, e, "k")
			if got.Status != idempotency.StatusCompleted || len(got.Result) != 0 {
				t.Errorf("got status %q result %q; want COMPLETED and empty", got.Status, got.Result)
			}
		},
	},
	{
		name: "CompleteWithoutResult",
		rule: "Complete with ResultNotStored stores a COMPLETED record without a result that Get and Acquire's conflict return with ResultNotStored set; a later acquisition after expiry, and a completion with a result, have it unset",
		run: func(t *testing.T, e *env) {
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			done := rec
			done.Status, done.ResultNotStored, done.Expiry = idempotency.StatusCompleted, true, e.clock.Now().Add(expiry)
			if err := e.store.Complete(t.Context(), done); err != nil {
				t.Fatalf("Complete without result: %v", err)
			}
			sameRecord(t, mustGet(t, e, "k"), done)
			if err := e.store.Complete(t.Context(), done); err != nil {
				t.Errorf("retried Complete without result by its owner = %v; want nil", err)
			}
			dup := inProgress(e, "k", "owner-2")
			ex := wantConflict(t, e.store.Acquire(t.Context(), dup, e.clock.Now()))
			if ex.Status != idempotency.StatusCompleted || !ex.ResultNotStored || len(ex.Result) != 0 {
				t.Errorf("conflict carries %s, ResultNotStored %v, result %q; want COMPLETED without result", ex.Status, ex.ResultNotStored, ex.Result)
			}
			e.clock.Advance(expiry + time.Second)
			next := inProgress(e, "k", "owner-3")
			mustAcquire(t, e, next)
			sameRecord(t, mustGet(t, e, "k"), next)
			completed := mustComplete(t, e, next, []byte("r"))
			sameRecord(t, mustGet(t, e, "k"), completed)
		},
	},
	{
		name: "CompleteTwiceBySameOwner",
		rule: "Complete is idempotent: Complete again by the owner that completed the record succeeds and leaves the record as the first Complete wrote it; Complete by another owner on that COMPLETED record is ErrFenced",
		run: func(t *testing.T, e *env) {
			ctx := t.Context()
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			done := mustComplete(t, e, rec, []byte("first"))

			// The same request again, as a client retries it after losing
			// the first reply.
			if err := e.store.Complete(ctx, done); err != nil {
				t.Errorf("retried Complete by the same owner = %v; want nil", err)
			}
			sameRecord(t, mustGet(t, e, "k"), done)

			// A different result and expiry from the same owner change
			// nothing either: the first Complete's record stands.
			e.clock.Advance(time.Minute)
			again := done
			again.Result, again.Expiry = []byte("second"), e.clock.Now().Add(2*expiry)
			if err := e.store.Complete(ctx, again); err != nil {
				t.Errorf("second Complete by the same owner = %v; want nil", err)
			}
			sameRecord(t, mustGet(t, e, "k"), done)

			intruder := done
			intruder.Owner, intruder.Result = "owner-2", []byte("intruder")
			if err := e.store.Complete(ctx, intruder); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("Complete by another owner on a COMPLETED record = %v; want ErrFenced", err)
			}
			sameRecord(t, mustGet(t, e, "k"), done)
		},
	},
	{
		name: "CompleteFenced",
		rule: "Complete by a non-holder or on a missing record returns ErrFenced and changes nothing",
		run: func(t *testing.T, e *env) {
			ctx := t.Context()
			missing := inProgress(e, "missing", "owner-1")
			missing.Status, missing.Result = idempotency.StatusCompleted, []byte("x")
			if err := e.store.Complete(ctx, missing); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("Complete(missing) = %v; want ErrFenced", err)
			}
			wantNotFound(t, e, "missing")

			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			intruder := rec
			intruder.Owner, intruder.Status, intruder.Result = "owner-2", idempotency.StatusCompleted, []byte("intruder")
			if err := e.store.Complete(ctx, intruder); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("Complete(other owner) = %v; want ErrFenced", err)
			}
			sameRecord(t, mustGet(t, e, "k"), rec)
		},
	},
	{
		name: "FencingAfterTakeover",
		rule: "a holder whose lease ended and was taken over can neither complete nor release the new holder's record",
		run: func(t *testing.T, e *env) {
			ctx := t.Context()
			old := inProgress(e, "k", "old-owner")
			mustAcquire(t, e, old)
			e.clock.Advance(lease + time.Second)
			next := inProgress(e, "k", "new-owner")
			mustAcquire(t, e, next)
			late := old
			late.Status, late.Result, late.Expiry = idempotency.StatusCompleted, []byte("late"), e.clock.Now().Add(expiry)
			if err := e.store.Complete(ctx, late); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("late Complete = %v; want ErrFenced", err)
			}
			if err := e.store.Release(ctx, "k", "old-owner"); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("late Release = %v; want ErrFenced", err)
			}
			sameRecord(t, mustGet(t, e, "k"), next)
		},
	},
	{
		name: "ReleaseDeletes",
		rule: "Release by the holder deletes the INPROGRESS record, and the key can be acquired again at once",
		run: func(t *testing.T, e *env) {
			mustAcquire(t, e, inProgress(e, "k", "owner-1"))
			if err := e.store.Release(t.Context(), "k", "owner-1"); err != nil {
				t.Fatalf("Release: %v", err)
			}
			wantNotFound(t, e, "k")
			mustAcquire(t, e, inProgress(e, "k", "owner-2"))
		},
	},
	{
		name: "ReleaseFenced",
		rule: "Release by a non-holder, of a missing record or of a COMPLETED record returns ErrFenced and deletes nothing",
		run: func(t *testing.T, e *env) {
			ctx := t.Context()
			if err := e.store.Release(ctx, "missing", "owner-1"); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("Release(missing) = %v; want ErrFenced", err)
			}
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			if err := e.store.Release(ctx, "k", "owner-2"); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("Release(other owner) = %v; want ErrFenced", err)
			}
			sameRecord(t, mustGet(t, e, "k"), rec)
			done := mustComplete(t, e, rec, []byte("r"))
			if err := e.store.Release(ctx, "k", "owner-1"); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("Release(completed) = %v; want ErrFenced", err)
			}
			sameRecord(t, mustGet(t, e, "k"), done)
		},
	},
	{
		name: "GetMissing",
		rule: "Get of a missing key returns ErrNotFound",
		run: func(t *testing.T, e *env) {
			wantNotFound(t, e, "never-written")
		},
	},
	{
		name: "GetReturnsExpired",
		rule: "Get returns a record that is no longer live; liveness is the caller's decision",
		run: func(t *testing.T, e *env) {
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			e.clock.Advance(lease + time.Second)
			sameRecord(t, mustGet(t, e, "k"), rec)
		},
	},
	{
		name: "Delete",
		rule: "Delete removes a record whatever its state; deleting a missing record is not an error",
		run: func(t *testing.T, e *env) {
			ctx := t.Context()
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			mustComplete(t, e, rec, []byte("r"))
			if err := e.store.Delete(ctx, "k"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			wantNotFound(t, e, "k")
			if err := e.store.Delete(ctx, "k"); err != nil {
				t.Errorf("Delete(missing) = %v; want nil", err)
			}
			mustAcquire(t, e, inProgress(e, "k", "owner-2"))
		},
	},
	{
		name: "ConcurrentAcquire",
		rule: "of N concurrent Acquires of one key exactly one wins; every loser's conflict carries the winner's record",
		run: func(t *testing.T, e *env) {
			const n = 32
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					errs[i] = e.store.Acquire(t.Context(), inProgress(e, "k", fmt.Sprintf("owner-%02d", i)), e.clock.Now())
				})
			}
			close(start)
			wg.Wait()
			winner := mustGet(t, e, "k")
			wins := 0
			for i, err := range errs {
				if err == nil {
					wins++
					if want := fmt.Sprintf("owner-%02d", i); winner.Owner != want {
						t.Errorf("acquirer %d won but the record's owner is %q", i, winner.Owner)
					}
					continue
				}
				var ce *idempotency.ConflictError
				if !errors.As(err, &ce) {
					t.Errorf("acquirer %d: %v; want nil or *ConflictError", i, err)
					continue
				}
				if ce.Existing.Owner != winner.Owner {
					t.Errorf("acquirer %d: conflict carries owner %q; the winner is %q", i, ce.Existing.Owner, winner.Owner)
				}
			}
			if wins != 1 {
				t.Errorf("%d of %d concurrent acquires won; want exactly 1", wins, n)
			}
		},
	},
	{
		name: "CancelledContext",
		rule: "every method honours a cancelled context: it returns an error matching context.Canceled and changes nothing",
		run: func(t *testing.T, e *env) {
			ctx := cancelled(t)
			if err := e.store.Acquire(ctx, inProgress(e, "fresh", "owner-1"), e.clock.Now()); !errors.Is(err, context.Canceled) {
				t.Errorf("Acquire = %v; want context.Canceled", err)
			}
			wantNotFound(t, e, "fresh")

			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			done := rec
			done.Status, done.Result = idempotency.StatusCompleted, []byte("r")
			if err := e.store.Complete(ctx, done); !errors.Is(err, context.Canceled) {
				t.Errorf("Complete = %v; want context.Canceled", err)
			}
			if err := e.store.Release(ctx, "k", "owner-1"); !errors.Is(err, context.Canceled) {
				t.Errorf("Release = %v; want context.Canceled", err)
			}
			if _, err := e.store.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
				t.Errorf("Get = %v; want context.Canceled", err)
			}
			if err := e.store.Delete(ctx, "k"); !errors.Is(err, context.Canceled) {
				t.Errorf("Delete = %v; want context.Canceled", err)
			}
			sameRecord(t, mustGet(t, e, "k"), rec)
		},
	},
	{
		name: "ResultTooLarge",
		rule: "Complete with a result over the store's limit returns *ResultTooLargeError with Size and Limit and changes nothing (stores with a MaxResultSize() int method)",
		run: func(t *testing.T, e *env) {
			limit := resultLimit(t, e)
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			big := rec
			big.Status, big.Result = idempotency.StatusCompleted, bytes.Repeat([]byte("x"), limit+1)
			err := e.store.Complete(t.Context(), big)
			var tl *idempotency.ResultTooLargeError
			if !errors.As(err, &tl) {
				t.Fatalf("Complete(%d bytes) = %v; want *ResultTooLargeError", limit+1, err)
			}
			if tl.Limit != limit || tl.Size <= limit {
				t.Errorf("ResultTooLargeError{Size: %d, Limit: %d}; want Size > %d, Limit %d", tl.Size, tl.Limit, limit, limit)
			}
			sameRecord(t, mustGet(t, e, "k"), rec)
			mustComplete(t, e, rec, bytes.Repeat([]byte("x"), limit/2))
		},
	},
}
