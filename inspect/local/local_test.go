package local_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/fsblob"
	"github.com/rampartdev/rampart/gateway/sqlitetokens"
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

// TestSource_conformance runs the shared suite over the fixture, with a
// gateway token added.
func TestSource_conformance(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(datadir.TokensDB)), 0o755); err != nil {
		t.Fatal(err)
	}
	toks, err := sqlitetokens.Open(filepath.Join(dir, datadir.TokensDB), nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := toks.Create(t.Context(), sqlitetokens.CreateOptions{Tenant: "acme", Scopes: []string{"read"}, Note: "ci"})
	toks.Close()
	if err != nil {
		t.Fatal(err)
	}
	inspecttest.Run(t, MustOpen(t, dir, f.Now), inspecttest.Facts{
		Now: f.Now, Processed: f.Processed, Rejected: f.Rejected, Processing: f.Processing, OldRejected: f.OldRejected,
		RejectedReason: f.RejectedReason, RequestID: f.RequestID, Stuck: f.Stuck, Completed: f.Completed,
		LogLines:   []string{"object uploaded", "object uploaded", "message received", "object rejected", "http request"},
		RequestLog: []string{"object uploaded", "message received", "object rejected"},
		Queue:      inspect.QueueStats{DeadLetters: 1},
		DeadID:     f.DeadID, DeadError: "thumbnailer: decode: unsupported format",
		Tokens: []string{tok.ID}, TokenSecret: secret,
	})
}

// TestSource_noTokens: a folder without a token database lists none (an
// empty list, not an error).
func TestSource_noTokens(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	toks, err := MustOpen(t, dir, f.Now).Tokens(t.Context())
	if err != nil || toks == nil || len(toks) != 0 {
		t.Fatalf("tokens = %v, %v", toks, err)
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

// TestSource_objectBodyTooLarge checks that ObjectBody refuses an object
// over inspect.MaxObjectBody instead of reading it whole (an upload may be
// 256 MiB), and that a HEAD of it still works.
func TestSource_objectBodyTooLarge(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	objects, err := fsblob.New(filepath.Join(dir, datadir.ObjectsDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	const key = "uploads/big.bin"
	if _, err := objects.PutReader(t.Context(), key, io.LimitReader(zeros{}, inspect.MaxObjectBody+1), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	s := MustOpen(t, dir, f.Now)
	if body, _, err := s.ObjectBody(t.Context(), key); !errors.Is(err, inspect.ErrTooLarge) || body != nil {
		t.Fatalf("ObjectBody of %d bytes = %d bytes, %v; want inspect.ErrTooLarge", inspect.MaxObjectBody+1, len(body), err)
	}
	if obj, err := s.Object(t.Context(), key); err != nil || obj.Size != inspect.MaxObjectBody+1 {
		t.Fatalf("Object = %+v, %v", obj, err)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }
