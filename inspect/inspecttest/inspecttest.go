// Package inspecttest is the conformance suite every [inspect.Source]
// passes: inspect/local over a data folder and inspect/awsstate over
// DynamoDB and S3 run the same cases, so the two read models cannot drift
// apart. A new Source method, optional capability or behaviour gets its
// case here, not in one backend's tests.
//
// A backend's test writes the suite's known state through its own stores
// (see [Facts]) and calls [Run] with the source over it. Run reads first;
// when the source is an [inspect.Writer] it then evicts and redrives, so
// the state is used up by one Run.
package inspecttest

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/media"
)

// Facts describe the state a backend's fixture wrote before [Run]:
//
// Media records, and nothing else:
//   - OldRejected: rejected, updated at Now-2h;
//   - Processed: processed, updated at Now-10m;
//   - Rejected: rejected, key "uploads/notes.txt" (the only key under
//     "uploads/n"), updated at Now-5m, with RejectedReason and correlation
//     id RequestID;
//   - Processing: processing, updated at Now-1m.
//
// Idempotency records, and nothing else:
//   - Stuck: in progress past its lease, not expired;
//   - Completed: completed.
//
// Objects, and nothing else: "derived/128/uploads/cat.png",
// "uploads/cat.png" and "uploads/notes.txt" (body "not an image").
//
// Structured log lines, with LogLines their messages oldest first. The
// lines of RequestID (RequestLog, oldest first) begin with "object
// uploaded" at Now-5m, the only line whose text holds "uploads/notes.txt",
// then "message received" at Now-5m+1s and "object rejected" (WARN,
// attribute reason = RejectedReason) at Now-5m+2s.
//
// The queue as Queue counts it. When the source lists dead letters, the
// only one is DeadID, died of DeadError, carrying an S3 event for
// "uploads/notes.txt" with correlation id RequestID. A redrive moves the
// dead letters at once.
//
// When the source lists tokens: those with the ids Tokens, one of whose
// secrets is TokenSecret (which no listing may show).
//
// ColdStartLogs names the cold-start log sources; nil means there are none
// (ColdStartLogs returns ErrNotFound).
type Facts struct {
	Now                                          time.Time
	Processed, Rejected, Processing, OldRejected string // media record ids
	RejectedReason, RequestID                    string
	Stuck, Completed                             string // idempotency keys

	LogLines, RequestLog []string

	Queue             inspect.QueueStats
	DeadID, DeadError string
	Tokens            []string
	TokenSecret       string
	ColdStartLogs     []string
}

// The objects every fixture writes, in key order.
var objectKeys = []string{"derived/128/uploads/cat.png", "uploads/cat.png", "uploads/notes.txt"}

// Run runs the suite's cases on src, a source over the state f describes.
// The source's clock must be f.Now.
func Run(t *testing.T, src inspect.Source, f Facts) {
	t.Helper()
	name, where := src.Backend()
	t.Logf("backend: %s (%s)", name, where)
	if name == "" {
		t.Error("Backend names no backend")
	}
	runMedia(t, src, f)
	runIdempotency(t, src, f)
	runObjects(t, src)
	runLogs(t, src, f)
	runQueue(t, src, f)
	runTokens(t, src, f)
	runColdStart(t, src, f)
	if w, ok := src.(inspect.Writer); ok {
		runWrites(t, src, w, f)
	}
}

func ids(p inspect.Page[media.Record]) []string {
	var out []string
	for _, r := range p.Items {
		out = append(out, r.ID)
	}
	return out
}

func runMedia(t *testing.T, src inspect.Source, f Facts) {
	ctx := t.Context()
	newest := []string{f.Processing, f.Rejected, f.Processed, f.OldRejected}
	for _, tc := range []struct {
		name string
		q    inspect.MediaQuery
		want []string
	}{
		{"media: all, newest update first", inspect.MediaQuery{}, newest},
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
	t.Run("media: one a page, in the stated order", func(t *testing.T) {
		order := src.MediaOrder()
		if order != inspect.NewestFirst && order != inspect.NewestFirstPerPage {
			t.Fatalf("MediaOrder = %v", order)
		}
		var got []string
		q := inspect.MediaQuery{Limit: 1}
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("no end of pages")
			}
			p, err := src.Media(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > 1 {
				t.Fatalf("a page of %d records with limit 1", len(p.Items))
			}
			got = append(got, ids(p)...)
			if p.Next == "" {
				break
			}
			q.After = p.Next
		}
		if order == inspect.NewestFirstPerPage {
			slices.Sort(got)
			want := slices.Sorted(slices.Values(newest))
			if !slices.Equal(got, want) {
				t.Fatalf("paged %v, want each of %v once", got, want)
			}
		} else if !slices.Equal(got, newest) {
			t.Fatalf("paged %v, want %v (%v)", got, newest, order)
		}
	})
	t.Run("media: one record and the counts", func(t *testing.T) {
		r, err := src.MediaRecord(ctx, f.Rejected)
		if err != nil || r.Reason != f.RejectedReason || r.CorrelationID != f.RequestID || r.Key != "uploads/notes.txt" || r.Status != media.StatusRejected {
			t.Fatalf("MediaRecord = %+v, %v", r, err)
		}
		if _, err := src.MediaRecord(ctx, "missing"); !errors.Is(err, inspect.ErrNotFound) {
			t.Fatalf("missing: %v, want ErrNotFound", err)
		}
		c, err := src.MediaCounts(ctx)
		if err != nil || c[media.StatusRejected] != 2 || c[media.StatusProcessed] != 1 || c[media.StatusProcessing] != 1 || len(c) != 3 {
			t.Fatalf("counts = %v, %v", c, err)
		}
	})
	t.Run("media: bad cursor", func(t *testing.T) {
		if _, err := src.Media(ctx, inspect.MediaQuery{After: "nonsense"}); !errors.Is(err, inspect.ErrInvalidCursor) {
			t.Fatalf("err = %v, want ErrInvalidCursor", err)
		}
	})
}

func runIdempotency(t *testing.T, src inspect.Source, f Facts) {
	ctx := t.Context()
	t.Run("idempotency: stuck and completed", func(t *testing.T) {
		p, err := src.Idempotency(ctx, inspect.IdempotencyQuery{Stuck: true})
		if err != nil || len(p.Items) != 1 || p.Items[0].Key != f.Stuck || !p.Items[0].Stuck || p.Items[0].Status != "INPROGRESS" {
			t.Fatalf("stuck = %+v, %v", p, err)
		}
		p, err = src.Idempotency(ctx, inspect.IdempotencyQuery{Status: "COMPLETED"})
		if err != nil || len(p.Items) != 1 || p.Items[0].Key != f.Completed || p.Items[0].Stuck {
			t.Fatalf("completed = %+v, %v", p, err)
		}
	})
	t.Run("idempotency: one a page", func(t *testing.T) {
		var got []string
		q := inspect.IdempotencyQuery{Limit: 1}
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("no end of pages")
			}
			p, err := src.Idempotency(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > 1 {
				t.Fatalf("a page of %d records with limit 1", len(p.Items))
			}
			for _, r := range p.Items {
				got = append(got, r.Key)
			}
			if p.Next == "" {
				break
			}
			q.After = p.Next
		}
		slices.Sort(got)
		if want := slices.Sorted(slices.Values([]string{f.Stuck, f.Completed})); !slices.Equal(got, want) {
			t.Fatalf("paged %v, want %v", got, want)
		}
	})
}

func runObjects(t *testing.T, src inspect.Source) {
	ctx := t.Context()
	t.Run("objects: key order, one a page", func(t *testing.T) {
		var got []string
		q := inspect.ObjectQuery{Limit: 1}
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("no end of pages")
			}
			p, err := src.Objects(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > 1 {
				t.Fatalf("a page of %d objects with limit 1", len(p.Items))
			}
			for _, o := range p.Items {
				got = append(got, o.Key)
			}
			if p.Next == "" {
				break
			}
			q.After = p.Next
		}
		if !slices.Equal(got, objectKeys) {
			t.Fatalf("objects %v, want %v", got, objectKeys)
		}
	})
	t.Run("objects: prefix", func(t *testing.T) {
		p, err := src.Objects(ctx, inspect.ObjectQuery{Prefix: "uploads/"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range p.Items {
			got = append(got, o.Key)
		}
		if want := objectKeys[1:]; !slices.Equal(got, want) || p.Next != "" {
			t.Fatalf("objects under uploads/: %v (next %q), want %v", got, p.Next, want)
		}
	})
	t.Run("objects: head and body", func(t *testing.T) {
		o, err := src.Object(ctx, "uploads/notes.txt")
		if err != nil || o.Key != "uploads/notes.txt" || o.Size != int64(len("not an image")) || o.ETag == "" {
			t.Fatalf("head = %+v, %v", o, err)
		}
		body, bo, err := src.ObjectBody(ctx, "uploads/notes.txt")
		if err != nil || string(body) != "not an image" || bo.Size != o.Size || bo.ETag != o.ETag {
			t.Fatalf("body = %q %+v, %v", body, bo, err)
		}
		th, err := src.Object(ctx, "derived/128/uploads/cat.png")
		if err != nil {
			t.Fatal(err)
		}
		if body, _, err := src.ObjectBody(ctx, th.Key); err != nil || int64(len(body)) != th.Size {
			t.Fatalf("thumbnail body: %d bytes, %v; head says %d", len(body), err, th.Size)
		}
		if _, err := src.Object(ctx, "uploads/missing"); !errors.Is(err, inspect.ErrNotFound) {
			t.Fatalf("head of a missing object: %v, want ErrNotFound", err)
		}
		if _, _, err := src.ObjectBody(ctx, "uploads/missing"); !errors.Is(err, inspect.ErrNotFound) {
			t.Fatalf("body of a missing object: %v, want ErrNotFound", err)
		}
	})
}

// messages pages through Logs with q and returns the messages in order,
// checking that each page is oldest first and joins the one before.
func messages(t *testing.T, src inspect.Source, q inspect.LogQuery) []string {
	t.Helper()
	var out []string
	var last time.Time
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("no end of pages")
		}
		p, err := src.Logs(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if q.Limit > 0 && len(p.Items) > q.Limit {
			t.Fatalf("a page of %d lines with limit %d", len(p.Items), q.Limit)
		}
		for _, e := range p.Items {
			if e.Time.Before(last) {
				t.Fatalf("%q at %v after a line at %v", e.Message, e.Time, last)
			}
			last = e.Time
			out = append(out, e.Message)
		}
		if p.Next == "" {
			return out
		}
		q.After = p.Next
	}
}

func runLogs(t *testing.T, src inspect.Source, f Facts) {
	ctx := t.Context()
	rejectedAt := f.Now.Add(-5*time.Minute + 2*time.Second)
	i := slices.Index(f.RequestLog, "object rejected")
	if len(f.RequestLog) < 3 || f.RequestLog[0] != "object uploaded" || i < 0 {
		t.Fatalf("Facts.RequestLog %q does not describe the fixture's request", f.RequestLog)
	}
	t.Run("logs: all, oldest first, across pages", func(t *testing.T) {
		if got := messages(t, src, inspect.LogQuery{}); !slices.Equal(got, f.LogLines) {
			t.Fatalf("got  %q\nwant %q", got, f.LogLines)
		}
		if got := messages(t, src, inspect.LogQuery{Limit: 2}); !slices.Equal(got, f.LogLines) {
			t.Fatalf("two a page: got %q\nwant %q", got, f.LogLines)
		}
	})
	t.Run("logs: one request", func(t *testing.T) {
		p, err := src.Logs(ctx, inspect.LogQuery{CorrelationID: f.RequestID})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range p.Items {
			got = append(got, e.Message)
			if e.CorrelationID != f.RequestID {
				t.Errorf("%q has correlation id %q", e.Message, e.CorrelationID)
			}
		}
		if !slices.Equal(got, f.RequestLog) || p.Next != "" {
			t.Fatalf("got %q (next %q), want %q", got, p.Next, f.RequestLog)
		}
		rej := p.Items[i]
		if rej.Level != "WARN" || rej.Attrs["reason"] != f.RejectedReason || !rej.Time.Equal(rejectedAt) {
			t.Fatalf("the rejection's line: %+v", rej)
		}
		if got := messages(t, src, inspect.LogQuery{CorrelationID: f.RequestID, Limit: 1}); !slices.Equal(got, f.RequestLog) {
			t.Fatalf("one a page: %q, want %q", got, f.RequestLog)
		}
	})
	t.Run("logs: since inclusive, until exclusive", func(t *testing.T) {
		q := inspect.LogQuery{CorrelationID: f.RequestID, Since: rejectedAt}
		if got := messages(t, src, q); !slices.Equal(got, f.RequestLog[i:]) {
			t.Fatalf("since the rejection: %q, want %q", got, f.RequestLog[i:])
		}
		q = inspect.LogQuery{CorrelationID: f.RequestID, Since: rejectedAt.Add(time.Millisecond)}
		if got := messages(t, src, q); !slices.Equal(got, f.RequestLog[i+1:]) {
			t.Fatalf("since a millisecond after: %q, want %q", got, f.RequestLog[i+1:])
		}
		q = inspect.LogQuery{CorrelationID: f.RequestID, Until: rejectedAt}
		if got := messages(t, src, q); !slices.Equal(got, f.RequestLog[:i]) {
			t.Fatalf("until the rejection: %q, want %q", got, f.RequestLog[:i])
		}
		q = inspect.LogQuery{CorrelationID: f.RequestID, Until: rejectedAt.Add(time.Millisecond)}
		if got := messages(t, src, q); !slices.Equal(got, f.RequestLog[:i+1]) {
			t.Fatalf("until a millisecond after: %q, want %q", got, f.RequestLog[:i+1])
		}
	})
	t.Run("logs: level and text", func(t *testing.T) {
		p, err := src.Logs(ctx, inspect.LogQuery{MinLevel: "WARN"})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range p.Items {
			if e.Level != "WARN" && e.Level != "ERROR" {
				t.Errorf("%q at level %s with MinLevel WARN", e.Message, e.Level)
			}
			found = found || e.Message == "object rejected"
		}
		if !found {
			t.Errorf("MinLevel WARN left out the rejection: %+v", p.Items)
		}
		if got := messages(t, src, inspect.LogQuery{Contains: "uploads/notes.txt"}); !slices.Equal(got, []string{"object uploaded"}) {
			t.Fatalf("lines holding uploads/notes.txt: %q", got)
		}
	})
	t.Run("logs: bad cursor", func(t *testing.T) {
		if _, err := src.Logs(ctx, inspect.LogQuery{After: "nonsense"}); !errors.Is(err, inspect.ErrInvalidCursor) {
			t.Fatalf("err = %v, want ErrInvalidCursor", err)
		}
	})
}

func runQueue(t *testing.T, src inspect.Source, f Facts) {
	ctx := t.Context()
	t.Run("queue: counts", func(t *testing.T) {
		st, err := src.Queue(ctx)
		if err != nil || st.Visible != f.Queue.Visible || st.InFlight != f.Queue.InFlight || st.DeadLetters != f.Queue.DeadLetters {
			t.Fatalf("queue = %+v, %v; want %+v", st, err, f.Queue)
		}
	})
	dl, ok := src.(inspect.DeadLetterLister)
	if !ok {
		t.Run("queue: why no dead-letter listing", func(t *testing.T) {
			if why := inspect.WhyNot(src, inspect.DeadLetterListing); why == "" {
				t.Fatal("no reason")
			}
		})
		return
	}
	t.Run("queue: dead letters", func(t *testing.T) {
		p, err := dl.DeadLetters(ctx, inspect.DeadLetterQuery{})
		if err != nil || len(p.Items) != f.Queue.DeadLetters || len(p.Items) != 1 {
			t.Fatalf("dead letters = %+v, %v; want the one", p, err)
		}
		d := p.Items[0]
		if d.ID != f.DeadID || d.Reason == "" || d.LastError != f.DeadError || d.CorrelationID != f.RequestID ||
			!slices.Equal(d.Keys, []string{"uploads/notes.txt"}) || d.ReceiveCount < 1 || d.SentAt.IsZero() {
			t.Fatalf("dead letter = %+v", d)
		}
		if _, err := dl.DeadLetters(ctx, inspect.DeadLetterQuery{After: "nonsense"}); !errors.Is(err, inspect.ErrInvalidCursor) {
			t.Fatalf("bad cursor: %v, want ErrInvalidCursor", err)
		}
	})
}

func runTokens(t *testing.T, src inspect.Source, f Facts) {
	tl, ok := src.(inspect.TokenLister)
	if !ok {
		t.Run("tokens: why no listing", func(t *testing.T) {
			if why := inspect.WhyNot(src, inspect.TokenListing); why == "" {
				t.Fatal("no reason")
			}
		})
		return
	}
	t.Run("tokens: ids and metadata, no secrets", func(t *testing.T) {
		toks, err := tl.Tokens(t.Context())
		if err != nil || toks == nil {
			t.Fatalf("tokens = %v, %v (want a list, empty or not)", toks, err)
		}
		var got []string
		for _, tok := range toks {
			got = append(got, tok.ID)
		}
		slices.Sort(got)
		if want := slices.Sorted(slices.Values(f.Tokens)); !slices.Equal(got, want) {
			t.Fatalf("token ids %v, want %v", got, want)
		}
		b, _ := json.Marshal(toks)
		if f.TokenSecret != "" && strings.Contains(string(b), f.TokenSecret) {
			t.Fatalf("the listing shows a token's secret: %s", b)
		}
	})
}

func runColdStart(t *testing.T, src inspect.Source, f Facts) {
	t.Run("cold-start logs", func(t *testing.T) {
		cs, names, err := src.ColdStartLogs(t.Context())
		if f.ColdStartLogs == nil {
			if !errors.Is(err, inspect.ErrNotFound) {
				t.Fatalf("ColdStartLogs = %v, %v; want ErrNotFound", names, err)
			}
			return
		}
		if err != nil || cs == nil || !slices.Equal(names, f.ColdStartLogs) {
			t.Fatalf("ColdStartLogs = %v, %v; want %v", names, err, f.ColdStartLogs)
		}
	})
}

func runWrites(t *testing.T, src inspect.Source, w inspect.Writer, f Facts) {
	ctx := t.Context()
	t.Run("writes: evict", func(t *testing.T) {
		rec, err := w.EvictIdempotency(ctx, f.Stuck)
		if err != nil || rec.Key != f.Stuck || rec.Status != "INPROGRESS" {
			t.Fatalf("evict = %+v, %v", rec, err)
		}
		if _, err := w.EvictIdempotency(ctx, f.Stuck); !errors.Is(err, inspect.ErrNotFound) {
			t.Fatalf("evict again: %v, want ErrNotFound", err)
		}
		p, err := src.Idempotency(ctx, inspect.IdempotencyQuery{})
		if err != nil || len(p.Items) != 1 || p.Items[0].Key != f.Completed {
			t.Fatalf("after evict: %+v, %v", p, err)
		}
	})
	t.Run("writes: redrive", func(t *testing.T) {
		var n int
		var err error
		if _, ok := src.(inspect.DeadLetterLister); ok {
			if n, err = w.Redrive(ctx, "not-a-dead-letter"); err != nil || n != 0 {
				t.Fatalf("redrive of an unknown id = %d, %v; want 0", n, err)
			}
			n, err = w.Redrive(ctx, f.DeadID)
		} else {
			n, err = w.Redrive(ctx)
		}
		if err != nil || n != f.Queue.DeadLetters {
			t.Fatalf("redrive = %d, %v; want %d", n, err, f.Queue.DeadLetters)
		}
		st, err := src.Queue(ctx)
		if err != nil || st.DeadLetters != 0 || st.Visible != f.Queue.Visible+n {
			t.Fatalf("after redrive: %+v, %v", st, err)
		}
	})
}
