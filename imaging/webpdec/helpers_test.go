package webpdec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/webp"

	"github.com/rampartdev/rampart/imaging/internal/imagetest"
	"github.com/rampartdev/rampart/internal/testenv"
)

// photoLike is the decoders' shared test picture (see imagetest.PhotoLike).
func photoLike(w, h int, alpha bool) *image.NRGBA { return imagetest.PhotoLike(w, h, alpha) }

// smooth draws gentle gradients with a few flat patches and one hard edge,
// the kind of content most of a photo's sky is.
func smooth(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := color.NRGBA{clampF(60 + 120*fx), clampF(90 + 80*fy), clampF(200 - 60*fx*fy), 255}
			switch {
			case x > w/2 && y < h/3:
				c = color.NRGBA{250, 250, 245, 255}
			case y > 2*h/3 && x < w/3:
				c = color.NRGBA{20, 30, 25, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// greyOf returns img's luma as an *image.Gray.
func greyOf(img image.Image) *image.Gray {
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

func clampF(v float64) uint8 { return imagetest.Clamp(v) }

// mustPNG encodes img as PNG, uncompressed: it is only cwebp's input, and
// deflating it is most of what making a fixture costs under -race.
func mustPNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	if err := enc.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// run runs a tool of Debian's webp package (cwebp, dwebp, webpmux,
// img2webp) in dir, skipping the test (failing it in CI) when it is not
// installed, and returns its standard output.
func run(tb testing.TB, dir, tool string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(testenv.Command(tb, tool), args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// cwebp encodes img with libwebp's cwebp and the given options.
func cwebp(tb testing.TB, img image.Image, args ...string) []byte {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.png"), mustPNG(tb, img), 0o644); err != nil {
		tb.Fatal(err)
	}
	run(tb, dir, "cwebp", append(append([]string{"-quiet"}, args...), "in.png", "-o", "out.webp")...)
	return mustRead(tb, filepath.Join(dir, "out.webp"))
}

// fixture is a WebP made by cwebp, named by its options.
type fixture struct {
	name string
	src  []byte
}

// lossyOptions are cwebp settings that between them use every coding
// tool a VP8 key frame has: both loop filters at several strengths and
// sharpnesses, segments with their own quantizers and filter levels,
// quantizers from coarse (large coefficients) to fine, and the encoder's
// fastest and slowest mode searches.
var lossyOptions = [][]string{
	{},
	{"-q", "5"},
	{"-q", "100", "-m", "6"},
	{"-f", "0"},
	{"-f", "100", "-sharpness", "0", "-strong"},
	{"-f", "70", "-sharpness", "7"},
	{"-f", "50", "-nostrong"},
	{"-f", "100", "-nostrong", "-sharpness", "3"},
	{"-segments", "1", "-sns", "0"},
	{"-segments", "4", "-sns", "100", "-q", "40"},
	{"-m", "0", "-q", "90"},
}

// alphaOptions code the alpha plane raw and losslessly, with every filter.
var alphaOptions = [][]string{
	{"-alpha_method", "0", "-alpha_filter", "none"},
	{"-alpha_method", "1", "-alpha_filter", "none"},
	{"-alpha_method", "1", "-alpha_filter", "fast"},
	{"-alpha_method", "1", "-alpha_filter", "best", "-alpha_q", "50"},
	{"-alpha_method", "0", "-alpha_filter", "best", "-exact"},
}

var losslessOptions = [][]string{
	{"-lossless"},
	{"-lossless", "-z", "9"},
	{"-near_lossless", "40"},
}

// fixtures returns the committed WebP files and, when cwebp is installed,
// a WebP of a generated image at an awkward size (not a whole number of
// macroblocks, odd) for every option set. They are made once per run.
func fixtures(tb testing.TB) []fixture {
	tb.Helper()
	fixturesOnce.Do(func() { fixturesMade = makeFixtures(tb) })
	if fixturesMade == nil {
		tb.Fatal("making the fixtures failed")
	}
	return fixturesMade
}

var (
	fixturesOnce sync.Once
	fixturesMade []fixture
)

func makeFixtures(tb testing.TB) []fixture {
	tb.Helper()
	var out []fixture
	for _, name := range []string{"video-001.lossy.webp", "yellow_rose.lossy-with-alpha.webp"} {
		out = append(out, fixture{name, mustRead(tb, filepath.Join("..", "testdata", name))})
	}
	opaque, translucent := photoLike(77, 45, false), photoLike(61, 83, true)
	add := func(img image.Image, kind string, opts [][]string) {
		for _, o := range opts {
			out = append(out, fixture{fmt.Sprintf("%s %dx%d %s", kind, img.Bounds().Dx(), img.Bounds().Dy(), strings.Join(o, " ")), cwebp(tb, img, o...)})
		}
	}
	add(opaque, "lossy", lossyOptions)
	// Smooth: many macroblocks predicted whole with a DC-only residual.
	add(smooth(93, 70), "smooth", [][]string{{}, {"-q", "95", "-sns", "0"}})
	// Slivers: one or two pixels across.
	add(photoLike(2, 300, true), "sliver", [][]string{{}, {"-lossless"}})
	add(photoLike(300, 1, false), "sliver", [][]string{{}})
	add(translucent, "alpha", alphaOptions)
	add(translucent, "lossless", losslessOptions)
	add(opaque, "lossless", losslessOptions[:1])
	// Grey: with the subtract-green transform red and blue are all zero,
	// and opaque, so literals read only their green (trivialARB).
	add(greyOf(opaque), "grey lossless", losslessOptions[:1])
	return out
}

// mustRead reads a file.
func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustDecode decodes src with opts.
func mustDecode(tb testing.TB, src []byte, opts *Options) image.Image {
	tb.Helper()
	img, err := Decode(src, opts)
	if err != nil {
		tb.Fatalf("Decode %+v: %v", opts, err)
	}
	return img
}

// xImage decodes src with golang.org/x/image/webp, the oracle, converting
// a lossy result to full range the way Decode does so the two compare
// sample for sample.
func xImage(src []byte) (image.Image, error) {
	m, err := webp.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	switch m := m.(type) {
	case *image.YCbCr:
		return fullRange(m), nil
	case *image.NYCbCrA:
		c := *m
		c.YCbCr = *fullRange(&m.YCbCr)
		return &c, nil
	}
	return m, nil
}

func fullRange(m *image.YCbCr) *image.YCbCr {
	c := *m
	c.Y, c.Cb, c.Cr = bytes.Clone(m.Y), bytes.Clone(m.Cb), bytes.Clone(m.Cr)
	convert(c.Y, &lumaRange)
	convert(c.Cb, &chromaRange)
	convert(c.Cr, &chromaRange)
	return &c
}

// dwebpYUV decodes src with libwebp's dwebp to its limited-range planes
// (dwebp -yuv: Y, then U and V at half size rounded up, then alpha if the
// image has it), converted to full range like Decode's output: an
// *image.YCbCr or an *image.NYCbCrA.
func dwebpYUV(tb testing.TB, src []byte) image.Image {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.webp"), src, 0o644); err != nil {
		tb.Fatal(err)
	}
	run(tb, dir, "dwebp", "-quiet", "-yuv", "in.webp", "-o", "out.yuv")
	cfg, err := DecodeConfig(src)
	if err != nil {
		tb.Fatal(err)
	}
	w, h := cfg.Width, cfg.Height
	cw, ch := (w+1)/2, (h+1)/2
	b := mustRead(tb, filepath.Join(dir, "out.yuv"))
	n := w*h + 2*cw*ch
	if len(b) != n && len(b) != n+w*h {
		tb.Fatalf("dwebp -yuv wrote %d bytes for %dx%d", len(b), w, h)
	}
	m := fullRange(&image.YCbCr{Y: b[:w*h], Cb: b[w*h : w*h+cw*ch], Cr: b[w*h+cw*ch : n], YStride: w, CStride: cw,
		SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, w, h)})
	if len(b) == n {
		return m
	}
	return &image.NYCbCrA{YCbCr: *m, A: b[n:], AStride: w}
}

// diffImages reports the first difference between two decoded images of
// the same type, or "" when they are sample for sample equal.
func diffImages(a, b image.Image) string {
	if a.Bounds() != b.Bounds() {
		return fmt.Sprintf("bounds %v vs %v", a.Bounds(), b.Bounds())
	}
	r := a.Bounds()
	switch a := a.(type) {
	case *image.YCbCr:
		b, ok := b.(*image.YCbCr)
		if !ok {
			return fmt.Sprintf("types %T vs %T", a, b)
		}
		return diffYCbCr(a, b)
	case *image.NYCbCrA:
		b, ok := b.(*image.NYCbCrA)
		if !ok {
			return fmt.Sprintf("types %T vs %T", a, b)
		}
		if d := diffYCbCr(&a.YCbCr, &b.YCbCr); d != "" {
			return d
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if va, vb := a.A[a.AOffset(x, y)], b.A[b.AOffset(x, y)]; va != vb {
					return fmt.Sprintf("A at (%d,%d): %d vs %d", x, y, va, vb)
				}
			}
		}
		return ""
	case *image.NRGBA:
		b, ok := b.(*image.NRGBA)
		if !ok {
			return fmt.Sprintf("types %T vs %T", a, b)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			ra, rb := a.Pix[a.PixOffset(r.Min.X, y):][:4*r.Dx()], b.Pix[b.PixOffset(r.Min.X, y):][:4*r.Dx()]
			for i := range ra {
				if ra[i] != rb[i] {
					return fmt.Sprintf("NRGBA at (%d,%d) channel %d: %d vs %d", r.Min.X+i/4, y, i%4, ra[i], rb[i])
				}
			}
		}
		return ""
	}
	return fmt.Sprintf("unexpected type %T", a)
}

func diffYCbCr(a, b *image.YCbCr) string {
	r := a.Rect
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if va, vb := a.Y[a.YOffset(x, y)], b.Y[b.YOffset(x, y)]; va != vb {
				return fmt.Sprintf("Y at (%d,%d): %d vs %d", x, y, va, vb)
			}
			ci, cj := a.COffset(x, y), b.COffset(x, y)
			if a.Cb[ci] != b.Cb[cj] || a.Cr[ci] != b.Cr[cj] {
				return fmt.Sprintf("CbCr at (%d,%d): %d,%d vs %d,%d", x, y, a.Cb[ci], a.Cr[ci], b.Cb[cj], b.Cr[cj])
			}
		}
	}
	return ""
}

// photoWebPs returns the photos in $RAMPART_PHOTOS (see
// ../../../shared/bin/photos) made WebP by cwebp at quality 80, cached in
// the user's cache folder, or nil when RAMPART_PHOTOS is unset.
func photoWebPs(tb testing.TB) []string {
	tb.Helper()
	dir := os.Getenv("RAMPART_PHOTOS")
	if dir == "" {
		return nil
	}
	jpegs, _ := filepath.Glob(filepath.Join(dir, "*.jp*g"))
	sort.Strings(jpegs)
	if len(jpegs) == 0 {
		tb.Fatalf("RAMPART_PHOTOS=%s holds no JPEG files", dir)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(cache, "rampart", "webp-photos")
	if err := os.MkdirAll(out, 0o755); err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, j := range jpegs {
		st, err := os.Stat(j)
		if err != nil {
			tb.Fatal(err)
		}
		name := filepath.Join(out, fmt.Sprintf("%s-%d.webp", strings.TrimSuffix(filepath.Base(j), filepath.Ext(j)), st.Size()))
		if _, err := os.Stat(name); err != nil {
			run(tb, out, "cwebp", "-quiet", "-q", "80", j, "-o", name)
		}
		names = append(names, name)
	}
	return names
}
