package webpdec

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"sync"
	"testing"
)

// TestDecode_matchesXImage decodes every fixture at full scale and checks
// it sample for sample against golang.org/x/image/webp (whose lossy
// samples are converted to full range first: see xImage).
func TestDecode_matchesXImage(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			want, err := xImage(f.src)
			if err != nil {
				t.Fatalf("x/image/webp: %v", err)
			}
			if d := diffImages(mustDecode(t, f.src, nil), want); d != "" {
				t.Errorf("differs from x/image/webp: %s", d)
			}
		})
	}
}

// TestDecode_matchesLibwebp checks the full-scale lossy planes against
// libwebp's (dwebp -yuv), the reference decoder.
func TestDecode_matchesLibwebp(t *testing.T) {
	for _, f := range fixtures(t) {
		cfg, err := DecodeConfig(f.src)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Lossless {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			if d := diffImages(mustDecode(t, f.src, nil), dwebpYUV(t, f.src)); d != "" {
				t.Errorf("differs from dwebp: %s", d)
			}
		})
	}
}

// TestDecode_reduced checks every fixture at 1/2, 1/4 and 1/8: the bounds
// are ⌈w/s⌉ × ⌈h/s⌉ and each sample is the mean of the s×s samples it
// replaces, taken from the full-scale decode without the loop filter
// (which the reduced decode skips): for alpha images weighted by alpha,
// for the alpha plane and lossless images over the pixels inside the
// image.
func TestDecode_reduced(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			full := mustDecode(t, f.src, &Options{noFilter: true, rawRange: true})
			for _, s := range []int{2, 4, 8} {
				got := mustDecode(t, f.src, &Options{Scale: s, rawRange: true})
				var want image.Image
				switch m := full.(type) {
				case *image.YCbCr:
					want = boxYCbCr(m, s)
				case *image.NYCbCrA:
					want = boxNYCbCrA(m, s)
				case *image.NRGBA:
					want = boxNRGBA(m, s)
				}
				if d := diffImages(got, want); d != "" {
					t.Errorf("1/%d: %s", s, d)
				}
			}
		})
	}
}

// boxYCbCr averages s×s cells of the planes of a full-scale decode, which
// are padded to whole macroblocks.
func boxYCbCr(m *image.YCbCr, s int) *image.YCbCr {
	ys, cs := m.YStride/s, m.CStride/s
	out := &image.YCbCr{
		Y: make([]byte, ys*(len(m.Y)/m.YStride/s)), Cb: make([]byte, cs*(len(m.Cb)/m.CStride/s)), Cr: make([]byte, cs*(len(m.Cr)/m.CStride/s)),
		YStride: ys, CStride: cs, SubsampleRatio: m.SubsampleRatio,
		Rect: image.Rect(0, 0, (m.Rect.Dx()+s-1)/s, (m.Rect.Dy()+s-1)/s),
	}
	box := func(src []byte, stride int, dst []byte, dstride int) {
		for oy := 0; oy < len(dst)/dstride; oy++ {
			for ox := 0; ox < dstride; ox++ {
				sum := 0
				for j := 0; j < s; j++ {
					for i := 0; i < s; i++ {
						sum += int(src[(oy*s+j)*stride+ox*s+i])
					}
				}
				dst[oy*dstride+ox] = uint8((sum + s*s/2) / (s * s))
			}
		}
	}
	box(m.Y, m.YStride, out.Y, ys)
	box(m.Cb, m.CStride, out.Cb, cs)
	box(m.Cr, m.CStride, out.Cr, cs)
	return out
}

// boxNYCbCrA averages with alpha weights: luma by the alpha of each pixel,
// chroma by the summed alpha of the 2×2 pixels each sample covers (pixels
// outside the image weigh nothing), falling back to the plain mean where
// all weights are zero; alpha is the plain mean over the pixels inside.
func boxNYCbCrA(m *image.NYCbCrA, s int) *image.NYCbCrA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	al := func(x, y int) int {
		if x >= w || y >= h {
			return 0
		}
		return int(m.A[y*m.AStride+x])
	}
	ycc := boxYCbCr(&m.YCbCr, s) // for the layout; samples are recomputed
	mean := func(sum, sumA, plain, n int) uint8 {
		if sumA == 0 {
			return uint8((plain + n/2) / n)
		}
		return uint8((sum + sumA/2) / sumA)
	}
	for oy := 0; oy < len(ycc.Y)/ycc.YStride; oy++ {
		for ox := 0; ox < ycc.YStride; ox++ {
			var sum, sumA, plain int
			for j := 0; j < s; j++ {
				for i := 0; i < s; i++ {
					x, y := ox*s+i, oy*s+j
					v := int(m.Y[y*m.YStride+x])
					sum += v * al(x, y)
					sumA += al(x, y)
					plain += v
				}
			}
			ycc.Y[oy*ycc.YStride+ox] = mean(sum, sumA, plain, s*s)
		}
	}
	for oy := 0; oy < len(ycc.Cb)/ycc.CStride; oy++ {
		for ox := 0; ox < ycc.CStride; ox++ {
			var su, sv, pu, pv, sumA int
			for j := 0; j < s; j++ {
				for i := 0; i < s; i++ {
					cx, cy := ox*s+i, oy*s+j
					a := al(2*cx, 2*cy) + al(2*cx+1, 2*cy) + al(2*cx, 2*cy+1) + al(2*cx+1, 2*cy+1)
					u, v := int(m.Cb[cy*m.CStride+cx]), int(m.Cr[cy*m.CStride+cx])
					su, sv, pu, pv, sumA = su+u*a, sv+v*a, pu+u, pv+v, sumA+a
				}
			}
			ycc.Cb[oy*ycc.CStride+ox] = mean(su, sumA, pu, s*s)
			ycc.Cr[oy*ycc.CStride+ox] = mean(sv, sumA, pv, s*s)
		}
	}
	out := &image.NYCbCrA{YCbCr: *ycc, AStride: (w + s - 1) / s}
	out.A = make([]byte, out.AStride*((h+s-1)/s))
	for oy := 0; oy < (h+s-1)/s; oy++ {
		for ox := 0; ox < out.AStride; ox++ {
			sum, n := 0, 0
			for y := oy * s; y < min(oy*s+s, h); y++ {
				for x := ox * s; x < min(ox*s+s, w); x++ {
					sum += al(x, y)
					n++
				}
			}
			out.A[oy*out.AStride+ox] = uint8((sum + n/2) / n)
		}
	}
	return out
}

// boxNRGBA averages s×s pixels, colour weighted by alpha.
func boxNRGBA(m *image.NRGBA, s int) *image.NRGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, (w+s-1)/s, (h+s-1)/s))
	for oy := 0; oy < out.Rect.Dy(); oy++ {
		for ox := 0; ox < out.Rect.Dx(); ox++ {
			var c, plain [3]int
			sumA, n := 0, 0
			for y := oy * s; y < min(oy*s+s, h); y++ {
				for x := ox * s; x < min(ox*s+s, w); x++ {
					p := m.Pix[m.PixOffset(x, y):]
					for k := 0; k < 3; k++ {
						c[k] += int(p[k]) * int(p[3])
						plain[k] += int(p[k])
					}
					sumA += int(p[3])
					n++
				}
			}
			q := out.Pix[out.PixOffset(ox, oy):]
			for k := 0; k < 3; k++ {
				if sumA == 0 {
					q[k] = uint8((plain[k] + n/2) / n)
				} else {
					q[k] = uint8((c[k] + sumA/2) / sumA)
				}
			}
			q[3] = uint8((sumA + n/2) / n)
		}
	}
	return out
}

// TestDecodeConfig checks what the headers report for each kind of file.
func TestDecodeConfig(t *testing.T) {
	opaque, translucent := photoLike(77, 45, false), photoLike(61, 83, true)
	tests := []struct {
		name            string
		src             []byte
		w, h            int
		lossless, alpha bool
		model           string
	}{
		{"lossy", cwebp(t, opaque), 77, 45, false, false, "YCbCr"},
		{"lossy with alpha", cwebp(t, translucent), 61, 83, false, true, "NYCbCrA"},
		{"lossless", cwebp(t, translucent, "-lossless"), 61, 83, true, true, "NRGBA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := DecodeConfig(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != tt.w || cfg.Height != tt.h || cfg.Lossless != tt.lossless || cfg.Alpha != tt.alpha || cfg.Frames != 1 {
				t.Errorf("config %+v, want %dx%d lossless=%v alpha=%v frames=1", cfg, tt.w, tt.h, tt.lossless, tt.alpha)
			}
			img := mustDecode(t, tt.src, nil)
			if got := fmt.Sprintf("%T", img.ColorModel().Convert(image.Black)); got != "color."+tt.model {
				t.Errorf("decoded colour model %s, want %s", got, tt.model)
			}
			if m := fmt.Sprintf("%T", cfg.ColorModel.Convert(image.Black)); m != "color."+tt.model {
				t.Errorf("config colour model %s, want %s", m, tt.model)
			}
		})
	}
}

// TestDecode_options checks the scale validation and the pixel limit,
// which is enforced before any pixel memory is allocated.
func TestDecode_options(t *testing.T) {
	src := mustRead(t, "../testdata/video-001.lossy.webp") // 150×103
	for _, s := range []int{-1, 3, 16} {
		if _, err := Decode(src, &Options{Scale: s}); !errors.Is(err, ErrInvalidScale) {
			t.Errorf("scale %d: err = %v, want ErrInvalidScale", s, err)
		}
	}
	if _, err := Decode(src, &Options{MaxPixels: 150*103 - 1}); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("MaxPixels below the size: err = %v, want ErrTooManyPixels", err)
	}
	if _, err := Decode(src, &Options{MaxPixels: 150 * 103}); err != nil {
		t.Errorf("MaxPixels at the size: %v", err)
	}
	if _, err := Decode(src, &Options{MaxPixels: -1}); err != nil {
		t.Errorf("no pixel limit: %v", err)
	}
}

// TestDecode_size decodes every fixture to sizes that are not a power-of-two
// reduction (and to the full size) and checks the result against the exact
// area average, computed here in floating point, of what the decode
// averages: the image decoded at the scale Decode picks, each of its
// samples standing for the s×s source pixels it covers (the last row and
// column for what is left of the image). The exact average is slow under
// -race, so an image over 50,000 pixels (yellow_rose, 400×301) is checked
// at one size for each scale Decode picks (1.3: 1/1, 3: 1/2, 7.1: 1/4);
// RAMPART_WEBP_HEAVY=1 checks it at every size.
func TestDecode_size(t *testing.T) {
	heavy := os.Getenv("RAMPART_WEBP_HEAVY") != ""
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			cfg, err := DecodeConfig(f.src)
			if err != nil {
				t.Fatal(err)
			}
			divs := []float64{1, 1.3, 2.5, 3, 7.1}
			if cfg.Width*cfg.Height > 50_000 && !heavy {
				divs = []float64{1.3, 3, 7.1}
			}
			for _, div := range divs {
				w, h := max(1, int(float64(cfg.Width)/div)), max(1, int(float64(cfg.Height)/div))
				o := &Options{Width: w, Height: h}
				got := mustDecode(t, f.src, o)
				if got.Bounds() != image.Rect(0, 0, w, h) {
					t.Fatalf("%dx%d: bounds %v", w, h, got.Bounds())
				}
				s, _, _, _ := cfg.plan(o)
				cells := replicate(mustDecode(t, f.src, &Options{Scale: s}), s, cfg.Width, cfg.Height)
				// Two passes of fixed-point weights, each rounded to a byte,
				// and for alpha a weighted division: a few levels at most.
				if mean, worst := areaDiff(cells, got); mean > 0.5 || worst > 4 {
					t.Errorf("%dx%d (from 1/%d): against the exact area average: mean difference %.2f, max %.1f", w, h, s, mean, worst)
				}
			}
			for _, o := range []Options{{Width: cfg.Width + 1, Height: cfg.Height}, {Width: 10}, {Width: -1, Height: 5}} {
				if _, err := Decode(f.src, &o); !errors.Is(err, ErrInvalidSize) {
					t.Errorf("%+v: err = %v, want ErrInvalidSize", o, err)
				}
			}
		})
	}
}

// replicate returns the W×H image in which every pixel has the value of the
// sample of m (decoded at 1/s) that covers it.
func replicate(m image.Image, s, W, H int) image.Image {
	if s == 1 {
		return m
	}
	switch m := m.(type) {
	case *image.YCbCr:
		return replicateYCbCr(m, s, W, H)
	case *image.NYCbCrA:
		out := &image.NYCbCrA{YCbCr: *replicateYCbCr(&m.YCbCr, s, W, H), A: make([]byte, W*H), AStride: W}
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				out.A[y*W+x] = m.A[m.AOffset(x/s, y/s)]
			}
		}
		return out
	case *image.NRGBA:
		out := image.NewNRGBA(image.Rect(0, 0, W, H))
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				copy(out.Pix[out.PixOffset(x, y):][:4], m.Pix[m.PixOffset(x/s, y/s):])
			}
		}
		return out
	}
	panic(fmt.Sprintf("replicate %T", m))
}

func replicateYCbCr(m *image.YCbCr, s, W, H int) *image.YCbCr {
	out := image.NewYCbCr(image.Rect(0, 0, W, H), image.YCbCrSubsampleRatio420)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			out.Y[out.YOffset(x, y)] = m.Y[m.YOffset(x/s, y/s)]
			out.Cb[out.COffset(x, y)] = m.Cb[m.COffset(x/s, y/s)]
			out.Cr[out.COffset(x, y)] = m.Cr[m.COffset(x/s, y/s)]
		}
	}
	return out
}

// areaDiff compares got with the exact area average of full, plane by
// plane (luma, chroma over the source area each output chroma sample
// covers, alpha; colour weighted by alpha; NRGBA premultiplied): the mean
// and largest difference.
func areaDiff(full, got image.Image) (mean, worst float64) {
	W, H := full.Bounds().Dx(), full.Bounds().Dy()
	w, h := got.Bounds().Dx(), got.Bounds().Dy()
	// exact integrates f·weight and weight over source luma pixels
	// [x0,x1)×[y0,y1) (fractions of pixels at the borders).
	exact := func(x0, x1, y0, y1 float64, f, weight func(x, y int) float64) float64 {
		var num, den float64
		for y := int(y0); y < H && float64(y) < y1; y++ {
			wy := math.Min(y1, float64(y+1)) - math.Max(y0, float64(y))
			for x := int(x0); x < W && float64(x) < x1; x++ {
				wx := math.Min(x1, float64(x+1)) - math.Max(x0, float64(x))
				num += wx * wy * f(x, y) * weight(x, y)
				den += wx * wy * weight(x, y)
			}
		}
		if den == 0 {
			return math.NaN()
		}
		return num / den
	}
	one := func(int, int) float64 { return 1 }
	var sum float64
	n := 0
	weight := 1.0 // colour under alpha: its error weighs as much as it shows
	cmp := func(want float64, got uint8) {
		if math.IsNaN(want) {
			return
		}
		d := math.Abs(want-float64(got)) * weight
		sum += d
		worst = math.Max(worst, d)
		n++
	}
	sx, sy := float64(W)/float64(w), float64(H)/float64(h)
	outAlpha := func(int, int) float64 { return 1 }
	ycc := func(f *image.YCbCr, g *image.YCbCr, alpha func(x, y int) float64) {
		for oy := 0; oy < h; oy++ {
			for ox := 0; ox < w; ox++ {
				x0, y0 := float64(ox)*sx, float64(oy)*sy
				weight = outAlpha(ox, oy)
				cmp(exact(x0, x0+sx, y0, y0+sy, func(x, y int) float64 { return float64(f.Y[f.YOffset(x, y)]) }, alpha), g.Y[g.YOffset(ox, oy)])
			}
		}
		for cy := 0; cy < (h+1)/2; cy++ {
			for cx := 0; cx < (w+1)/2; cx++ {
				x0, x1 := float64(2*cx)*sx, float64(min(2*cx+2, w))*sx
				y0, y1 := float64(2*cy)*sy, float64(min(2*cy+2, h))*sy
				i := g.COffset(2*cx, 2*cy)
				weight = outAlpha(2*cx, 2*cy)
				cmp(exact(x0, x1, y0, y1, func(x, y int) float64 { return float64(f.Cb[f.COffset(x, y)]) }, alpha), g.Cb[i])
				cmp(exact(x0, x1, y0, y1, func(x, y int) float64 { return float64(f.Cr[f.COffset(x, y)]) }, alpha), g.Cr[i])
			}
		}
	}
	switch f := full.(type) {
	case *image.YCbCr:
		ycc(f, got.(*image.YCbCr), one)
	case *image.NYCbCrA:
		g := got.(*image.NYCbCrA)
		alpha := func(x, y int) float64 { return float64(f.A[f.AOffset(x, y)]) }
		outAlpha = func(x, y int) float64 { return float64(g.A[g.AOffset(x, y)]) / 255 }
		ycc(&f.YCbCr, &g.YCbCr, alpha)
		weight = 1
		for oy := 0; oy < h; oy++ {
			for ox := 0; ox < w; ox++ {
				x0, y0 := float64(ox)*sx, float64(oy)*sy
				cmp(exact(x0, x0+sx, y0, y0+sy, alpha, one), g.A[g.AOffset(ox, oy)])
			}
		}
	case *image.NRGBA:
		g := got.(*image.NRGBA)
		alpha := func(x, y int) float64 { return float64(f.Pix[f.PixOffset(x, y)+3]) }
		for oy := 0; oy < h; oy++ {
			for ox := 0; ox < w; ox++ {
				x0, y0 := float64(ox)*sx, float64(oy)*sy
				weight = float64(g.Pix[g.PixOffset(ox, oy)+3]) / 255
				for c := 0; c < 3; c++ {
					cmp(exact(x0, x0+sx, y0, y0+sy, func(x, y int) float64 { return float64(f.Pix[f.PixOffset(x, y)+c]) }, alpha), g.Pix[g.PixOffset(ox, oy)+c])
				}
				weight = 1
				cmp(exact(x0, x0+sx, y0, y0+sy, alpha, one), g.Pix[g.PixOffset(ox, oy)+3])
			}
		}
	}
	return sum / float64(n), worst
}

// TestDecode_concurrent decodes the fixtures from several goroutines at
// once (under -race: the decoder shares nothing but read-only tables).
func TestDecode_concurrent(t *testing.T) {
	fs := fixtures(t)
	want := make([]image.Image, len(fs))
	for i, f := range fs {
		want[i] = mustDecode(t, f.src, &Options{Scale: 2})
	}
	errs := make(chan string, 4*len(fs))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i, f := range fs {
				got, err := Decode(f.src, &Options{Scale: 2})
				if err != nil {
					errs <- err.Error()
				} else if d := diffImages(got, want[i]); d != "" {
					errs <- f.name + ": " + d
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
