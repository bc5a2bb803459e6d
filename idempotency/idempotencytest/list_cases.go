package idempotencytest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
)

// ListStore is a store that can also list its records.
type ListStore interface {
	idempotency.Store
	idempotency.Lister
}

// RunList checks an [idempotency.Lister] against its contract on a fresh
// store from newStore: pages in key order that join up through their
// cursors (each record once), the status filter, the stuck filter (in progress past the lease,
// not expired) and results left out. The store must be empty.
func RunList(t *testing.T, newStore func(t *testing.T) ListStore) {
	t.Helper()
	s := newStore(t)
	ctx := t.Context()
	start := time.Now().Truncate(time.Millisecond)
	want := map[string]idempotency.Status{}
	var stuck []string
	for i := range 23 {
		key := fmt.Sprintf("list-%02d", i)
		rec := idempotency.Record{Key: key, Status: idempotency.StatusInProgress, Owner: "o-" + key, PayloadHash: "h",
			InProgressExpiry: start.Add(time.Minute), Expiry: start.Add(time.Hour)}
		switch i % 3 {
		case 1: // stuck at start+2m: the lease ended, the record has not expired
			stuck = append(stuck, key)
		case 2: // live in progress at start+2m
			rec.InProgressExpiry = start.Add(10 * time.Minute)
		}
		if err := s.Acquire(ctx, rec, start); err != nil {
			t.Fatalf("Acquire(%s): %v", key, err)
		}
		want[key] = idempotency.StatusInProgress
		if i%3 == 0 {
			rec.Status, rec.Result = idempotency.StatusCompleted, []byte(`{"ok":true}`)
			if err := s.Complete(ctx, rec); err != nil {
				t.Fatalf("Complete(%s): %v", key, err)
			}
			want[key] = idempotency.StatusCompleted
		}
	}
	all := func(t *testing.T, opts idempotency.ListOptions) []idempotency.Record {
		t.Helper()
		var out []idempotency.Record
		for page := 0; ; page++ {
			if page > 100 {
				t.Fatal("List never returned an empty cursor")
			}
			recs, next, err := s.List(ctx, opts)
			if err != nil {
				t.Fatalf("List(%+v): %v", opts, err)
			}
			if len(recs) > opts.PageSize() {
				t.Fatalf("List(limit %d) returned %d records", opts.Limit, len(recs))
			}
			out = append(out, recs...)
			if next == "" {
				return out
			}
			opts.After = next
		}
	}
	// keys returns the sorted keys of recs (stores list in their own order).
	keys := func(recs []idempotency.Record) []string {
		var k []string
		for _, r := range recs {
			k = append(k, r.Key)
		}
		slices.Sort(k)
		return k
	}
	t.Run("all records once", func(t *testing.T) {
		recs := all(t, idempotency.ListOptions{Limit: 5})
		if got := keys(recs); len(got) != len(want) || len(slices.Compact(got)) != len(want) {
			t.Fatalf("listed %v, want each of the %d keys once", keys(recs), len(want))
		}
		for _, r := range recs {
			if r.Status != want[r.Key] {
				t.Errorf("%s: status %s, want %s", r.Key, r.Status, want[r.Key])
			}
			if r.Result != nil {
				t.Errorf("%s: Result %q, want nil in a listing", r.Key, r.Result)
			}
			if r.Owner != "o-"+r.Key || r.Expiry.IsZero() || r.InProgressExpiry.IsZero() {
				t.Errorf("%s: incomplete record %+v", r.Key, r)
			}
		}
	})
	t.Run("status filter", func(t *testing.T) {
		recs := all(t, idempotency.ListOptions{Status: idempotency.StatusCompleted, Limit: 3})
		var exp []string
		for k, st := range want {
			if st == idempotency.StatusCompleted {
				exp = append(exp, k)
			}
		}
		slices.Sort(exp)
		if got := keys(recs); !slices.Equal(got, exp) {
			t.Fatalf("completed: %v, want %v", got, exp)
		}
	})
	t.Run("stuck records", func(t *testing.T) {
		got := keys(all(t, idempotency.ListOptions{StuckAt: start.Add(2 * time.Minute), Limit: 2}))
		if !slices.Equal(got, stuck) {
			t.Fatalf("stuck at +2m: %v, want %v", got, stuck)
		}
		if got := keys(all(t, idempotency.ListOptions{StuckAt: start.Add(30 * time.Second)})); len(got) != 0 {
			t.Fatalf("stuck at +30s: %v, want none (every lease still runs)", got)
		}
		if got := keys(all(t, idempotency.ListOptions{StuckAt: start.Add(2 * time.Hour)})); len(got) != 0 {
			t.Fatalf("stuck at +2h: %v, want none (all expired)", got)
		}
	})
}
