package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// cleanupTimeout bounds Complete and Release, which run on a context detached
// from the caller's cancellation: a holder whose deadline passed just after
// its function returned must still record the outcome (the store fences it if
// its lease has been taken over meanwhile).
const cleanupTimeout = 10 * time.Second

// Guard runs functions at most once per idempotency key, recording each
// outcome in a [Store]. A Guard is safe for concurrent use; create one per
// store and namespace and share it.
type Guard struct {
	store Store
	opts  Options
	log   *slog.Logger
	cache *resultCache // nil when Options.CacheSize is 0
}

// New returns a Guard over store. A nil or zero opts selects the defaults
// described on [Options].
func New(store Store, opts *Options) *Guard {
	o := opts.withDefaults()
	g := &Guard{store: store, opts: o, log: o.Logger}
	if o.CacheSize > 0 {
		g.cache = newResultCache(o.CacheSize)
	}
	return g
}

// Store returns the store the Guard records outcomes in.
func (g *Guard) Store() Store { return g.store }

// StoreKey returns the store key under which the Guard records key: the
// namespace and a SHA-256 hash of key. Operators use it with Store.Get and
// Store.Delete.
func (g *Guard) StoreKey(key string) string { return g.storeKey(key) }

// storeKey builds namespace#hex(sha256(key)) in one allocation: the key is
// hashed from a stack copy (a []byte(key) conversion of more than 32 bytes
// would allocate) and hex-encoded into a stack buffer.
func (g *Guard) storeKey(key string) string {
	ns := g.opts.Namespace
	var sum [sha256.Size]byte
	if len(key) <= maxStackKey {
		var kb [maxStackKey]byte
		sum = sha256.Sum256(append(kb[:0], key...))
	} else {
		sum = sha256.Sum256([]byte(key))
	}
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	var b strings.Builder
	b.Grow(len(ns) + 1 + len(hx))
	b.WriteString(ns)
	b.WriteByte('#')
	b.Write(hx[:])
	return b.String()
}

// maxStackKey is the longest idempotency key storeKey hashes without a heap
// copy; the event-source keys (see keys.go) are well below it.
const maxStackKey = 256

// Do runs fn at most once for key and returns its result; a duplicate
// delivery of key returns the stored result without running fn.
//
// In detail, Do acquires an INPROGRESS record for key whose lease ends at
// ctx's deadline (or after Options.DefaultLease when ctx has none), runs fn,
// and records the result as COMPLETED for Options.Expiry. Then:
//
//   - A duplicate that arrives after completion gets the stored result, as
//     long as its payload hashes like the first one's; otherwise Do returns a
//     *[PayloadMismatchError]. payload is only hashed, never stored or logged.
//     When the result was too large to store (see below) the duplicate gets
//     a *[ResultNotStoredError] instead, and fn does not run.
//   - A duplicate that arrives while the first delivery holds its lease gets
//     a retryable *[InProgressError], or waits for the result when
//     Options.WaitForResult is set.
//   - When fn returns an error (or panics), Do releases the record and
//     returns fn's result and error unchanged, so the platform's retry does
//     the work again.
//   - When the holder crashes, its lease ends and the next delivery takes
//     over. The crashed holder, should it come back, can neither complete nor
//     release the new holder's record: both are fenced by an owner token.
//
// When fn succeeds but its outcome cannot be recorded, Do returns fn's result
// together with a *[NotRecordedError] (matching [ErrNotRecorded]): the work
// is done, so report success to whoever delivered the input, but later
// duplicates are not protected by this delivery's record. Transient store
// errors are first retried: up to 4 Complete calls with exponential backoff
// (50 ms, 100 ms, 200 ms), none started after the lease's end. Its cause,
// reached with errors.Is and errors.As, says what the next delivery does:
//
//   - the store kept failing: the INPROGRESS record is held (not released),
//     so duplicates get *[InProgressError] until the lease ends and the
//     first delivery after that runs fn again. Releasing instead would
//     invite an immediate second run of a side effect that has happened;
//   - a *[ResultTooLargeError]: the record is completed without the
//     result (Record.ResultNotStored), so duplicates do not run fn again:
//     until the record expires they get a *[ResultNotStoredError] (the
//     work is done, there is nothing to replay). Releasing the record
//     instead would make a client's retry of a payment charge again.
//     Should that completion fail as well, the cause it met decides, as
//     listed here;
//   - [ErrFenced]: the lease was lost to another delivery before fn
//     returned (or an operator deleted the record), whose outcome stands;
//   - [ErrForeignCompletion]: another writer sharing the table completed
//     the record this delivery held; its result is what duplicates get.
//
// A store client that retries a completion whose reply was lost does not
// cause ErrFenced: stores treat a second Complete by the same owner as a
// success (see [Store.Complete]).
//
// An empty key is [ErrMissingKey].
func (g *Guard) Do(ctx context.Context, key string, payload []byte, fn func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	if key == "" {
		return nil, ErrMissingKey
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	storeKey := g.storeKey(key)
	kh := storeKey[len(g.opts.Namespace)+1:]
	var ph string
	if !g.opts.SkipPayloadValidation {
		ph = hashPayload(payload)
	}
	for {
		now := g.opts.Now()
		if g.cache != nil {
			if e, ok := g.cache.get(storeKey, now); ok {
				if mismatch(ph, e.payloadHash) {
					g.logDecision(ctx, slog.LevelWarn, "payload mismatch", kh, StatusCompleted)
					return nil, &PayloadMismatchError{KeyHash: kh, Status: StatusCompleted}
				}
				if e.resultNotStored {
					return nil, g.notStored(ctx, kh)
				}
				g.logDecision(ctx, slog.LevelInfo, "duplicate replayed from cache", kh, StatusCompleted)
				g.replayed(ctx, kh, "cache")
				return clone(e.result), nil
			}
		}
		leaseEnd := g.leaseEnd(ctx, now)
		rec := Record{
			Key:              storeKey,
			Status:           StatusInProgress,
			Owner:            newOwner(),
			PayloadHash:      ph,
			InProgressExpiry: leaseEnd,
			Expiry:           later(now.Add(g.opts.Expiry), leaseEnd),
		}
		err := g.store.Acquire(ctx, rec, now)
		if err == nil {
			return g.run(ctx, rec, kh, fn)
		}
		ce, ok := errors.AsType[*ConflictError](err)
		if !ok {
			return nil, fmt.Errorf("idempotency: acquire key %s: %w", kh, err)
		}
		ex := ce.Existing
		if mismatch(ph, ex.PayloadHash) {
			g.logDecision(ctx, slog.LevelWarn, "payload mismatch", kh, ex.Status)
			return nil, &PayloadMismatchError{KeyHash: kh, Status: ex.Status}
		}
		switch ex.Status {
		case StatusCompleted:
			return g.replay(ctx, storeKey, kh, ex, "store")
		case StatusInProgress:
			if !g.opts.WaitForResult {
				g.logDecision(ctx, slog.LevelInfo, "duplicate in progress", kh, ex.Status)
				return nil, g.inProgress(kh, ex, now)
			}
			res, retake, err := g.wait(ctx, storeKey, kh, ph, ex)
			if !retake {
				return res, err
			}
		default:
			return nil, fmt.Errorf("idempotency: key %s has unknown status %q", kh, ex.Status)
		}
	}
}

// inProgress returns the error for a duplicate that found holder ex live at
// now.
func (g *Guard) inProgress(kh string, ex Record, now time.Time) *InProgressError {
	ends := ex.InProgressExpiry
	return &InProgressError{KeyHash: kh, LeaseEnds: ends, RetryAfter: max(ends.Sub(now), 0)}
}

// replay returns the result of the COMPLETED record ex to a duplicate, or
// a *ResultNotStoredError when ex was completed without its result.
func (g *Guard) replay(ctx context.Context, storeKey, kh string, ex Record, from string) ([]byte, error) {
	if g.cache != nil {
		g.cache.put(storeKey, cacheEntry{result: clone(ex.Result), payloadHash: ex.PayloadHash, expiry: ex.Expiry, resultNotStored: ex.ResultNotStored})
	}
	if ex.ResultNotStored {
		return nil, g.notStored(ctx, kh)
	}
	msg := "duplicate replayed"
	if from == "wait" {
		msg = "duplicate replayed after waiting"
	}
	g.logDecision(ctx, slog.LevelInfo, msg, kh, ex.Status)
	g.replayed(ctx, kh, from)
	return ex.Result, nil
}

// notStored returns the error for a duplicate of a key completed without
// its result. The replay hooks are not called: nothing is replayed.
func (g *Guard) notStored(ctx context.Context, kh string) error {
	g.logDecision(ctx, slog.LevelWarn, "duplicate of a completed call whose result was too large to store: not run again, nothing to replay", kh, StatusCompleted)
	return &ResultNotStoredError{KeyHash: kh}
}

// wait waits for the holder of the live INPROGRESS record ex to finish. It
// reads the record (Store.Get, a strongly consistent read) after
// PollInterval, then after twice as long each time up to MaxPollFactor ×
// PollInterval, waking no later than the lease's end. It
// returns the holder's result once the record is COMPLETED; retake when the
// record is gone (released, evicted) or no longer live, so that the caller
// acquires it; and an error when ctx ends, the store fails or the record now
// holds another payload.
func (g *Guard) wait(ctx context.Context, storeKey, kh, ph string, ex Record) (res []byte, retake bool, err error) {
	g.logDecision(ctx, slog.LevelDebug, "duplicate waiting", kh, ex.Status)
	delay, maxDelay := g.opts.PollInterval, MaxPollFactor*g.opts.PollInterval
	for {
		now := g.opts.Now()
		ipe := g.inProgress(kh, ex, now)
		d := min(delay, max(ipe.RetryAfter, time.Millisecond))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			g.logDecision(ctx, slog.LevelInfo, "duplicate stopped waiting", kh, ex.Status)
			return nil, false, fmt.Errorf("%w (stopped waiting: %w)", ipe, ctx.Err())
		case <-t.C:
		}
		rec, err := g.store.Get(ctx, storeKey)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, true, nil
		case err != nil && ctx.Err() != nil:
			g.logDecision(ctx, slog.LevelInfo, "duplicate stopped waiting", kh, ex.Status)
			return nil, false, fmt.Errorf("%w (stopped waiting: %w)", ipe, ctx.Err())
		case err != nil:
			return nil, false, fmt.Errorf("idempotency: wait for key %s: %w", kh, err)
		}
		if !rec.Live(g.opts.Now()) {
			return nil, true, nil
		}
		if mismatch(ph, rec.PayloadHash) {
			g.logDecision(ctx, slog.LevelWarn, "payload mismatch", kh, rec.Status)
			return nil, false, &PayloadMismatchError{KeyHash: kh, Status: rec.Status}
		}
		if rec.Status == StatusCompleted {
			res, err := g.replay(ctx, storeKey, kh, rec, "wait")
			return res, false, err
		}
		ex = rec // still in progress (perhaps by a new holder after a takeover)
		delay = min(2*delay, maxDelay)
	}
}

// run executes fn as the holder of rec and records its outcome.
func (g *Guard) run(ctx context.Context, rec Record, kh string, fn func(context.Context) ([]byte, error)) (res []byte, err error) {
	g.logDecision(ctx, slog.LevelDebug, "acquired", kh, StatusInProgress, slog.Time("lease_ends", rec.InProgressExpiry))
	completed := false
	defer func() {
		if !completed { // fn panicked: let the next delivery do the work
			g.release(ctx, rec, kh, "panic")
		}
	}()
	// The function's context ends with the lease: without a deadline of its
	// own, a holder that outlived DefaultLease would keep working while the
	// next delivery, having taken over, does the same work.
	fctx := withoutReplayHook(ctx)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(fctx, g.opts.DefaultLease)
		defer cancel()
	}
	res, err = fn(fctx)
	completed = true
	if err != nil {
		g.release(ctx, rec, kh, "function failed")
		return res, err
	}
	rec.Status = StatusCompleted
	rec.Result = res
	rec.Expiry = g.opts.Now().Add(g.opts.Expiry)
	retryUntil, _ := fctx.Deadline() // fctx always has one: the lease's end
	cerr := g.complete(ctx, rec, retryUntil)
	tooLarge, _ := errors.AsType[*ResultTooLargeError](cerr)
	if tooLarge != nil {
		// The work is done, only its result does not fit. Releasing the
		// record would make the next delivery (a client's retry of a
		// payment) run fn again; holding it would do so after the lease,
		// as Powertools does. The record is completed without the result
		// instead: duplicates get a *ResultNotStoredError until it expires.
		rec.Result, rec.ResultNotStored = nil, true
		if cerr = g.complete(ctx, rec, retryUntil); cerr == nil {
			if g.cache != nil {
				g.cache.put(rec.Key, cacheEntry{payloadHash: rec.PayloadHash, expiry: rec.Expiry, resultNotStored: true})
			}
			g.logDecision(ctx, slog.LevelError, "completed without its result, too large for the store: duplicates are not run again and get ResultNotStoredError", kh, StatusCompleted,
				slog.Int("result_bytes", tooLarge.Size), slog.Int("limit_bytes", tooLarge.Limit))
			return res, &NotRecordedError{KeyHash: kh, Result: res, Err: tooLarge}
		}
		cerr = fmt.Errorf("%w; completing without it: %w", tooLarge, cerr)
	}
	switch {
	case cerr == nil:
		if g.cache != nil {
			g.cache.put(rec.Key, cacheEntry{result: clone(res), payloadHash: rec.PayloadHash, expiry: rec.Expiry})
		}
		g.logDecision(ctx, slog.LevelDebug, "completed", kh, StatusCompleted)
		return res, nil
	case errors.Is(cerr, ErrFenced):
		// Not a lost reply of our own completion (Complete is idempotent):
		// the record was taken over after the lease ended, or deleted. The
		// other holder's outcome stands; fn's result is returned with the
		// error so the caller sees both.
		g.logDecision(ctx, slog.LevelWarn, "completion fenced: lease taken over or record deleted", kh, StatusInProgress)
		return res, &NotRecordedError{KeyHash: kh, Result: res, Err: cerr}
	case errors.Is(cerr, ErrForeignCompletion):
		// Another runtime sharing the table completed the record we hold
		// (Powertools' completion is an unconditional update): its result,
		// not ours, is what duplicates replay.
		g.logDecision(ctx, slog.LevelError, "completion refused: another writer completed the record this delivery holds", kh, StatusCompleted)
		return res, &NotRecordedError{KeyHash: kh, Result: res, Err: cerr}
	default:
		// The store kept failing: keep the INPROGRESS record, so that
		// duplicates wait for the lease to end instead of repeating the
		// work at once. Releasing would need the same failing store, and
		// would invite an immediate second run of a side effect that has
		// already happened.
		g.logDecision(ctx, slog.LevelError, "completion failed: record held until its lease ends", kh, StatusInProgress, slog.Any("error", cerr))
		return res, &NotRecordedError{KeyHash: kh, Result: res, Held: true, Err: cerr}
	}
}

// Complete's retry: at most completeAttempts calls, waiting completeBackoff,
// then twice as long each time, and never starting an attempt after
// retryUntil (the lease's end).
const (
	completeAttempts = 4
	completeBackoff  = 50 * time.Millisecond
)

// complete records rec, retrying the store's transient errors with
// exponential backoff while the lease lasts. Permanent outcomes (fenced, a
// foreign completion, a result too large) are not retried. A retry is safe:
// a Complete that took effect but lost its reply is seen by the next one as
// the owner's own completion (see [Store.Complete]).
func (g *Guard) complete(ctx context.Context, rec Record, retryUntil time.Time) error {
	cctx, cancel := detach(ctx)
	defer cancel()
	wait := completeBackoff
	for attempt := 1; ; attempt++ {
		err := g.store.Complete(cctx, rec)
		if err == nil || errors.Is(err, ErrFenced) || errors.Is(err, ErrForeignCompletion) || isTooLarge(err) {
			return err
		}
		if attempt == completeAttempts || cctx.Err() != nil || time.Until(retryUntil) < wait {
			return fmt.Errorf("after %d attempts: %w", attempt, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-cctx.Done():
			t.Stop()
			return fmt.Errorf("after %d attempts: %w", attempt, err)
		case <-t.C:
		}
		wait *= 2
	}
}

// release gives up rec so that the next delivery does the work. A failed
// release is logged, not returned: the caller's own error matters more, and
// the record's lease ends at the latest when the caller's deadline passes.
func (g *Guard) release(ctx context.Context, rec Record, kh, reason string) {
	cctx, cancel := detach(ctx)
	defer cancel()
	err := g.store.Release(cctx, rec.Key, rec.Owner)
	switch {
	case err == nil:
		g.logDecision(ctx, slog.LevelInfo, "released", kh, StatusInProgress, slog.String("reason", reason))
	case errors.Is(err, ErrFenced):
		// The record is gone or another delivery holds it: after a takeover,
		// an operator's delete, or a retried release whose first attempt
		// deleted it (see Store.Release). The key is not blocked by us.
		g.logDecision(ctx, slog.LevelWarn, "release fenced: record gone or held by another delivery", kh, StatusInProgress, slog.String("reason", reason))
	default:
		g.logDecision(ctx, slog.LevelError, "release failed", kh, StatusInProgress, slog.String("reason", reason), slog.Any("error", err))
	}
}

// detach returns the context for recording an outcome: ctx itself while it
// is live for at least cleanupTimeout more, otherwise a context detached from
// its cancellation and bounded by cleanupTimeout.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > cleanupTimeout {
			return ctx, func() {}
		}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// leaseEnd returns when a holder acquiring at now loses its lease: at ctx's
// deadline (carried over to the Guard's clock), or after DefaultLease, plus
// SkewMargin. The function's context ends at the deadline, SkewMargin before
// the lease: another process whose clock runs up to SkewMargin ahead of
// this one's still sees the lease live for as long as the function may run.
func (g *Guard) leaseEnd(ctx context.Context, now time.Time) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return now.Add(time.Until(dl) + g.opts.SkewMargin)
	}
	return now.Add(g.opts.DefaultLease + g.opts.SkewMargin)
}

func (g *Guard) logDecision(ctx context.Context, level slog.Level, msg, kh string, st Status, attrs ...slog.Attr) {
	if !g.log.Enabled(ctx, level) {
		return
	}
	all := append([]slog.Attr{
		slog.String("namespace", g.opts.Namespace),
		slog.String("key_hash", kh),
		slog.String("status", string(st)),
	}, attrs...)
	g.log.LogAttrs(ctx, level, "idempotency: "+msg, all...)
}

// hashPayload returns the hex SHA-256 of a payload, in one allocation.
func hashPayload(p []byte) string {
	sum := sha256.Sum256(p)
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	return string(hx[:])
}

// newOwner returns a fresh fencing token: 128 random bits, hex-encoded, in
// one allocation.
func newOwner() string {
	var r [16]byte
	rand.Read(r[:]) // never fails (see crypto/rand.Read)
	var hx [2 * len(r)]byte
	hex.Encode(hx[:], r[:])
	return string(hx[:])
}

func isTooLarge(err error) bool {
	_, ok := errors.AsType[*ResultTooLargeError](err)
	return ok
}

// mismatch reports whether two payload hashes are both known and differ. A
// stored hash in another format than hashPayload's (64 lowercase hex
// digits) was written by another runtime sharing the store: Powertools
// stores an MD5 in base64 (TypeScript) or hex (Python) of its own JSON
// serialisation, which cannot be compared with ours, so it is not taken for
// a mismatch.
func mismatch(ours, stored string) bool {
	return ours != "" && stored != "" && ours != stored && ownHash(stored)
}

// ownHash reports whether h has the form of hashPayload's output.
func ownHash(h string) bool {
	if len(h) != 2*sha256.Size {
		return false
	}
	for i := range len(h) {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
