// Package localtest fills a "rampart dev" data folder with known state for
// the tests and benchmarks of the read model and its front ends.
package localtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/sqlitestore"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/internal/datadir"
	"github.com/rampartdev/rampart/internal/sqlitedb"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/queue"
)

// Bucket is the bucket name of the seeded records.
const Bucket = datadir.Bucket

// Facts describe what [MustFixture] wrote.
type Facts struct {
	Now time.Time
	// Processed, Rejected and Processing are media record ids.
	Processed, Rejected, Processing string
	// OldRejected was rejected two hours before Now.
	OldRejected string
	// RejectedReason is the reason of Rejected.
	RejectedReason string
	// RequestID is the correlation id of Rejected's upload; the log file
	// has lines for it.
	RequestID string
	// Stuck and Completed are idempotency record keys.
	Stuck, Completed string
	// DeadID is the id of the only dead letter.
	DeadID string
}

// MustFixture writes a small, known state into a fresh data folder and
// returns it: four media records, their source objects and thumbnails, two
// idempotency records (one stuck), a dead letter, and log lines.
func MustFixture(tb testing.TB) (string, Facts) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	now := time.Now().UTC().Truncate(time.Millisecond)
	f := Facts{Now: now, RequestID: "REQ0000000000042", RejectedReason: "unsupported image format: text/plain"}

	st, err := datadir.Open(ctx, dir, &datadir.Options{Queue: &queue.Options{MaxReceiveCount: 1, Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	objs, recs, idem, q := st.Objects, st.Records, st.Idempotency, st.Queue
	put := func(key string, body []byte, ct string) {
		if _, err := objs.Put(ctx, key, body, blob.PutOptions{ContentType: ct}); err != nil {
			tb.Fatal(err)
		}
	}
	record := func(key string, st media.Status, reason, corr string, at time.Time, thumbs []media.Thumbnail) string {
		id := media.ID(Bucket, key)
		seq := fmt.Sprintf("%016X", at.UnixNano())
		c := media.Claim{ID: id, Bucket: Bucket, Key: key, Sequencer: seq, Owner: "o-" + key, CorrelationID: corr, Now: at, Until: at.Add(time.Minute)}
		if err := recs.Claim(ctx, c); err != nil {
			tb.Fatal(err)
		}
		if st == media.StatusProcessing {
			return id
		}
		r := media.Record{ID: id, Bucket: Bucket, Key: key, Sequencer: seq, Status: st, Reason: reason, Owner: c.Owner,
			CorrelationID: corr, Thumbnails: thumbs, CreatedAt: at, UpdatedAt: at, Format: "png", Width: 2, Height: 1, Bytes: 70}
		if err := recs.Commit(ctx, r); err != nil {
			tb.Fatal(err)
		}
		return id
	}
	put("uploads/cat.png", PNG, "image/png")
	put("derived/128/uploads/cat.png", PNG, "image/png")
	f.Processed = record("uploads/cat.png", media.StatusProcessed, "", "REQ0000000000041", now.Add(-10*time.Minute),
		[]media.Thumbnail{{Size: 128, Width: 2, Height: 1, Key: "derived/128/uploads/cat.png", Bytes: len(PNG)}})
	put("uploads/notes.txt", []byte("not an image"), "text/plain")
	f.Rejected = record("uploads/notes.txt", media.StatusRejected, f.RejectedReason, f.RequestID, now.Add(-5*time.Minute), nil)
	f.OldRejected = record("uploads/old.bin", media.StatusRejected, "image too large", "REQ0000000000007", now.Add(-2*time.Hour), nil)
	f.Processing = record("uploads/busy.png", media.StatusProcessing, "", "REQ0000000000043", now.Add(-time.Minute), nil)

	f.Stuck, f.Completed = "thumbnailer#stuck", "thumbnailer#done"
	for _, r := range []idempotency.Record{
		{Key: f.Stuck, Status: idempotency.StatusInProgress, Owner: "dead-worker", InProgressExpiry: now.Add(-time.Minute), Expiry: now.Add(time.Hour)},
		{Key: f.Completed, Status: idempotency.StatusInProgress, Owner: "w", InProgressExpiry: now.Add(time.Minute), Expiry: now.Add(time.Hour)},
	} {
		if err := idem.Acquire(ctx, r, now.Add(-2*time.Minute)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := idem.Complete(ctx, idempotency.Record{Key: f.Completed, Owner: "w", Result: []byte(`{}`), Expiry: now.Add(time.Hour)}); err != nil {
		tb.Fatal(err)
	}

	body := `{"Records":[{"eventName":"ObjectCreated:Put","responseElements":{"x-amz-request-id":"` + f.RequestID +
		`"},"s3":{"bucket":{"name":"local-media"},"object":{"key":"uploads/notes.txt"}}}]}`
	if f.DeadID, err = q.Send(ctx, []byte(body), map[string]string{"correlation_id": f.RequestID}); err != nil {
		tb.Fatal(err)
	}
	msgs, err := q.Receive(ctx, 1, 0)
	if err != nil || len(msgs) != 1 {
		tb.Fatalf("receive: %v %v", msgs, err)
	}
	if err := q.Fail(ctx, msgs[0].ReceiptHandle, "thumbnailer: decode: unsupported format", 0); err != nil {
		tb.Fatal(err)
	}
	if msgs, err := q.Receive(ctx, 1, 0); err != nil || len(msgs) != 0 { // moves it to the dead letters
		tb.Fatalf("second receive: %v %v", msgs, err)
	}

	lf, err := local.OpenLogFile(filepath.Join(dir, datadir.LogFile), 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer lf.Close()
	log := slog.New(slog.NewJSONHandler(lf, nil)).With(slog.String("service", "rampart-media"))
	rec := func(at time.Time, lvl slog.Level, msg string, attrs ...slog.Attr) {
		r := slog.NewRecord(at, lvl, msg, 0)
		r.AddAttrs(attrs...)
		log.Handler().Handle(ctx, r)
	}
	rec(now.Add(-10*time.Minute), slog.LevelInfo, "object uploaded", slog.String("correlation_id", "REQ0000000000041"), slog.String("key", "uploads/cat.png"))
	rec(now.Add(-5*time.Minute), slog.LevelInfo, "object uploaded", slog.String("correlation_id", f.RequestID), slog.String("key", "uploads/notes.txt"))
	rec(now.Add(-5*time.Minute+time.Second), slog.LevelInfo, "message received", slog.String("correlation_id", f.RequestID), slog.Int("receive_count", 1))
	rec(now.Add(-5*time.Minute+2*time.Second), slog.LevelWarn, "object rejected", slog.String("correlation_id", f.RequestID), slog.String("reason", f.RejectedReason))
	rec(now.Add(-time.Minute), slog.LevelInfo, "http request", slog.String("correlation_id", "REQ0000000000043"), slog.Int("status", 201))
	return dir, f
}

// PNG is a 2x1 PNG image.
var PNG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA{200, 80, 40, 255})
	img.Set(1, 0, color.RGBA{40, 80, 200, 255})
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}()

// SeedLarge adds n media records and n idempotency records to the data
// folder dir in two transactions (benchmarks need 100,000 of each quickly,
// so it writes the owners' tables directly, in their documented schemas).
// Statuses rotate processed, processed, processed, rejected, processing;
// update times spread over the last n seconds; one idempotency record in
// 50 is stuck.
func SeedLarge(tb testing.TB, dir string, n int) {
	tb.Helper()
	ctx := context.Background()
	// Open through the owners so the tables exist in their schemas.
	st, err := datadir.Open(ctx, dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	st.Close()
	now := time.Now().UTC()
	statuses := []media.Status{media.StatusProcessed, media.StatusProcessed, media.StatusProcessed, media.StatusRejected, media.StatusProcessing}
	bulk(tb, filepath.Join(dir, datadir.MediaDB), `INSERT OR REPLACE INTO media (id, sequencer, status, doc) VALUES (?, ?, ?, ?)`, n, func(i int) []any {
		key := fmt.Sprintf("uploads/%03d/photo-%06d.jpg", i%500, i)
		at := now.Add(-time.Duration(n-i) * time.Second)
		r := media.Record{ID: media.ID(Bucket, key), Bucket: Bucket, Key: key, Sequencer: fmt.Sprintf("%016X", at.UnixNano()),
			Status: statuses[i%len(statuses)], CorrelationID: fmt.Sprintf("REQ%013d", i), CreatedAt: at, UpdatedAt: at,
			Format: "jpeg", Width: 4000, Height: 3000, Bytes: 2 << 20}
		switch r.Status {
		case media.StatusRejected:
			r.Reason = "image too large: 40000x30000 exceeds 100 megapixels"
		case media.StatusProcessed:
			r.Thumbnails = []media.Thumbnail{{Size: 1024, Width: 1024, Height: 768, Key: "derived/1024/" + key, Bytes: 120000},
				{Size: 512, Width: 512, Height: 384, Key: "derived/512/" + key, Bytes: 40000}, {Size: 128, Width: 128, Height: 96, Key: "derived/128/" + key, Bytes: 5000}}
		}
		doc, _ := json.Marshal(r)
		return []any{r.ID, r.Sequencer, string(r.Status), string(doc)}
	})
	bulk(tb, filepath.Join(dir, datadir.IdempotencyDB), `INSERT OR REPLACE INTO `+sqlitestore.DefaultTable+
		` (key, status, owner, payload_hash, result, in_progress_expiry, expiry) VALUES (?, ?, ?, ?, ?, ?, ?)`, n, func(i int) []any {
		st, lease := "COMPLETED", now.Add(-time.Hour)
		if i%50 == 0 {
			st = "INPROGRESS" // lease over: stuck
		}
		return []any{fmt.Sprintf("thumbnailer#%08d", i), st, fmt.Sprintf("owner-%d", i), "hash", []byte(`{"thumbnails":3}`), lease.UnixNano(), now.Add(time.Hour).UnixNano()}
	})
}

func bulk(tb testing.TB, path, stmt string, n int, row func(int) []any) {
	tb.Helper()
	db, err := sqlitedb.Open(context.Background(), path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	st, err := tx.Prepare(stmt)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		if _, err := st.Exec(row(i)...); err != nil {
			tb.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}
