package imaging

import (
	"context"
	"runtime"
	"testing"

	"github.com/rampartdev/rampart/media/mediatest"
)

// TestThumbnails_hostilePNGMemory thumbnails issue 18's hostile PNG: a
// valid 7000×7000 16-bit RGBA file of about 600 KB that holds 392 MB of
// pixels (7000×300 under -race, the same reduction at a 23rd of the
// work). Everything Thumbnails allocates must be
// within its MemoryEstimate, and the estimate a small fraction of the
// full-size pixels: the decoder reduces while it streams, so the memory is
// bounded by the output, not the input.
//
//	go test -run hostilePNGMemory -v ./imaging
func TestThumbnails_hostilePNGMemory(t *testing.T) {
	w, h := 7000, 7000
	if raceEnabled {
		h = 300
	}
	src := mediatest.MustHostilePNG(t, w, h)
	est, err := MemoryEstimate(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	full := int64(w) * int64(h) * 8
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	res, err := Thumbnails(context.Background(), src, nil)
	runtime.ReadMemStats(&b)
	if err != nil {
		t.Fatal(err)
	}
	got := int64(b.TotalAlloc - a.TotalAlloc)
	t.Logf("%d×%d 16-bit RGBA, %d KB: %d thumbnails; allocated %.1f MB in all, MemoryEstimate %.1f MB, full-size pixels %.0f MB",
		w, h, len(src)>>10, len(res.Thumbnails), float64(got)/(1<<20), float64(est)/(1<<20), float64(full)/(1<<20))
	if got > est {
		t.Errorf("allocated %d bytes, over the MemoryEstimate %d", got, est)
	}
	if est > full/8 {
		t.Errorf("MemoryEstimate %d bytes is over 1/8 of the full-size pixels (%d): not bounded by the output", est, full)
	}
}
