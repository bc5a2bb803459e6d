package webpdec

import (
	"errors"
	"fmt"
	"image"
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
