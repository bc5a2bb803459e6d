package jpegdec

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

// countdown is a context whose Err turns into context.Canceled on its n-th
// call: it shows where the decoder looks at its context, deterministically.
type countdown struct {
	context.Context
	n, calls int
}

func (c *countdown) Err() error {
	c.calls++
	if c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

// TestDecodeContext_cancel checks that a decode stops between rows of
// blocks once its context is done, baseline and progressive, at every scale.
func TestDecodeContext_cancel(t *testing.T) {
	img := photoLike(512, 384)
	for name, src := range map[string][]byte{
		"baseline":    MustEncode(t, img, 85),
		"progressive": cjpeg(t, img, "-progressive"),
	} {
		for _, s := range []int{1, 8} {
			full := &countdown{Context: context.Background(), n: 1 << 30}
			if _, err := DecodeContext(full, src, &Options{Scale: s}); err != nil {
				t.Fatal(err)
			}
			// 384 rows are 48 MCU rows (4:2:0: 24); every scan checks
			// once per row, so a full decode checks many times.
			if full.calls < 24 {
				t.Errorf("%s 1/%d: context checked %d times, want at least once per MCU row", name, s, full.calls)
			}
			for _, n := range []int{1, 5, full.calls} {
				ctx := &countdown{Context: context.Background(), n: n}
				img, err := DecodeContext(ctx, src, &Options{Scale: s})
				if !errors.Is(err, context.Canceled) || img != nil {
					t.Errorf("%s 1/%d, cancelled at check %d: %v, %v; want context.Canceled", name, s, n, img, err)
				}
				if ctx.calls != n {
					t.Errorf("%s 1/%d: decoding went on after the cancellation (%d checks, cancelled at %d)", name, s, ctx.calls, n)
				}
			}
		}
	}
}

// TestConfig_DecodeBytes checks the estimate against what Decode really
// allocates, for each colour space and scale.
func TestConfig_DecodeBytes(t *testing.T) {
	img := photoLike(640, 480)
	ycc := MustEncode(t, img, 85)
	inputs := map[string][]byte{
		"ycbcr 4:2:0": ycc,
		"progressive": cjpeg(t, img, "-progressive"),
		"cmyk":        MustRead(t, "testdata/cmyk.jpeg"),
		"ycck":        asYCCK(t, MustRead(t, "testdata/cmyk.jpeg")),
		"rgb":         MustRead(t, "testdata/rgb.jpeg"),
		"gray":        MustRead(t, "testdata/gray-progressive.jpeg"),
	}
	for name, src := range inputs {
		cfg, err := DecodeConfig(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []int{1, 2, 4, 8} {
			var a, b runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&a)
			MustDecode(t, src, s)
			runtime.ReadMemStats(&b)
			got, est := int64(b.TotalAlloc-a.TotalAlloc), cfg.DecodeBytes(s)
			// The estimate covers the pixel memory; the fixed part (the
			// decoder, Huffman tables: about 20 KB) comes on top.
			if est > got || got > est+est/10+(24<<10) {
				t.Errorf("%s 1/%d: DecodeBytes %d, Decode allocated %d", name, s, est, got)
			}
		}
	}
}
