package thumbnailer_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/imaging"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

func imagingSizes() imaging.Options { return imaging.Options{Sizes: []int{256, 64}} }

func TestThumbnailer_ProcessesAnUpload(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/cat.jpg", testJPEG(t, 400, 300, 10))
	o := f.process(e)
	if o.Status != media.StatusProcessed || o.Thumbnails != 2 || o.Duplicate {
		t.Fatalf("outcome %+v", o)
	}
	rec := f.record("uploads/cat.jpg")
	if rec.Status != media.StatusProcessed || rec.Width != 400 || rec.Height != 300 || rec.Format != "jpeg" ||
		rec.ETag != e.ETag || rec.Sequencer != e.Sequencer || rec.CorrelationID != e.RequestID || len(rec.Thumbnails) != 2 {
		t.Fatalf("record %+v", rec)
	}
	for _, th := range rec.Thumbnails {
		body, obj, err := f.objects.Get(t.Context(), th.Key)
		if err != nil {
			t.Fatal(err)
		}
		if obj.ContentType != "image/jpeg" || obj.CacheControl != thumbnailer.DefaultCacheControl || len(body) != th.Bytes {
			t.Fatalf("thumbnail %s: %+v", th.Key, obj)
		}
		if max(th.Width, th.Height) != th.Size {
			t.Fatalf("thumbnail %+v: long edge is not the size", th)
		}
	}
	if !f.objects.has("derived/256/uploads/cat.jpg") || !f.objects.has("derived/64/uploads/cat.jpg") {
		t.Fatal("thumbnails are not under derived/<size>/<key>")
	}
	// The correlation id follows the object through the logs.
	if n := strings.Count(f.logs.String(), `"correlation_id":"`+e.RequestID+`"`); n < 2 {
		t.Fatalf("correlation id in %d log records:\n%s", n, f.logs)
	}
}

func TestThumbnailer_DuplicateDeliveryHasNoSecondEffect(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/dup.jpg", testJPEG(t, 300, 200, 20))
	f.process(e)
	if o := f.process(e); !o.Duplicate || o.Status != media.StatusProcessed {
		t.Fatalf("second delivery: %+v", o)
	}
	if n := f.objects.putCount("derived/256/uploads/dup.jpg"); n != 1 {
		t.Fatalf("thumbnail written %d times", n)
	}
	if f.metrics.get(thumbnailer.MetricDuplicates) != 1 || f.metrics.get(thumbnailer.MetricProcessed) != 1 {
		t.Fatalf("metrics %v", f.metrics.n)
	}
}

func TestThumbnailer_ConcurrentDuplicates(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/race.jpg", testJPEG(t, 300, 200, 30))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.th.Process(t.Context(), e) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, idempotency.ErrInProgress) {
			t.Fatal(err)
		}
	}
	if n := f.objects.putCount("derived/64/uploads/race.jpg"); n != 1 {
		t.Fatalf("thumbnail written %d times by concurrent duplicates", n)
	}
}

func TestThumbnailer_RejectsBadInputsPermanently(t *testing.T) {
	good := testJPEG(t, 200, 100, 40)
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"zero bytes", nil},
		{"text named .jpg", []byte("this is not an image, only named like one\n")},
		{"truncated jpeg", good[:len(good)/2]},
		{"corrupt jpeg", append(append([]byte{}, good[:40]...), make([]byte, 200)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			// The key had good thumbnails before: they must go.
			f.process(f.upload("uploads/x.jpg", good))
			o := f.process(f.upload("uploads/x.jpg", tc.body))
			if o.Status != media.StatusRejected || o.Reason == "" {
				t.Fatalf("outcome %+v", o)
			}
			rec := f.record("uploads/x.jpg")
			if rec.Status != media.StatusRejected || rec.Reason == "" || len(rec.Thumbnails) != 0 {
				t.Fatalf("record %+v", rec)
			}
			if f.objects.has("derived/256/uploads/x.jpg") {
				t.Fatal("thumbnails of the previous content survived a rejected upload")
			}
		})
	}
}

func TestThumbnailer_OlderEventNeverOverwritesNewer(t *testing.T) {
	f := newFixture(t)
	first := f.upload("uploads/o.jpg", testJPEG(t, 300, 300, 50))
	second := f.upload("uploads/o.jpg", testJPEG(t, 600, 300, 60))
	f.process(second)
	if o := f.process(first); o.Status != media.StatusSkipped {
		t.Fatalf("older event: %+v", o)
	}
	rec := f.record("uploads/o.jpg")
	if rec.Width != 600 || rec.Sequencer != second.Sequencer || rec.Status != media.StatusProcessed {
		t.Fatalf("older event changed the record: %+v", rec)
	}
	if n := f.objects.putCount("derived/256/uploads/o.jpg"); n != 1 {
		t.Fatalf("older event wrote thumbnails (%d puts)", n)
	}
	// Delete, then a late create: the object stays deleted.
	if err := f.objects.Delete(t.Context(), "uploads/o.jpg"); err != nil {
		t.Fatal(err)
	}
	del := f.event(media.ObjectRemoved, "uploads/o.jpg", "")
	if o := f.process(del); o.Status != media.StatusDeleted {
		t.Fatalf("delete: %+v", o)
	}
	if f.objects.has("derived/256/uploads/o.jpg") || f.objects.has("derived/64/uploads/o.jpg") {
		t.Fatal("thumbnails survived the delete")
	}
	second.RequestID = "late-redelivery"
	if o := f.process(second); o.Status != media.StatusProcessed || !o.Duplicate {
		// The same event is a duplicate: replayed, no effect.
		t.Fatalf("redelivered create: %+v", o)
	}
	if rec := f.record("uploads/o.jpg"); rec.Status != media.StatusDeleted {
		t.Fatalf("late create revived a deleted object: %+v", rec)
	}
}

func TestThumbnailer_ChangedObjectIsSkipped(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/c.jpg", testJPEG(t, 300, 300, 70))
	f.upload("uploads/c.jpg", testJPEG(t, 300, 300, 200)) // its event is still on the way
	if o := f.process(e); o.Status != media.StatusSkipped || !strings.Contains(o.Reason, "changed") {
		t.Fatalf("outcome %+v", o)
	}
	if f.objects.has("derived/256/uploads/c.jpg") {
		t.Fatal("thumbnails written from content the event does not describe")
	}
}

func TestThumbnailer_IgnoresKeysOutsideTheSourcePrefix(t *testing.T) {
	f := newFixture(t)
	e := f.upload("derived/256/uploads/cat.jpg", testJPEG(t, 100, 100, 0))
	if o := f.process(e); o.Status != media.StatusSkipped {
		t.Fatalf("outcome %+v", o)
	}
	if f.objects.has("derived/256/derived/256/uploads/cat.jpg") {
		t.Fatal("a thumbnail was thumbnailed: the recursion trap")
	}
}

func TestThumbnailer_TransientErrorIsRetried(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/t.jpg", testJPEG(t, 300, 300, 80))
	f.objects.setFailGet(errThrottled)
	if _, err := f.th.Process(t.Context(), e); err == nil || thumbnailer.IsPermanent(err) {
		t.Fatalf("Process during throttling: %v, want a transient error", err)
	}
	f.objects.setFailGet(nil)
	if o := f.process(e); o.Status != media.StatusProcessed || o.Duplicate {
		t.Fatalf("retry: %+v", o)
	}
}

func TestThumbnailer_WrongBucketIsPermanent(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/b.jpg", testJPEG(t, 100, 100, 0))
	e.Bucket = "someone-elses"
	if _, err := f.th.Process(t.Context(), e); !thumbnailer.IsPermanent(err) {
		t.Fatalf("got %v, want a permanent error", err)
	}
}

func TestThumbnailer_StopsBeforeWritingWhenOutOfTime(t *testing.T) {
	// The reserve is a fifth of the budget, at least MinWriteReserve. A
	// slow read takes the attempt to "left" before its deadline: the image
	// still renders in time, but too little is left to write it safely.
	for _, tc := range []struct {
		name       string
		minReserve time.Duration // zero: the default, 1 s
		budget     time.Duration
		left       time.Duration
	}{
		// 3 s budget: a fifth is 600 ms, above a 100 ms minimum.
		{"a fifth of the budget", 100 * time.Millisecond, 3 * time.Second, 500 * time.Millisecond},
		// 2 s budget: a fifth is 400 ms, below the 1 s default minimum,
		// which 900 ms left does not reach.
		{"the minimum above a fifth", 0, 2 * time.Second, 900 * time.Millisecond},
	} {
		// In a synctest bubble the slow read advances a fake clock: the
		// deadlines are measured exactly and the test does not wait.
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixtureWith(t, func(o *thumbnailer.Options) { o.MinWriteReserve = tc.minReserve })
				e := f.upload("uploads/slow.jpg", testJPEG(t, 200, 150, 90))
				ctx, cancel := context.WithTimeout(t.Context(), tc.budget)
				defer cancel()
				f.objects.setSlowGet(func(ctx context.Context, _ string) {
					dl, _ := ctx.Deadline()
					time.Sleep(time.Until(dl) - tc.left)
				})
				_, err := f.th.Process(ctx, e)
				if !errors.Is(err, thumbnailer.ErrOutOfTime) || thumbnailer.IsPermanent(err) {
					t.Fatalf("Process with %s left after the read: %v, want a transient ErrOutOfTime", tc.left, err)
				}
				if f.objects.putCount("derived/256/uploads/slow.jpg") != 0 || f.objects.putCount("derived/64/uploads/slow.jpg") != 0 {
					t.Fatal("thumbnails written although the deadline was too close")
				}
				f.objects.setSlowGet(nil)
				if o := f.process(e); o.Status != media.StatusProcessed {
					t.Fatalf("retry: %+v", o)
				}
			})
		})
	}
}

func TestThumbnailer_DoesNotStartWithLessThanTheMinimumLeft(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/never.jpg", testJPEG(t, 200, 150, 90))
	ctx, cancel := context.WithTimeout(t.Context(), thumbnailer.DefaultMinWriteReserve-100*time.Millisecond)
	defer cancel()
	if _, err := f.th.Process(ctx, e); !errors.Is(err, thumbnailer.ErrOutOfTime) || thumbnailer.IsPermanent(err) {
		t.Fatalf("Process: %v, want a transient ErrOutOfTime", err)
	}
	if n := f.objects.getCount("uploads/never.jpg"); n != 0 {
		t.Fatalf("the object was read %d times by an event that should not have started", n)
	}
	if _, err := f.records.Get(t.Context(), e.ID()); !errors.Is(err, media.ErrNotFound) {
		t.Fatalf("record after an event not started: %v, want none (not even a claim)", err)
	}
	if o := f.process(e); o.Status != media.StatusProcessed || o.Duplicate {
		t.Fatalf("retry with time: %+v", o)
	}
}

func TestThumbnailer_RemovalOfAnotherVersionKeepsTheThumbnails(t *testing.T) {
	f := newFixture(t)
	old := f.upload("uploads/v.jpg", testJPEG(t, 300, 300, 10))
	f.process(old)
	current := f.upload("uploads/v.jpg", testJPEG(t, 400, 300, 20))
	f.process(current)
	// The permanent deletion of the first version: the key still holds the
	// current one.
	del := f.event(media.ObjectRemoved, "uploads/v.jpg", "")
	del.VersionID = "v1"
	o := f.process(del)
	if o.Status != media.StatusSkipped || !strings.Contains(o.Reason, "still exists") {
		t.Fatalf("removal of an old version: %+v", o)
	}
	if !f.objects.has("derived/256/uploads/v.jpg") || !f.objects.has("derived/64/uploads/v.jpg") {
		t.Fatal("the current object's thumbnails were deleted")
	}
	if rec := f.record("uploads/v.jpg"); rec.Status != media.StatusProcessed || rec.Sequencer != current.Sequencer || len(rec.Thumbnails) != 2 {
		t.Fatalf("record changed by the removal of another version: %+v", rec)
	}
	if !strings.Contains(f.logs.String(), "removal skipped: the object still exists") {
		t.Fatalf("no log of why the removal was skipped:\n%s", f.logs)
	}

	// A failing HEAD is transient: nothing is deleted, the event comes back.
	f.objects.setFailGet(errThrottled)
	del2 := f.event(media.ObjectRemoved, "uploads/v.jpg", "")
	if _, err := f.th.Process(t.Context(), del2); err == nil || thumbnailer.IsPermanent(err) {
		t.Fatalf("removal while HEAD fails: %v, want a transient error", err)
	}
	f.objects.setFailGet(nil)
	if !f.objects.has("derived/256/uploads/v.jpg") {
		t.Fatal("thumbnails deleted although the object could not be checked")
	}
}
