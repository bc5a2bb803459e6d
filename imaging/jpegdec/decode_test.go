package jpegdec

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

// minPSNR is the agreement required with image/jpeg at full scale: both
// decoders implement the same IDCT to within rounding, so differences are
// ±1 level at a few samples.
const minPSNR = 45

// minScaledPSNR is the agreement required between a scaled decode and the
// full image/jpeg decode box-averaged to the same size. The reduced IDCT
// is a point sample of the block's low frequencies, not a box average, so
// fine texture differs; this bound catches misplaced blocks and broken
// frequencies, which fall far below it.
const minScaledPSNR = 28

// checkFullScale decodes src at 1/1 and compares it with image/jpeg.
func checkFullScale(t *testing.T, src []byte) image.Image {
	t.Helper()
	want := MustDecodeStd(t, src)
	got := MustDecode(t, src, 1)
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) || got.Bounds() != want.Bounds() {
		t.Fatalf("got %s, image/jpeg gives %s", describe(got), describe(want))
	}
	if g, ok := got.(*image.YCbCr); ok {
		if g.SubsampleRatio != want.(*image.YCbCr).SubsampleRatio {
			t.Fatalf("got %s, image/jpeg gives %s", describe(got), describe(want))
		}
	}
	if p := psnr(t, planes(t, got), planes(t, want)); p < minPSNR {
		t.Errorf("1/1: PSNR against image/jpeg = %.2f dB, want >= %d", p, minPSNR)
	}
	return want
}

// checkScaled decodes src at 1/2, 1/4 and 1/8 and compares each with the
// full-size reference box-averaged by the same factor; it returns the PSNRs.
func checkScaled(t *testing.T, src []byte, full image.Image, minPSNR float64) (out [3]float64) {
	t.Helper()
	fb := full.Bounds()
	for i, s := range []int{2, 4, 8} {
		got := MustDecode(t, src, s)
		wantRect := image.Rect(0, 0, (fb.Dx()+s-1)/s, (fb.Dy()+s-1)/s)
		if got.Bounds() != wantRect {
			t.Fatalf("1/%d: bounds %v, want %v", s, got.Bounds(), wantRect)
		}
		// Compare whole s×s groups only: an edge block of the scaled decode
		// also averages the encoder's padding beyond the image, as
		// libjpeg's does.
		gp, fp := planes(t, got), planes(t, full)
		ref := make([][]byte, len(fp))
		for j := range fp {
			fw, fh := planeDims(full, j)
			gw, _ := planeDims(got, j)
			ch := pixelChannels(full)
			cw, chh := fw/s, fh/s
			ref[j] = boxDown(fp[j], fw, fh, cw, chh, s, ch)
			gp[j] = cropPlane(gp[j], gw*ch, cw*ch, chh)
		}
		if len(gp[0]) == 0 {
			continue
		}
		out[i] = psnr(t, gp, ref)
		if out[i] < minPSNR {
			t.Errorf("1/%d: PSNR against box-averaged image/jpeg = %.2f dB, want >= %.0f", s, out[i], minPSNR)
		}
	}
	return out
}

// planeDims returns the width (in pixels) and height of plane j of img.
func planeDims(img image.Image, j int) (int, int) {
	b := img.Bounds()
	if m, ok := img.(*image.YCbCr); ok && j > 0 {
		return chromaSize(m.SubsampleRatio, b.Dx(), b.Dy())
	}
	return b.Dx(), b.Dy()
}

// pixelChannels is the number of interleaved bytes per pixel.
func pixelChannels(img image.Image) int {
	switch img.(type) {
	case *image.RGBA, *image.CMYK:
		return 4
	}
	return 1
}

// cropPlane keeps the top-left w×h of a plane stride bytes wide.
func cropPlane(p []byte, stride, w, h int) []byte {
	out := make([]byte, 0, w*h)
	for y := 0; y < h; y++ {
		out = append(out, p[y*stride:y*stride+w]...)
	}
	return out
}

// boxDown averages s×s groups of a w×h plane (ch interleaved channels) into
// a gw×gh one; groups at the edges average the samples they have.
func boxDown(p []byte, w, h, gw, gh, s, ch int) []byte {
	out := make([]byte, gw*gh*ch)
	for y := 0; y < gh; y++ {
		for x := 0; x < gw; x++ {
			for c := 0; c < ch; c++ {
				sum, n := 0, 0
				for yy := y * s; yy < min(h, y*s+s); yy++ {
					for xx := x * s; xx < min(w, x*s+s); xx++ {
						sum += int(p[(yy*w+xx)*ch+c])
						n++
					}
				}
				if n > 0 {
					out[(y*gw+x)*ch+c] = byte((sum + n/2) / n)
				}
			}
		}
	}
	return out
}

// TestDecode_generated covers what image/jpeg's encoder writes: 4:2:0
// colour and greyscale, at sizes that are not multiples of the MCU.
func TestDecode_generated(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {7, 9}, {16, 16}, {203, 157}, {640, 17}} {
		for _, gray := range []bool{false, true} {
			for _, q := range []int{30, 95} {
				name := fmt.Sprintf("%dx%d/gray=%v/q=%d", size[0], size[1], gray, q)
				t.Run(name, func(t *testing.T) {
					var img image.Image = photoLike(size[0], size[1])
					if gray {
						g := image.NewGray(img.Bounds())
						for y := 0; y < size[1]; y++ {
							for x := 0; x < size[0]; x++ {
								g.Set(x, y, img.At(x, y))
							}
						}
						img = g
					}
					src := MustEncode(t, img, q)
					full := checkFullScale(t, src)
					checkScaled(t, src, full, minScaledPSNR)
				})
			}
		}
	}
}

// cjpegCases are the encodings libjpeg-turbo's cjpeg can write and
// image/jpeg's encoder cannot: every subsampling, progressive, restart
// intervals, RGB, optimised Huffman tables.
type cjpegCase struct {
	name, args string
	// scaledMin overrides minScaledPSNR.
	scaledMin float64
}

var cjpegCases = func() (cases []cjpegCase) {
	add := func(name, args string) { cases = append(cases, cjpegCase{name: name, args: args}) }
	for _, s := range []struct{ name, sample string }{
		{"444", "1x1"}, {"422", "2x1"}, {"420", "2x2"}, {"440", "1x2"}, {"411", "4x1"}, {"410", "4x2"},
	} {
		for _, mode := range []string{"baseline", "progressive"} {
			for _, rst := range []string{"", "3B"} {
				args := "-quality 85 -sample " + s.sample
				if mode == "progressive" {
					args += " -progressive"
				}
				name := s.name + "-" + mode
				if rst != "" {
					args += " -restart " + rst
					name += "-restart"
				}
				add(name, args)
			}
		}
	}
	add("gray-baseline", "-grayscale -quality 90")
	add("gray-progressive-restart", "-grayscale -progressive -restart 1")
	add("rgb-baseline", "-rgb -quality 90")
	add("rgb-progressive-restart", "-rgb -progressive -restart 2")
	// Subsampled G and B: at 1/8 they are replicated from 1/16 of the
	// resolution, while the reference box-averages image/jpeg's 1/2; the
	// loss is inherent to such a file.
	cases = append(cases, cjpegCase{name: "rgb-subsampled", args: "-rgb -sample 2x2,1x1,1x1", scaledMin: 24})
	add("420-optimized-q20", "-optimize -quality 20 -restart 1")
	add("444-progressive-q100", "-progressive -quality 100 -sample 1x1")
	return cases
}()

// cjpeg encodes img with libjpeg-turbo's cjpeg and the given arguments.
func cjpeg(t *testing.T, img *image.RGBA, args string) []byte {
	t.Helper()
	bin := testenv.Command(t, "cjpeg")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ppm")
	var ppm bytes.Buffer
	b := img.Bounds()
	fmt.Fprintf(&ppm, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	for i := 0; i < len(img.Pix); i += 4 {
		ppm.Write(img.Pix[i : i+3])
	}
	if err := os.WriteFile(in, ppm.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(splitArgs(args), in)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cjpeg %s: %v", args, err)
	}
	return out
}

func splitArgs(s string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(s)) {
		out = append(out, string(f))
	}
	return out
}

// minDjpegPSNR is the agreement required with libjpeg-turbo's scaled
// decode of the luma. At 1/1 and 1/8 both compute the same thing. At 1/2
// and 1/4 libjpeg's reduced IDCTs (jidctred.c) evaluate the 8-point IDCT at
// the group centres with every frequency that does not vanish there, while
// ours keep only the lowest (8/s)×(8/s) frequencies (a cleaner low-pass,
// and what lets a progressive decode skip the other bands): fine texture
// differs by a few levels.
var minDjpegPSNR = map[int]float64{1: minPSNR, 2: 35, 4: 37, 8: minPSNR}

// djpeg decodes src at 1/s with libjpeg-turbo's djpeg (integer IDCT, no
// fancy upsampling), returning the luma only (gray) or RGB triples.
func djpeg(t *testing.T, src []byte, s int, gray bool) (pix []byte, w, h int) {
	t.Helper()
	bin := testenv.Command(t, "djpeg")
	args := []string{"-dct", "int", "-nosmooth", "-scale", fmt.Sprintf("1/%d", s), "-pnm"}
	if gray {
		args = append(args, "-grayscale")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(src)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("djpeg: %v", err)
	}
	var magic string
	var maxv int
	if _, err := fmt.Fscan(bytes.NewReader(out), &magic, &w, &h, &maxv); err != nil {
		t.Fatalf("djpeg output: %v", err)
	}
	n := w * h
	if magic == "P6" {
		n *= 3
	}
	return out[len(out)-n:], w, h
}

// rgbBytes converts img to RGB triples with image/draw (nearest chroma,
// Go's YCbCr and CMYK formulas).
func rgbBytes(img image.Image) []byte {
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok { // djpeg writes greyscale as P5
		return planesOf(g)
	}
	m := image.NewRGBA(b)
	draw.Draw(m, b, img, b.Min, draw.Src)
	out := make([]byte, 0, 3*b.Dx()*b.Dy())
	for i := 0; i < len(m.Pix); i += 4 {
		out = append(out, m.Pix[i:i+3]...)
	}
	return out
}

func planesOf(g *image.Gray) []byte {
	b := g.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy())
	for y := 0; y < b.Dy(); y++ {
		out = append(out, g.Pix[y*g.Stride:y*g.Stride+b.Dx()]...)
	}
	return out
}

func TestDecode_cjpeg(t *testing.T) {
	testenv.Command(t, "cjpeg")
	img := photoLike(203, 157)
	for _, tc := range cjpegCases {
		t.Run(tc.name, func(t *testing.T) {
			src := cjpeg(t, img, tc.args)
			// libjpeg-turbo's full decode, colour converted without
			// fancy upsampling, against ours converted the same way.
			want, w, h := djpeg(t, src, 1, false)
			got := MustDecode(t, src, 1)
			if b := got.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Fatalf("%v, djpeg gives %dx%d", b, w, h)
			}
			if q := psnr(t, [][]byte{rgbBytes(got)}, [][]byte{want}); q < minPSNR {
				t.Errorf("1/1: RGB PSNR against djpeg = %.2f dB, want >= %d", q, minPSNR)
			}
			if _, err := jpeg.Decode(bytes.NewReader(src)); err != nil {
				// image/jpeg rejects progressive files with restart
				// intervals that libjpeg-turbo writes; djpeg is the oracle.
				t.Logf("image/jpeg cannot decode it (%v); compared with djpeg only", err)
				return
			}
			full := checkFullScale(t, src)
			p := checkScaled(t, src, full, cmp.Or(tc.scaledMin, minScaledPSNR))
			// Against libjpeg-turbo's own scaled decode of the luma.
			for _, s := range []int{1, 2, 4, 8} {
				want, w, h := djpeg(t, src, s, true)
				got := MustDecode(t, src, s)
				if b := got.Bounds(); b.Dx() != w || b.Dy() != h {
					t.Fatalf("1/%d: %v, djpeg gives %dx%d", s, b, w, h)
				}
				var luma []byte
				switch m := got.(type) {
				case *image.YCbCr, *image.Gray:
					luma = planes(t, m)[0]
				default:
					continue // RGB: djpeg converts, no plane to compare
				}
				if q := psnr(t, [][]byte{luma}, [][]byte{want}); q < minDjpegPSNR[s] {
					t.Errorf("1/%d: luma PSNR against djpeg -scale = %.2f dB, want >= %.0f", s, q, minDjpegPSNR[s])
				}
			}
			t.Logf("scaled PSNR vs box-averaged image/jpeg: 1/2 %.1f, 1/4 %.1f, 1/8 %.1f dB", p[0], p[1], p[2])
		})
	}
}
