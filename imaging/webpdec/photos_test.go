package webpdec

import (
	"image"
	"math"
	"path/filepath"
	"testing"
)

// TestDecode_photos decodes the photos of $RAMPART_PHOTOS made WebP by
// cwebp (see photoWebPs): at full scale sample for sample as x/image/webp
// does; at 1/2, 1/4 and 1/8 it reports, and bounds, how far the reduced
// decode (which skips the loop filter) is from the box average of the
// filtered full-scale image, as PSNR and SSIM of the luma.
//
//	../../../shared/bin/photos /tmp/photos
//	RAMPART_PHOTOS=/tmp/photos go test -run Decode_photos -v ./imaging/webpdec
func TestDecode_photos(t *testing.T) {
	names := photoWebPs(t)
	if names == nil {
		t.Skip("RAMPART_PHOTOS is not set")
	}
	if testing.Short() {
		names = names[:1]
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src := mustRead(t, name)
			want, err := xImage(src)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffImages(mustDecode(t, src, nil), want); d != "" {
				t.Errorf("full scale differs from x/image/webp: %s", d)
			}
			full := mustDecode(t, src, &Options{rawRange: true}).(*image.YCbCr)
			for _, s := range []int{2, 4, 8} {
				got := mustDecode(t, src, &Options{Scale: s, rawRange: true}).(*image.YCbCr)
				ref := boxYCbCr(full, s)
				p, ss := lumaPSNR(got, ref), lumaSSIM(got, ref)
				t.Logf("1/%d: against the box-averaged filtered image: luma PSNR %.1f dB, SSIM %.4f", s, p, ss)
				if p < 40 || ss < 0.98 {
					t.Errorf("1/%d: luma PSNR %.1f dB (want >= 40), SSIM %.4f (want >= 0.98)", s, p, ss)
				}
			}
		})
	}
}

func lumaPSNR(a, b *image.YCbCr) float64 {
	var se float64
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := float64(a.Y[y*a.YStride+x]) - float64(b.Y[y*b.YStride+x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(w*h)/se)
}

// lumaSSIM is the mean SSIM of the luma over 8×8 windows.
func lumaSSIM(a, b *image.YCbCr) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	c1, c2 := math.Pow(0.01*255, 2), math.Pow(0.03*255, 2)
	var sum float64
	n := 0
	for y0 := 0; y0+8 <= h; y0 += 8 {
		for x0 := 0; x0+8 <= w; x0 += 8 {
			var ma, mb, va, vb, cov float64
			for y := y0; y < y0+8; y++ {
				for x := x0; x < x0+8; x++ {
					ma += float64(a.Y[y*a.YStride+x])
					mb += float64(b.Y[y*b.YStride+x])
				}
			}
			ma, mb = ma/64, mb/64
			for y := y0; y < y0+8; y++ {
				for x := x0; x < x0+8; x++ {
					da, db := float64(a.Y[y*a.YStride+x])-ma, float64(b.Y[y*b.YStride+x])-mb
					va, vb, cov = va+da*da, vb+db*db, cov+da*db
				}
			}
			va, vb, cov = va/63, vb/63, cov/63
			sum += (2*ma*mb + c1) * (2*cov + c2) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
			n++
		}
	}
	return sum / float64(n)
}
