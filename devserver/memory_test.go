package devserver_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/imaging"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/mediatest"
)

// TestServer_HostilePNGsUploadedTogether uploads three valid 7000×7000
// 16-bit RGBA PNGs (600 KB each, 392 MB of pixels each once decoded) at
// once through the real local service: the queue, three workers, the
// thumbnailer with its memory admission, the SQLite records. All three
// must end processed, none in the dead-letter queue, and the process's
// heap must stay below one full-size decode: the PNG decoder reduces
// while it streams, so each costs about 17 MB, whatever its pixel count.
// Under the race detector, which makes decoding 392 MB of pixels take
// minutes, the images are 2000×2000 (32 MB of pixels each) and the heap
// may reach three full-size decodes, what the three uploads would need at
// the least without the streaming decoder, plus 32 MB for the server's
// and the race runtime's own heap, which weigh more at that size (peaks
// of 72–85 MB were measured under -race on a loaded machine, too close
// to three decodes alone for a test that must not flake).
func TestServer_HostilePNGsUploadedTogether(t *testing.T) {
	side, bound, slack := 7000, int64(1), int64(0)
	if raceEnabled {
		side, bound, slack = 2000, 3, 32<<20
	}
	full := int64(side) * int64(side) * 8 // one full-size decode
	src := mediatest.MustHostilePNG(t, side, side)
	est, err := imaging.MemoryEstimate(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes; estimated peak %d MB per image", len(src), est>>20)
	// Sample the heap while the work runs, on the real clock (outside the
	// bubble below).
	var peak atomic.Uint64
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	// In a synctest bubble the invocation timeout counts only waiting, so
	// however long a loaded machine takes to decode under -race, no attempt
	// runs out of time (a retry would also double the memory in flight).
	synctest.Test(t, func(t *testing.T) {
		s := MustOpen(t, t.TempDir(), io.Discard, func(o *devserver.Options) {
			o.Thumbnailer.Imaging = imaging.Options{} // the default sizes: 1024, 512, 128
			o.Workers = 3
			o.MaxReceiveCount = 2
			// Decoding 392 MB of pixels takes seconds under the race
			// detector on a loaded machine; the point is memory.
			o.VisibilityTimeout = 10 * time.Minute
			o.InvocationTimeout = 5 * time.Minute
		})
		defer s.Close()
		start(t, s)
		var ids []string
		for i := range 3 {
			key := fmt.Sprintf("uploads/hostile-%d.png", i)
			if _, queued, err := s.Upload(t.Context(), key, bytes.NewReader(src), "image/png", fmt.Sprintf("REQ%d", i)); err != nil || !queued {
				t.Fatalf("Upload %s: %v %v", key, queued, err)
			}
			ids = append(ids, media.ID(devserver.DefaultBucket, key))
		}
		waitFor(t, 10*time.Minute, "three processed records", func() bool {
			for _, id := range ids {
				rec, err := s.Records().Get(t.Context(), id)
				if err != nil || rec.Status != media.StatusProcessed {
					return false
				}
			}
			return true
		})
		dl, _, err := s.Queue().DeadLetters(t.Context(), "", 0)
		if err != nil || len(dl) != 0 {
			t.Fatalf("dead letters: %d, %v", len(dl), err)
		}
		for _, id := range ids {
			rec, _ := s.Records().Get(t.Context(), id)
			if rec.Width != side || rec.Height != side || len(rec.Thumbnails) != 3 {
				t.Errorf("record %s: %dx%d, %d thumbnails", id, rec.Width, rec.Height, len(rec.Thumbnails))
			}
		}
	})
	close(stop)
	wg.Wait()
	t.Logf("peak heap in use: %d MB (%d MB before); one full-size decode is %d MB", peak.Load()>>20, base.HeapInuse>>20, full>>20)
	if p := peak.Load(); p > uint64(bound*full+slack) {
		t.Errorf("peak heap %d MB while three hostile PNGs were thumbnailed: more than one full-size decode (%d MB)", p>>20, full>>20)
	}
}
