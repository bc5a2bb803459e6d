package webpdec

import (
	"bytes"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/image/webp"

	"github.com/rampartdev/rampart/internal/testenv"
)

// fuzzMaxPixels keeps fuzzed headers from asking for large images.
const fuzzMaxPixels = 1 << 20

// FuzzDecode feeds arbitrary bytes to DecodeConfig and Decode at every
// scale. Nothing may panic or allocate beyond the pixel limit; errors must
// be the documented kinds; every scale must accept exactly what full scale
// accepts, with bounds ⌈w/s⌉ × ⌈h/s⌉ and, for lossy images without alpha,
// the box average of the unfiltered full-scale planes, and so must
// averaging to an arbitrary smaller size. At full scale the
// result must equal golang.org/x/image/webp's (lossy samples converted to
// full range). Where they disagree (x/image rejects partitions libwebp
// clamps, for one), libwebp's dwebp decides, and the decoder must agree
// with it; inputs with coefficients no encoder produces (where libwebp's
// own SIMD and C code differ) and animations (which both oracles refuse
// and Decode shows the first frame of) are only held to the other checks.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"video-001.lossy.webp", "yellow_rose.lossy-with-alpha.webp"} {
		f.Add(mustRead(f, filepath.Join("..", "testdata", name)))
	}
	f.Add(zeroBitLossless(64, 48))
	if _, err := exec.LookPath("cwebp"); err == nil {
		small := photoLike(23, 19, true)
		for _, o := range [][]string{{"-q", "30"}, {"-nostrong", "-alpha_method", "0"}, {"-lossless"}, {"-lossless", "-z", "9"}, {"-noalpha", "-segments", "4", "-f", "90"}} {
			f.Add(cwebp(f, small, o...))
		}
		// An animation whose first frame does not cover the canvas.
		frame := bitstream(f, cwebp(f, photoLike(12, 10, false)))
		f.Add(riff(vp8x(0x02, 20, 16), chunk("ANIM", make([]byte, 6)), anmf(4, 2, 12, 10, frame)))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, cfgErr := DecodeConfig(src)
		var got [9]image.Image
		for _, s := range []int{1, 2, 4, 8} {
			img, err := Decode(src, &Options{Scale: s, MaxPixels: fuzzMaxPixels})
			if err != nil {
				if !documented(err) && !errors.Is(err, ErrTooManyPixels) {
					t.Fatalf("1/%d: undocumented error %T %v", s, err, err)
				}
				if s > 1 && got[1] != nil {
					t.Fatalf("1/1 decodes but 1/%d fails: %v", s, err)
				}
				continue
			}
			if cfgErr != nil {
				t.Fatalf("Decode accepts what DecodeConfig rejects: %v", cfgErr)
			}
			if s > 1 && got[1] == nil {
				t.Fatalf("1/%d decodes but 1/1 fails", s)
			}
			if want := image.Rect(0, 0, (cfg.Width+s-1)/s, (cfg.Height+s-1)/s); img.Bounds() != want {
				t.Fatalf("1/%d: bounds %v, want %v", s, img.Bounds(), want)
			}
			got[s] = img
		}
		if got[1] == nil {
			return
		}
		// Averaged to a size that is not a power-of-two reduction.
		tw, th := max(1, cfg.Width*2/5), max(1, cfg.Height*2/5)
		if img, err := Decode(src, &Options{Width: tw, Height: th, MaxPixels: fuzzMaxPixels}); err != nil {
			t.Fatalf("1/1 decodes but %dx%d fails: %v", tw, th, err)
		} else if img.Bounds() != image.Rect(0, 0, tw, th) {
			t.Fatalf("%dx%d: bounds %v", tw, th, img.Bounds())
		}
		if cfg.Animated {
			return
		}
		if m, ok := got[1].(*image.YCbCr); ok {
			raw := mustDecode(t, src, &Options{noFilter: true, rawRange: true})
			red := mustDecode(t, src, &Options{Scale: 2, rawRange: true})
			if d := diffImages(red, boxYCbCr(raw.(*image.YCbCr), 2)); d != "" {
				t.Fatalf("1/2 is not the box average of the unfiltered planes: %s (%v)", d, m.Rect)
			}
		}
		var stats decodeStats
		Decode(src, &Options{MaxPixels: fuzzMaxPixels, stats: &stats})
		if xc, err := webp.DecodeConfig(bytes.NewReader(src)); err == nil && int64(xc.Width)*int64(xc.Height) > fuzzMaxPixels {
			return
		}
		want, xerr := xImage(src)
		if xerr == nil && diffImages(got[1], want) == "" {
			return
		}
		if stats.wild {
			return
		}
		ref := dwebpDecode(t, src)
		if ref == nil {
			t.Fatalf("Decode accepts what libwebp and x/image/webp reject (%v)", xerr)
		}
		if d := diffImages(got[1], ref); d != "" {
			t.Fatalf("differs from libwebp: %s (x/image/webp: %v)", d, xerr)
		}
	})
}

// dwebpDecode decodes src with libwebp's dwebp as Decode would return it:
// lossy planes (see dwebpYUV), or for a lossless image its RGBA. It
// returns a nil image if dwebp rejects src; without dwebp it skips t (fails
// it in CI), as every other libwebp check does.
func dwebpDecode(t *testing.T, src []byte) image.Image {
	t.Helper()
	tool := testenv.Command(t, "dwebp")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.webp")
	if err := os.WriteFile(in, src, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := DecodeConfig(src)
	if err != nil {
		return nil
	}
	if !cfg.Lossless {
		if exec.Command(tool, "-quiet", "-yuv", in, "-o", filepath.Join(dir, "out.yuv")).Run() != nil {
			return nil
		}
		m := dwebpYUV(t, src)
		if a, ok := m.(*image.NYCbCrA); ok && bytes.Count(a.A, []byte{255}) == len(a.A) {
			// VP8X says alpha but there is no ALPH chunk: libwebp returns
			// opaque alpha, Decode no alpha.
			return &a.YCbCr
		}
		return m
	}
	out := filepath.Join(dir, "out.pam")
	if exec.Command(tool, "-quiet", "-pam", in, "-o", out).Run() != nil {
		return nil
	}
	pam := mustRead(t, out)
	// PAM: a text header ending in ENDHDR, then RGBA rows.
	i := bytes.Index(pam, []byte("ENDHDR\n"))
	if i < 0 {
		t.Fatalf("dwebp -pam wrote no header")
	}
	img := image.NewNRGBA(image.Rect(0, 0, cfg.Width, cfg.Height))
	copy(img.Pix, pam[i+7:])
	return img
}
