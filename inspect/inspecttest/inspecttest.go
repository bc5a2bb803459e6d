// Package inspecttest is the conformance suite every [inspect.Source]
// passes: inspect/local over a data folder and inspect/awsstate over
// DynamoDB and S3 run the same cases, so the two read models cannot drift
// apart.
//
// A backend's test writes the suite's known state through its own stores
// (four media records and two idempotency records, at fixed offsets from a
// time Now) and calls [Run] with the source over it and the [Facts] it
// wrote.
package inspecttest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/media"
)

// Facts describe the state a backend's fixture wrote before [Run]:
//
//   - OldRejected: rejected, updated at Now-2h;
//   - Processed: processed, updated at Now-10m;
//   - Rejected: rejected, key "uploads/notes.txt" (the only key under
//     "uploads/n"), updated at Now-5m, with RejectedReason and correlation
//     id RequestID;
//   - Processing: processing, updated at Now-1m;
//   - Stuck: an idempotency record in progress past its lease, not expired;
//   - Completed: a completed idempotency record;
//
// and nothing else (no other media or idempotency records).
type Facts struct {
	Now                                          time.Time
	Processed, Rejected, Processing, OldRejected string // media record ids
	RejectedReason, RequestID                    string
	Stuck, Completed                             string // idempotency keys
}

// Run runs the suite's cases on src, a source over the state f describes,
// which the cases only read. The source's clock must be f.Now.
func Run(t *testing.T, src inspect.Source, f Facts) {
	t.Helper()
	name, where := src.Backend()
	t.Logf("backend: %s (%s)", name, where)
	ctx := t.Context()
	ids := func(p inspect.Page[media.Record]) []string {
		var out []string
		for _, r := range p.Items {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    inspect.MediaQuery
		want []string
	}{
		{"media: all, newest update first", inspect.MediaQuery{}, []string{f.Processing, f.Rejected, f.Processed, f.OldRejected}},
		{"media: status", inspect.MediaQuery{Status: media.StatusRejected}, []string{f.Rejected, f.OldRejected}},
		{"media: rejected in the last hour", inspect.MediaQuery{Status: media.StatusRejected, Since: f.Now.Add(-time.Hour)}, []string{f.Rejected}},
		// The four time boundaries: Since is inclusive, Until exclusive,
		// to the millisecond.
		{"media: since within a millisecond", inspect.MediaQuery{Since: f.Now.Add(-5*time.Minute + time.Millisecond)}, []string{f.Processing}},
		{"media: since exactly", inspect.MediaQuery{Since: f.Now.Add(-5 * time.Minute)}, []string{f.Processing, f.Rejected}},
		{"media: until exclusive", inspect.MediaQuery{Until: f.Now.Add(-5 * time.Minute)}, []string{f.Processed, f.OldRejected}},
		{"media: until within a millisecond", inspect.MediaQuery{Until: f.Now.Add(-5*time.Minute + time.Millisecond)}, []string{f.Rejected, f.Processed, f.OldRejected}},
		{"media: until between records", inspect.MediaQuery{Until: f.Now.Add(-6 * time.Minute)}, []string{f.Processed, f.OldRejected}},
		{"media: prefix", inspect.MediaQuery{Prefix: "uploads/n"}, []string{f.Rejected}},
		{"media: no match", inspect.MediaQuery{Prefix: "elsewhere/"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := src.Media(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p); !slices.Equal(got, tc.want) || p.Next != "" {
				t.Fatalf("got %v (next %q), want %v", got, p.Next, tc.want)
			}
		})
	}
	t.Run("media: one record and the counts", func(t *testing.T) {
		r, err := src.MediaRecord(ctx, f.Rejected)
		if err != nil || r.Reason != f.RejectedReason || r.CorrelationID != f.RequestID || r.Key != "uploads/notes.txt" {
			t.Fatalf("MediaRecord = %+v, %v", r, err)
		}
		if _, err := src.MediaRecord(ctx, "missing"); !errors.Is(err, inspect.ErrNotFound) {
			t.Fatalf("missing: %v, want ErrNotFound", err)
		}
		c, err := src.MediaCounts(ctx)
		if err != nil || c[media.StatusRejected] != 2 || c[media.StatusProcessed] != 1 || c[media.StatusProcessing] != 1 {
			t.Fatalf("counts = %v, %v", c, err)
		}
	})
	t.Run("media: bad cursor", func(t *testing.T) {
		if _, err := src.Media(ctx, inspect.MediaQuery{After: "nonsense"}); !errors.Is(err, inspect.ErrInvalidCursor) {
			t.Fatalf("err = %v, want ErrInvalidCursor", err)
		}
	})
	t.Run("media: the order is stated", func(t *testing.T) {
		if o := src.MediaOrder(); o != inspect.NewestFirst && o != inspect.NewestFirstPerPage {
			t.Fatalf("MediaOrder = %v", o)
		}
	})
	t.Run("idempotency: stuck and completed", func(t *testing.T) {
		p, err := src.Idempotency(ctx, inspect.IdempotencyQuery{Stuck: true})
		if err != nil || len(p.Items) != 1 || p.Items[0].Key != f.Stuck || !p.Items[0].Stuck {
			t.Fatalf("stuck = %+v, %v", p, err)
		}
		p, err = src.Idempotency(ctx, inspect.IdempotencyQuery{Status: "COMPLETED"})
		if err != nil || len(p.Items) != 1 || p.Items[0].Key != f.Completed || p.Items[0].Stuck {
			t.Fatalf("completed = %+v, %v", p, err)
		}
	})
}
