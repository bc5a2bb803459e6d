package idempotencytest

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// ForeignWriter is implemented by a store under test (usually a test
// wrapper of it) that can also write as another writer sharing its storage
// would: without Rampart's owner token. For DynamoDB that writer is
// Powertools for AWS Lambda, whose completion is an unconditional
// UpdateItem setting status, data and expiration; for the other stores, an
// operator's tool or another program writing the same layout.
//
// Run's foreign-completion cases need it and are skipped for stores
// without it.
type ForeignWriter interface {
	// CompleteForeign turns the record stored under key COMPLETED with
	// result and expiry, as that writer would, changing nothing else.
	CompleteForeign(ctx context.Context, key string, result []byte, expiry time.Time) error
}

func foreignWriter(t *testing.T, e *env) ForeignWriter {
	t.Helper()
	fw, ok := e.store.(ForeignWriter)
	if !ok {
		t.Skip("the store under test has no idempotencytest.ForeignWriter")
	}
	return fw
}

var foreignStoreCases = []testCase{
	{
		name: "CompleteForeignCompletion",
		rule: "Complete by the holder of a record that another writer completed meanwhile (keeping the holder's owner, without its completion) is ErrForeignCompletion, not a success, and changes nothing",
		run: func(t *testing.T, e *env) {
			fw := foreignWriter(t, e)
			rec := inProgress(e, "k", "owner-1")
			mustAcquire(t, e, rec)
			exp := e.clock.Now().Add(expiry)
			if err := fw.CompleteForeign(t.Context(), "k", []byte("theirs"), exp); err != nil {
				t.Fatalf("CompleteForeign: %v", err)
			}
			ours := rec
			ours.Status, ours.Result, ours.Expiry = idempotency.StatusCompleted, []byte("ours"), e.clock.Now().Add(expiry)
			if err := e.store.Complete(t.Context(), ours); !errors.Is(err, idempotency.ErrForeignCompletion) {
				t.Errorf("Complete after a foreign completion = %v; want ErrForeignCompletion", err)
			}
			got := mustGet(t, e, "k")
			if got.Status != idempotency.StatusCompleted || string(got.Result) != "theirs" {
				t.Errorf("record %s %q; want the other writer's COMPLETED %q", got.Status, got.Result, "theirs")
			}
			// The holder's own completion is still recognised as its own.
			rec2 := inProgress(e, "k2", "owner-2")
			mustAcquire(t, e, rec2)
			done := mustComplete(t, e, rec2, []byte("mine"))
			if err := e.store.Complete(t.Context(), done); err != nil {
				t.Errorf("retried Complete of the owner's own completion = %v; want nil", err)
			}
		},
	},
}

var foreignGuardCases = []testCase{
	{
		name: "ForeignCompletion",
		rule: "when another writer completes the record a holder holds, Do returns the holder's result with a *NotRecordedError wrapping ErrForeignCompletion, logs it at Error, and duplicates replay the other writer's result",
		run: func(t *testing.T, e *env) {
			fw := foreignWriter(t, e)
			var logs testingutil.Buffer
			g := e.guard(idempotency.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			c := &counter{}
			release, done := holder(t.Context(), g, "k", []byte("ours"), nil)
			if err := fw.CompleteForeign(t.Context(), g.StoreKey("k"), []byte("theirs"), e.clock.Now().Add(time.Hour)); err != nil {
				t.Fatalf("CompleteForeign: %v", err)
			}
			close(release)
			r := <-done
			nr, ok := errors.AsType[*idempotency.NotRecordedError](r.err)
			if !ok || !errors.Is(r.err, idempotency.ErrForeignCompletion) || string(r.res) != "ours" || nr.Held {
				t.Fatalf("holder: %q, %v; want its result and a *NotRecordedError wrapping ErrForeignCompletion", r.res, r.err)
			}
			if l := logs.String(); !strings.Contains(l, `"level":"ERROR"`) || !strings.Contains(l, "another writer") {
				t.Errorf("no Error log line about the other writer:\n%s", l)
			}
			if res := mustDo(t, g, t.Context(), "k", []byte("payload"), c.fn); string(res) != "theirs" || c.n.Load() != 0 {
				t.Errorf("duplicate: %q after %d runs; want the other writer's result replayed", res, c.n.Load())
			}
		},
	},
}
