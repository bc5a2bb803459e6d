package imaging

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// photosEnv names the folder of real photographs (../shared/bin/photos DIR)
// used by the comparison test and the benchmark when set.
const photosEnv = "RAMPART_PHOTOS"

// MustPhotos returns the JPEG files in $RAMPART_PHOTOS, or nil when unset.
func MustPhotos(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := os.Getenv(photosEnv)
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		n := strings.ToLower(e.Name())
		if strings.HasSuffix(n, ".jpg") || strings.HasSuffix(n, ".jpeg") {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				tb.Fatal(err)
			}
			out[e.Name()] = b
		}
	}
	if len(out) == 0 {
		tb.Fatalf("%s=%s holds no JPEG files", photosEnv, dir)
	}
	return out
}

// sortedKeys returns the names of a photo set in order.
func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// synthetic draws a deterministic photo-like RGBA image: smooth gradients,
// a few hard edges and fine noise, so resizing and JPEG have real work.
func synthetic(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	// sin(a+b) = sin a cos b + cos a sin b, precomputed per column and row.
	sa, ca := make([]float64, w), make([]float64, w)
	for x := range sa {
		sa[x], ca[x] = math.Sincos(12 * float64(x) / float64(w))
	}
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		sb, cb := math.Sincos(7 * fy * fy)
		row := m.Pix[y*m.Stride:]
		for x := 0; x < w; x++ {
			v := 0.5 + 0.5*(sa[x]*cb+ca[x]*sb)
			n := r.IntN(24) - 12
			c := [3]uint8{clampInt(255*x/w + n), clampInt(int(255*v) + n), clampInt(255*y/h + n)}
			if (x/(w/8+1)+y/(h/6+1))%5 == 0 {
				c[0], c[1] = 255-c[0], c[1]/2
			}
			copy(row[4*x:], []uint8{c[0], c[1], c[2], 255})
		}
	}
	return m
}

func clampInt(v int) uint8 { return uint8(min(max(v, 0), 255)) }

// MustJPEG encodes img as a JPEG at quality 90.
func MustJPEG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// MustPNG encodes img as a PNG.
func MustPNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// MustDecode decodes a thumbnail (or any JPEG/PNG).
func MustDecode(tb testing.TB, data []byte) image.Image {
	tb.Helper()
	decode := func(r io.Reader) (image.Image, error) { m, _, err := image.Decode(r); return m, err }
	if f, _ := Sniff(data[:min(len(data), SniffLen)]); f == FormatWebP {
		decode = referenceWebP // see webp_test.go
	}
	m, err := decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// lumaPlane returns the JFIF luma of img as float64s, row-major.
func lumaPlane(img image.Image) (w, h int, y []float64) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	y = make([]float64, w*h)
	switch m := img.(type) { // JPEGs: read the luma plane directly
	case *image.YCbCr:
		for j := 0; j < h; j++ {
			for i := 0; i < w; i++ {
				y[j*w+i] = float64(m.Y[m.YOffset(b.Min.X+i, b.Min.Y+j)])
			}
		}
		return w, h, y
	case *image.Gray:
		for j := 0; j < h; j++ {
			for i := 0; i < w; i++ {
				y[j*w+i] = float64(m.Pix[m.PixOffset(b.Min.X+i, b.Min.Y+j)])
			}
		}
		return w, h, y
	}
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			r, g, bb, _ := img.At(b.Min.X+i, b.Min.Y+j).RGBA()
			y[j*w+i] = (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bb)) / 257
		}
	}
	return w, h, y
}

// ssim is the mean structural similarity of the luma of a and b (same size),
// over 8×8 windows with stride 4 and the usual constants (K1=0.01, K2=0.03,
// L=255), as in Wang et al. 2004 with a uniform window.
func ssim(tb testing.TB, a, b image.Image) float64 {
	tb.Helper()
	aw, ah, ya := lumaPlane(a)
	bw, bh, yb := lumaPlane(b)
	if aw != bw || ah != bh {
		tb.Fatalf("ssim: sizes differ: %dx%d vs %dx%d", aw, ah, bw, bh)
	}
	const win, step = 8, 4
	c1, c2 := math.Pow(0.01*255, 2), math.Pow(0.03*255, 2)
	var total float64
	var n int
	for y0 := 0; y0+win <= ah; y0 += step {
		for x0 := 0; x0+win <= aw; x0 += step {
			var sa, sb, saa, sbb, sab float64
			for y := y0; y < y0+win; y++ {
				for x := x0; x < x0+win; x++ {
					p, q := ya[y*aw+x], yb[y*aw+x]
					sa, sb, saa, sbb, sab = sa+p, sb+q, saa+p*p, sbb+q*q, sab+p*q
				}
			}
			const m = win * win
			ma, mb := sa/m, sb/m
			va, vb, cov := saa/m-ma*ma, sbb/m-mb*mb, sab/m-ma*mb
			total += ((2*ma*mb + c1) * (2*cov + c2)) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
			n++
		}
	}
	if n == 0 { // smaller than one window: compare pixel by pixel
		var se float64
		for i := range ya {
			se += (ya[i] - yb[i]) * (ya[i] - yb[i])
		}
		if se == 0 {
			return 1
		}
		return 1 - math.Sqrt(se/float64(len(ya)))/255
	}
	return total / float64(n)
}

// meanRGBDiff is the mean absolute difference per RGB channel (0 to 255)
// between the k×k block averages of two same-size images. Averaging blocks
// cancels what legitimately differs between two good thumbnails (filter
// ringing, JPEG noise) and keeps what must not: the colours.
func meanRGBDiff(tb testing.TB, a, b image.Image, k int) float64 {
	tb.Helper()
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		tb.Fatalf("meanRGBDiff: sizes differ: %v vs %v", ab, bb)
	}
	// Converted once (image/draw's fast paths), not pixel by pixel
	// through At, which dominates the sharp comparisons under -race.
	pa, pb := toRGBA(a), toRGBA(b)
	var sum float64
	n := 0
	for y0 := 0; y0+k <= ab.Dy(); y0 += k {
		for x0 := 0; x0+k <= ab.Dx(); x0 += k {
			var d [3]int
			for y := y0; y < y0+k; y++ {
				ra, rb := pa.Pix[y*pa.Stride+4*x0:], pb.Pix[y*pb.Stride+4*x0:]
				for i := 0; i < 4*k; i += 4 {
					d[0] += int(ra[i]) - int(rb[i])
					d[1] += int(ra[i+1]) - int(rb[i+1])
					d[2] += int(ra[i+2]) - int(rb[i+2])
				}
			}
			sum += (math.Abs(float64(d[0])) + math.Abs(float64(d[1])) + math.Abs(float64(d[2]))) / float64(k*k)
			n++
		}
	}
	return sum / 3 / float64(n)
}

// toRGBA copies m into an RGBA image with its origin at (0, 0).
func toRGBA(m image.Image) *image.RGBA {
	r := image.Rect(0, 0, m.Bounds().Dx(), m.Bounds().Dy())
	dst := image.NewRGBA(r)
	draw.Draw(dst, r, m, m.Bounds().Min, draw.Src)
	return dst
}
