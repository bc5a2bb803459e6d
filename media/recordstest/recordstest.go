// Package recordstest is the conformance suite every [media.Records]
// implementation passes.
package recordstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/media"
)

// Run runs the suite. newRecords must return an empty store per call.
func Run(t *testing.T, newRecords func(t *testing.T) media.Records) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, &env{t: t, r: newRecords(t), now: time.Now().UTC().Truncate(time.Millisecond)})
		})
	}
}

type env struct {
	t   *testing.T
	r   media.Records
	now time.Time
	n   int
}

func (e *env) ctx() context.Context { return e.t.Context() }

// claim builds a claim for (bucket, key) with sequencer seq and a lease of d.
func (e *env) claim(key, seq string, d time.Duration) media.Claim {
	e.n++
	return media.Claim{
		ID: media.ID("bucket", key), Bucket: "bucket", Key: key,
		Sequencer: mustSeq(e.t, seq), Owner: fmt.Sprintf("owner-%d", e.n),
		CorrelationID: "req-" + seq, Now: e.now, Until: e.now.Add(d),
	}
}

func (e *env) mustClaim(c media.Claim) {
	e.t.Helper()
	if err := e.r.Claim(e.ctx(), c); err != nil {
		e.t.Fatalf("Claim(%s, seq %s): %v", c.Key, c.Sequencer, err)
	}
}

// outcome is the record an attempt commits for its claim.
func (e *env) outcome(c media.Claim, st media.Status) media.Record {
	return media.Record{
		ID: c.ID, Bucket: c.Bucket, Key: c.Key, ETag: "etag-" + c.Sequencer, VersionID: "v1",
		Sequencer: c.Sequencer, Status: st, Format: "jpeg", Width: 4000, Height: 3000, Bytes: 123456, Orientation: 6,
		Thumbnails: []media.Thumbnail{
			{Size: 512, Width: 512, Height: 384, Key: "derived/512/" + c.Key, Bytes: 4567},
			{Size: 128, Width: 128, Height: 96, Key: "derived/128/" + c.Key, Bytes: 890},
		},
		CorrelationID: c.CorrelationID, Owner: c.Owner, CreatedAt: e.now, UpdatedAt: e.now.Add(time.Second),
	}
}

func (e *env) mustCommit(rec media.Record) {
	e.t.Helper()
	if err := e.r.Commit(e.ctx(), rec); err != nil {
		e.t.Fatalf("Commit(%s, seq %s): %v", rec.Key, rec.Sequencer, err)
	}
}

func (e *env) get(id string) media.Record {
	e.t.Helper()
	rec, err := e.r.Get(e.ctx(), id)
	if err != nil {
		e.t.Fatalf("Get(%s): %v", id, err)
	}
	return rec
}

func mustSeq(t testing.TB, s string) string {
	t.Helper()
	n, err := media.NormalizeSequencer(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantErr(t testing.TB, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("%s: got error %v, want %v", what, got, want)
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"GetMissingIsErrNotFound", func(t *testing.T, e *env) {
		_, err := e.r.Get(e.ctx(), media.ID("bucket", "nothing.jpg"))
		wantErr(t, "Get missing", err, media.ErrNotFound)
	}},
	{"ClaimThenCommitRoundTrips", func(t *testing.T, e *env) {
		c := e.claim("uploads/Ünïcode photo+1.jpg", "0055AED6DCD90281E5", time.Minute)
		e.mustClaim(c)
		got := e.get(c.ID)
		if got.Status != media.StatusProcessing || got.Sequencer != c.Sequencer || got.Owner != c.Owner ||
			!got.LeaseUntil.Equal(c.Until) || got.Bucket != "bucket" || got.Key != c.Key || got.CorrelationID != c.CorrelationID {
			t.Fatalf("after Claim: %+v", got)
		}
		want := e.outcome(c, media.StatusProcessed)
		e.mustCommit(want)
		got = e.get(c.ID)
		if fmt.Sprintf("%+v", norm(got)) != fmt.Sprintf("%+v", norm(want)) {
			t.Fatalf("after Commit:\n got %+v\nwant %+v", got, want)
		}
	}},
	{"CommitIsFencedByOwnerAndSequencer", func(t *testing.T, e *env) {
		c := e.claim("a.jpg", "10", time.Minute)
		wantErr(t, "Commit without claim", e.r.Commit(e.ctx(), e.outcome(c, media.StatusProcessed)), media.ErrFenced)
		e.mustClaim(c)
		other := e.outcome(c, media.StatusProcessed)
		other.Owner = "someone-else"
		wantErr(t, "Commit by another owner", e.r.Commit(e.ctx(), other), media.ErrFenced)
		older := e.outcome(c, media.StatusProcessed)
		older.Sequencer = mustSeq(t, "0F")
		wantErr(t, "Commit with another sequencer", e.r.Commit(e.ctx(), older), media.ErrFenced)
		e.mustCommit(e.outcome(c, media.StatusRejected))
		wantErr(t, "second Commit", e.r.Commit(e.ctx(), e.outcome(c, media.StatusProcessed)), media.ErrFenced)
		if got := e.get(c.ID); got.Status != media.StatusRejected {
			t.Fatalf("status %s, want rejected", got.Status)
		}
	}},
	{"OlderEventIsStale", func(t *testing.T, e *env) {
		c := e.claim("a.jpg", "00AB", time.Minute)
		e.mustClaim(c)
		e.mustCommit(e.outcome(c, media.StatusProcessed))
		// "AA" < "00AB" only after padding: a plain string comparison
		// would order them the other way.
		wantErr(t, "Claim older", e.r.Claim(e.ctx(), e.claim("a.jpg", "AA", time.Minute)), media.ErrStale)
		wantErr(t, "Claim same after commit", e.r.Claim(e.ctx(), e.claim("a.jpg", "AB", time.Minute)), media.ErrStale)
		if got := e.get(c.ID); got.Status != media.StatusProcessed || got.Owner != c.Owner {
			t.Fatalf("stale claims changed the record: %+v", got)
		}
	}},
	{"SameEventTakesOverAnUnfinishedAttempt", func(t *testing.T, e *env) {
		first := e.claim("a.jpg", "20", time.Hour)
		e.mustClaim(first)
		second := e.claim("a.jpg", "20", time.Hour)
		e.mustClaim(second)
		wantErr(t, "Commit by the first attempt", e.r.Commit(e.ctx(), e.outcome(first, media.StatusProcessed)), media.ErrFenced)
		e.mustCommit(e.outcome(second, media.StatusProcessed))
	}},
	{"NewerEventWaitsForALiveOlderClaim", func(t *testing.T, e *env) {
		older := e.claim("a.jpg", "30", time.Minute)
		e.mustClaim(older)
		newer := e.claim("a.jpg", "31", time.Minute)
		wantErr(t, "Claim newer during lease", e.r.Claim(e.ctx(), newer), media.ErrBusy)
		newer.Now = older.Until // the lease has run out
		newer.Until = newer.Now.Add(time.Minute)
		e.mustClaim(newer)
		wantErr(t, "Commit by the expired older", e.r.Commit(e.ctx(), e.outcome(older, media.StatusProcessed)), media.ErrFenced)
		e.mustCommit(e.outcome(newer, media.StatusDeleted))
	}},
	{"NewerClaimKeepsThePreviousOutcome", func(t *testing.T, e *env) {
		c := e.claim("a.jpg", "40", time.Minute)
		e.mustClaim(c)
		done := e.outcome(c, media.StatusProcessed)
		e.mustCommit(done)
		n := e.claim("a.jpg", "41", time.Minute)
		e.mustClaim(n)
		got := e.get(c.ID)
		if got.Status != media.StatusProcessing || got.Sequencer != n.Sequencer || got.Owner != n.Owner {
			t.Fatalf("after newer Claim: %+v", got)
		}
		if len(got.Thumbnails) != 2 || got.ETag != done.ETag || !got.CreatedAt.Equal(done.CreatedAt) {
			t.Fatalf("newer Claim dropped the previous outcome: %+v", got)
		}
	}},
	{"ConcurrentClaimsHaveOneHolder", func(t *testing.T, e *env) {
		const n = 8
		claims := make([]media.Claim, n)
		for i := range claims {
			claims[i] = e.claim("race.jpg", fmt.Sprintf("%X", 0x100+i), time.Hour)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range claims {
			wg.Go(func() { errs[i] = e.r.Claim(e.ctx(), claims[i]) })
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, media.ErrBusy), errors.Is(err, media.ErrStale):
			default:
				t.Fatalf("claim %d: %v", i, err)
			}
		}
		if won == 0 {
			t.Fatal("no claim won")
		}
		committed := 0
		for _, c := range claims {
			err := e.r.Commit(e.ctx(), e.outcome(c, media.StatusProcessed))
			switch {
			case err == nil:
				committed++
			case !errors.Is(err, media.ErrFenced):
				t.Fatalf("commit: %v", err)
			}
		}
		if committed != 1 {
			t.Fatalf("%d commits succeeded (%d claims won), want exactly 1", committed, won)
		}
	}},
	{"ListPagesAndFiltersByStatus", func(t *testing.T, e *env) {
		for i := range 5 {
			c := e.claim(fmt.Sprintf("list/%d.jpg", i), "50", time.Minute)
			e.mustClaim(c)
			st := media.StatusProcessed
			if i%2 == 1 {
				st = media.StatusRejected
			}
			e.mustCommit(e.outcome(c, st))
		}
		seen := map[string]bool{}
		after := ""
		for range 10 {
			page, next, err := e.r.List(e.ctx(), media.ListOptions{After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 2 {
				t.Fatalf("page of %d records, limit 2", len(page))
			}
			for _, r := range page {
				if seen[r.ID] {
					t.Fatalf("record %s listed twice", r.ID)
				}
				seen[r.ID] = true
			}
			if next == "" {
				break
			}
			after = next
		}
		if len(seen) != 5 {
			t.Fatalf("listed %d records, want 5", len(seen))
		}
		var rejected []media.Record
		after = ""
		for range 10 {
			page, next, err := e.r.List(e.ctx(), media.ListOptions{Status: media.StatusRejected, After: after})
			if err != nil {
				t.Fatal(err)
			}
			rejected = append(rejected, page...)
			if next == "" {
				break
			}
			after = next
		}
		if len(rejected) != 2 {
			t.Fatalf("listed %d rejected records, want 2", len(rejected))
		}
		for _, r := range rejected {
			if r.Status != media.StatusRejected {
				t.Fatalf("status filter returned %s", r.Status)
			}
		}
	}},
	{"CancelledContextIsHonoured", func(t *testing.T, e *env) {
		ctx, cancel := context.WithCancel(e.ctx())
		cancel()
		c := e.claim("a.jpg", "60", time.Minute)
		if err := e.r.Claim(ctx, c); err == nil {
			t.Fatal("Claim with a cancelled context succeeded")
		}
		if _, err := e.r.Get(ctx, c.ID); err == nil || errors.Is(err, media.ErrNotFound) {
			t.Fatalf("Get with a cancelled context: %v", err)
		}
	}},
}

// norm makes records comparable: times in UTC.
func norm(r media.Record) media.Record {
	r.CreatedAt, r.UpdatedAt, r.LeaseUntil = r.CreatedAt.UTC(), r.UpdatedAt.UTC(), r.LeaseUntil.UTC()
	return r
}
