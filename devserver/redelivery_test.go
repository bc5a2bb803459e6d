package devserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/media"
)

// slowObjects makes every source read take delay, as decoding a large
// photo on a slow machine does.
type slowObjects struct {
	blob.Store
	delay time.Duration
}

func (s slowObjects) GetWithOptions(ctx context.Context, key string, o blob.GetOptions) ([]byte, blob.Object, error) {
	time.Sleep(s.delay)
	return s.Store.GetWithOptions(ctx, key, o)
}

// redeliveries counts the "message received" log lines with a receive
// count above 1.
func redeliveries(t *testing.T, logs string) (received, again int) {
	t.Helper()
	for line := range strings.SplitSeq(logs, "\n") {
		var rec struct {
			Msg          string
			ReceiveCount int `json:"receive_count"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "message received" {
			continue
		}
		received++
		if rec.ReceiveCount > 1 {
			again++
		}
	}
	return received, again
}

// TestServer_defaultsDoNotRedeliver runs a full default batch (10
// messages, one worker) whose events take 700 ms each, 7 s in all, with
// the default timeouts: every message is processed on its first delivery.
// (With the old defaults, a 5 s invocation timeout, the last messages of
// the batch ran out of time and were delivered again.)
func TestServer_defaultsDoNotRedeliver(t *testing.T) {
	t.Parallel() // waits on fsyncs more than it computes
	// In a synctest bubble the slow reads advance a fake clock, and only
	// waiting counts against the invocation timeout.
	synctest.Test(t, func(t *testing.T) {
		logs := &testingutil.Buffer{}
		s, err := devserver.Open(t.Context(), t.TempDir(), &devserver.Options{
			Workers:     1,
			Logger:      slog.New(slog.NewJSONHandler(logs, nil)),
			WrapObjects: func(b blob.Store) blob.Store { return slowObjects{b, 700 * time.Millisecond} },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var ids []string
		for i := range devserver.DefaultBatchSize {
			key := fmt.Sprintf("uploads/p%d.jpg", i)
			if _, _, err := s.Upload(t.Context(), key, bytes.NewReader(testJPEG(t, 64, 48, uint8(i*20))), "image/jpeg", "R"); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, media.ID(devserver.DefaultBucket, key))
		}
		start(t, s) // after the uploads: one batch of all ten
		waitFor(t, time.Minute, "every record processed", func() bool {
			for _, id := range ids {
				if rec, err := s.Records().Get(t.Context(), id); err != nil || rec.Status != media.StatusProcessed {
					return false
				}
			}
			return true
		})
		if received, again := redeliveries(t, logs.String()); again != 0 || received != len(ids) {
			t.Errorf("%d deliveries, %d of them redeliveries; want %d first deliveries only", received, again, len(ids))
		}
	})
}

// TestServer_heartbeatOutlastsVisibility: an invocation that takes four
// visibility timeouts keeps its message invisible throughout, so the
// second worker never receives it. In a synctest bubble the clock moves
// only when every goroutine waits, so a loaded machine cannot make a beat
// late (it failed at load ~29 on the real clock).
func TestServer_heartbeatOutlastsVisibility(t *testing.T) {
	t.Parallel() // waits on fsyncs more than it computes
	synctest.Test(t, func(t *testing.T) {
		logs := &testingutil.Buffer{}
		s := MustOpen(t, t.TempDir(), logs, func(o *devserver.Options) {
			o.VisibilityTimeout = 500 * time.Millisecond
			o.InvocationTimeout = 5 * time.Second
			o.WrapObjects = func(b blob.Store) blob.Store { return slowObjects{b, 2 * time.Second} }
		})
		defer s.Close()
		start(t, s)
		if _, _, err := s.Upload(t.Context(), "uploads/slow.jpg", bytes.NewReader(testJPEG(t, 64, 48, 1)), "image/jpeg", "R"); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		rec := waitFinal(t, s, media.ID(devserver.DefaultBucket, "uploads/slow.jpg"))
		if rec.Status != media.StatusProcessed {
			t.Fatalf("record %+v", rec)
		}
		if took := time.Since(began); took < 2*time.Second {
			t.Fatalf("processed after %s, before the 2 s read ended", took)
		}
		if received, again := redeliveries(t, logs.String()); again != 0 || received != 1 {
			t.Errorf("%d deliveries, %d redeliveries; want one", received, again)
		}
	})
}

// TestServer_photosWithoutFaults is the 200-photo run of the README: real
// photos (RAMPART_E2E_PHOTOS=DIR, from ../shared/bin/photos DIR) uploaded
// RAMPART_E2E_UPLOADS times (default 200) under distinct keys with every
// default (sizes, batch size, timeouts, one worker per CPU) and no fault;
// it fails on any redelivery.
func TestServer_photosWithoutFaults(t *testing.T) {
	dir := os.Getenv("RAMPART_E2E_PHOTOS")
	if dir == "" {
		t.Skip("set RAMPART_E2E_PHOTOS=DIR (../shared/bin/photos DIR)")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	slices.Sort(paths)
	if len(paths) == 0 {
		t.Fatalf("no *.jpg in %s", dir)
	}
	n := 200
	if v := os.Getenv("RAMPART_E2E_UPLOADS"); v != "" {
		fmt.Sscan(v, &n)
	}
	logs := &testingutil.Buffer{}
	s, err := devserver.Open(t.Context(), t.TempDir(), &devserver.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start(t, s)
	begin := time.Now()
	var ids []string
	for i := range n {
		b, err := os.ReadFile(paths[i%len(paths)])
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("uploads/%03d-%s", i, filepath.Base(paths[i%len(paths)]))
		if _, _, err := s.Upload(t.Context(), key, bytes.NewReader(b), "image/jpeg", devserver.NewRequestID()); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, media.ID(devserver.DefaultBucket, key))
	}
	statuses := map[media.Status]int{}
	for _, id := range ids {
		statuses[waitFinal(t, s, id).Status]++
	}
	received, again := redeliveries(t, logs.String())
	t.Logf("%d photos in %s: %v; %d deliveries, %d redeliveries (batch %d, invocation timeout %s, visibility %s, %d workers)",
		n, time.Since(begin).Round(time.Second), statuses, received, again, s.Options().BatchSize, s.Options().InvocationTimeout,
		s.Options().VisibilityTimeout, s.Options().Workers)
	if again != 0 || statuses[media.StatusProcessed] != n {
		t.Errorf("want %d processed with no redelivery", n)
	}
}

// waitFinal waits up to ten minutes for record id to reach a final status.
func waitFinal(t *testing.T, s *devserver.Server, id string) media.Record {
	t.Helper()
	var rec media.Record
	waitFor(t, 10*time.Minute, "record "+id+" final", func() bool {
		r, err := s.Records().Get(context.Background(), id)
		rec = r
		return err == nil && r.Status.Final()
	})
	return rec
}
