package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/inspect/inspecttest"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/inspect/local/localtest"
	"github.com/rampartdev/rampart/internal/datadir"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/sqliterecords"
)

// MustOpen opens the read model over dir at the fixture's time.
func MustOpen(tb testing.TB, dir string, now time.Time) *local.Source {
	tb.Helper()
	s, err := local.Open(context.Background(), dir, &local.Options{Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestSource_conformance runs the shared suite over the fixture.
func TestSource_conformance(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	inspecttest.Run(t, MustOpen(t, dir, f.Now), inspecttest.Facts{
		Now: f.Now, Processed: f.Processed, Rejected: f.Rejected, Processing: f.Processing, OldRejected: f.OldRejected,
		RejectedReason: f.RejectedReason, RequestID: f.RequestID, Stuck: f.Stuck, Completed: f.Completed,
	})
}

// TestSource_Media_pages pages one record at a time: the local listing is
// newest first across pages (inspect.NewestFirst).
func TestSource_Media_pages(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	s := MustOpen(t, dir, f.Now)
	ctx := t.Context()
	var all []string
	q := inspect.MediaQuery{Limit: 1}
	for range 10 {
		p, err := s.Media(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Items {
			all = append(all, r.ID)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if got, want := strings.Join(all, ","), strings.Join([]string{f.Processing, f.Rejected, f.Processed, f.OldRejected}, ","); got != want {
		t.Fatalf("paged: %s, want %s", got, want)
	}
	if s.MediaOrder() != inspect.NewestFirst {
		t.Errorf("MediaOrder = %v, want NewestFirst", s.MediaOrder())
	}
}

func TestSource_Idempotency(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	s := MustOpen(t, dir, f.Now)
	rec, err := s.EvictIdempotency(t.Context(), f.Stuck)
	if err != nil || rec.Key != f.Stuck {
		t.Fatalf("evict = %+v, %v", rec, err)
	}
	if _, err := s.EvictIdempotency(t.Context(), f.Stuck); !errors.Is(err, inspect.ErrNotFound) {
		t.Fatalf("evict again: %v", err)
	}
	if p, _ := s.Idempotency(t.Context(), inspect.IdempotencyQuery{}); len(p.Items) != 1 {
		t.Fatalf("after evict: %+v", p)
	}
}

func TestSource_ObjectsQueueTokens(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	s := MustOpen(t, dir, f.Now)
	ctx := t.Context()
	p, err := s.Objects(ctx, inspect.ObjectQuery{Prefix: "uploads/", Limit: 1})
	if err != nil || len(p.Items) != 1 || p.Items[0].Key != "uploads/cat.png" || p.Next == "" {
		t.Fatalf("objects = %+v, %v", p, err)
	}
	obj, err := s.Object(ctx, "derived/128/uploads/cat.png")
	if err != nil || obj.Size != int64(len(localtest.PNG)) || obj.ContentType != "image/png" {
		t.Fatalf("head = %+v, %v", obj, err)
	}
	if _, err := s.Object(ctx, "nope"); !errors.Is(err, inspect.ErrNotFound) {
		t.Fatalf("head missing: %v", err)
	}
	st, err := s.Queue(ctx)
	if err != nil || st.DeadLetters != 1 {
		t.Fatalf("queue = %+v, %v", st, err)
	}
	dl, err := s.DeadLetters(ctx, inspect.DeadLetterQuery{})
	if err != nil || len(dl.Items) != 1 {
		t.Fatalf("dead letters = %+v, %v", dl, err)
	}
	d := dl.Items[0]
	if d.ID != f.DeadID || d.Reason == "" || d.LastError != "thumbnailer: decode: unsupported format" || d.CorrelationID != f.RequestID ||
		len(d.Keys) != 1 || d.Keys[0] != "uploads/notes.txt" {
		t.Fatalf("dead letter = %+v", d)
	}
	if n, err := s.Redrive(ctx); err != nil || n != 1 {
		t.Fatalf("redrive = %d, %v", n, err)
	}
	if st, _ := s.Queue(ctx); st.DeadLetters != 0 || st.Visible != 1 {
		t.Fatalf("after redrive: %+v", st)
	}
	toks, err := s.Tokens(ctx)
	if err != nil || len(toks) != 0 {
		t.Fatalf("tokens = %v, %v", toks, err)
	}
	if _, _, err := s.ColdStartLogs(ctx); !errors.Is(err, inspect.ErrNotFound) {
		t.Fatalf("cold-start logs of an empty folder: %v", err)
	}
}

func TestSource_Logs(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	s := MustOpen(t, dir, f.Now)
	ctx := t.Context()
	p, err := s.Logs(ctx, inspect.LogQuery{CorrelationID: f.RequestID})
	if err != nil || len(p.Items) != 3 {
		t.Fatalf("logs of %s = %+v, %v", f.RequestID, p, err)
	}
	if p.Items[2].Message != "object rejected" || p.Items[2].Attrs["reason"] != f.RejectedReason || p.Items[0].CorrelationID != f.RequestID {
		t.Fatalf("entries: %+v", p.Items)
	}
	p, err = s.Logs(ctx, inspect.LogQuery{MinLevel: "WARN"})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("warnings = %+v, %v", p, err)
	}
	p, err = s.Logs(ctx, inspect.LogQuery{Since: f.Now.Add(-2 * time.Minute)})
	if err != nil || len(p.Items) != 1 || p.Items[0].CorrelationID != "REQ0000000000043" {
		t.Fatalf("since = %+v, %v", p, err)
	}
	// Pages of one line join up.
	var msgs []string
	q := inspect.LogQuery{Limit: 2}
	for range 10 {
		p, err := s.Logs(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			msgs = append(msgs, e.Message)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if len(msgs) != 5 {
		t.Fatalf("paged %d lines: %v", len(msgs), msgs)
	}
}

func TestLogFile_rotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "x.jsonl")
	lf, err := local.OpenLogFile(path, 300)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := range 20 {
		fmt.Fprintf(lf, `{"time":"%s","level":"INFO","msg":"line %d","correlation_id":"C%d"}`+"\n", t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), i, i)
	}
	lf.Close()
	for _, p := range []string{path, path + ".1"} {
		if st, err := os.Stat(p); err != nil || st.Size() > 300 {
			t.Fatalf("%s: %v, %v", p, st, err)
		}
	}
	p, err := local.QueryLogFile(t.Context(), path, inspect.LogQuery{})
	if err != nil || len(p.Items) == 0 || len(p.Items) >= 20 {
		t.Fatalf("query = %d lines, %v", len(p.Items), err)
	}
	if last := p.Items[len(p.Items)-1]; last.Message != "line 19" {
		t.Fatalf("last line %q", last.Message)
	}
	// A cursor into the current file survives its rotation.
	first, err := local.QueryLogFile(t.Context(), path, inspect.LogQuery{Limit: len(p.Items) - 1})
	if err != nil || first.Next == "" {
		t.Fatal(first, err)
	}
	lf, _ = local.OpenLogFile(path, 300)
	for i := 20; i < 24; i++ {
		fmt.Fprintf(lf, `{"time":"%s","level":"INFO","msg":"line %d"}`+"\n", t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), i)
	}
	lf.Close()
	rest, err := local.QueryLogFile(t.Context(), path, inspect.LogQuery{After: first.Next})
	if err != nil || len(rest.Items) == 0 || rest.Items[0].Message != "line 19" {
		t.Fatalf("after rotation: %+v, %v", rest, err)
	}
	if _, err := local.QueryLogFile(t.Context(), path, inspect.LogQuery{After: "zz"}); !errors.Is(err, inspect.ErrInvalidCursor) {
		t.Fatal(err)
	}
}

// TestOpen_pathWithHash reads a data folder whose name holds a '#', which
// in a file: URI would end the path and open another database.
func TestOpen_pathWithHash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data#1")
	recs, err := sqliterecords.Open(filepath.Join(dir, datadir.MediaDB))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := media.Claim{ID: media.ID("b", "uploads/k.jpg"), Bucket: "b", Key: "uploads/k.jpg", Sequencer: "01", Owner: "o", Now: now, Until: now.Add(time.Minute)}
	if err := recs.Claim(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	recs.Close()
	s := MustOpen(t, dir, now)
	p, err := s.Media(t.Context(), inspect.MediaQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].ID != c.ID {
		t.Fatalf("media in %s: %+v, want the one record", dir, p.Items)
	}
}
