package jpegdec

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

// fuzzMaxPixels keeps fuzzed headers from asking for large images.
const fuzzMaxPixels = 1 << 20

// FuzzDecode feeds arbitrary bytes to Decode at every scale, with
// image/jpeg as the oracle and libjpeg-turbo's djpeg as the referee, so
// the target cannot cry wolf: no input may panic; whenever both decoders
// accept an input, they must agree on the image type and bounds and, at
// full scale, on the samples (PSNR >= minPSNR), unless djpeg agrees with
// Decode where image/jpeg does not (image/jpeg is then the one that is
// off: testdata/fuzz/FuzzDecode keeps such a progressive greyscale file).
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.jpeg")
	for _, file := range files {
		f.Add(MustRead(f, file))
	}
	f.Add(MustEncode(f, photoLike(17, 13), 75))
	gray := image.NewGray(image.Rect(0, 0, 9, 20))
	copy(gray.Pix, photoLike(9, 20).Pix)
	f.Add(MustEncode(f, gray, 50))

	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, cfgErr := DecodeConfig(src)
		var got [9]image.Image
		for _, s := range []int{1, 2, 4, 8} {
			img, err := Decode(src, &Options{Scale: s, MaxPixels: fuzzMaxPixels})
			if err != nil {
				if s > 1 && got[1] != nil {
					// Scaled decodes skip some data, so they may accept
					// what the full decode rejects, never the reverse.
					t.Fatalf("1/1 decodes but 1/%d fails: %v", s, err)
				}
				continue
			}
			if cfgErr != nil {
				t.Fatalf("Decode accepts what DecodeConfig rejects: %v", cfgErr)
			}
			want := image.Rect(0, 0, (cfg.Width+s-1)/s, (cfg.Height+s-1)/s)
			if img.Bounds() != want {
				t.Fatalf("1/%d: bounds %v, want %v", s, img.Bounds(), want)
			}
			got[s] = img
		}
		if got[1] == nil {
			return
		}
		if c, err := jpeg.DecodeConfig(bytes.NewReader(src)); err != nil || c.Width*c.Height > fuzzMaxPixels {
			return
		}
		std, err := jpeg.Decode(bytes.NewReader(src))
		if err != nil {
			return // libjpeg is more lenient than image/jpeg in places, and so are we
		}
		if sequentialEOBRuns(src) {
			return
		}
		checkRange = true
		_, d, err := decodeOpts(context.Background(), src, &Options{MaxPixels: fuzzMaxPixels})
		checkRange = false
		if err != nil || d.wild {
			return
		}
		for i := 0; i < d.ncomp; i++ {
			if !d.comp[i].scanned {
				// image/jpeg leaves a component no progressive scan
				// coded at zero samples; libjpeg and we decode its zero
				// coefficients (mid-grey).
				return
			}
		}
		if fmt.Sprintf("%T", std) != fmt.Sprintf("%T", got[1]) || std.Bounds() != got[1].Bounds() {
			t.Fatalf("got %s, image/jpeg %s", describe(got[1]), describe(std))
		}
		if p := psnr(t, planes(t, got[1]), planes(t, std)); p < minPSNR {
			q, err := djpegLumaPSNR(t, src, got[1])
			if err == nil && q >= minPSNR {
				t.Logf("image/jpeg is off (%.1f dB) where djpeg agrees with Decode (%.1f dB)", p, q)
				return
			}
			t.Fatalf("PSNR against image/jpeg %.2f dB, want >= %d; against djpeg: %.2f dB, %v", p, minPSNR, q, err)
		}
	})
}

// djpegLumaPSNR compares the luma (the grey plane, or Y of YCbCr) of img
// with djpeg's decode of src, the referee of FuzzDecode. Other colour
// spaces have no referee (djpeg converts them).
func djpegLumaPSNR(t *testing.T, src []byte, img image.Image) (float64, error) {
	switch img.(type) {
	case *image.Gray, *image.YCbCr:
	default:
		return 0, fmt.Errorf("no referee for %T", img)
	}
	bin := testenv.Command(t, "djpeg")
	cmd := exec.Command(bin, "-dct", "int", "-nosmooth", "-grayscale", "-pnm")
	cmd.Stdin = bytes.NewReader(src)
	out, err := cmd.Output()
	// Exit status 2 means warnings (corrupt data it recovered from, as
	// libjpeg does): the image is still written.
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 2 && len(out) > 0) {
		return 0, fmt.Errorf("djpeg: %v", err)
	}
	var magic string
	var w, h, maxv int
	if _, err := fmt.Fscan(bytes.NewReader(out), &magic, &w, &h, &maxv); err != nil || magic != "P5" || len(out) < w*h {
		return 0, fmt.Errorf("djpeg output: %q %v", magic, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return 0, fmt.Errorf("djpeg gives %dx%d, Decode %v", w, h, b)
	}
	ours, ref := planes(t, img)[0], append([]byte(nil), out[len(out)-w*h:]...)
	// libjpeg's range limiting wraps samples far outside 0..255 (hostile
	// coefficients) where we clamp them: where ours is clamped, take it.
	for i, v := range ours {
		if v == 0 || v == 255 {
			ref[i] = v
		}
	}
	return psnr(t, [][]byte{ours}, [][]byte{ref}), nil
}

// sequentialEOBRuns reports whether src is a sequential JPEG whose AC
// Huffman tables hold EOBn symbols (r = 1..14, s = 0), which only
// progressive scans define. libjpeg, and this package, end the block
// there; image/jpeg reads an EOB run and skips later blocks, so the
// oracle does not apply.
func sequentialEOBRuns(src []byte) bool {
	d := decoder{src: src, pos: 2}
	sequential, eobn := false, false
	for {
		m, seg, err := d.nextSegment()
		if err != nil || m == mEOI {
			return sequential && eobn
		}
		switch m {
		case mSOF0, mSOF1:
			sequential = true
		case mDHT:
			for len(seg) >= 17 {
				n := 0
				for _, c := range seg[1:17] {
					n += int(c)
				}
				if len(seg) < 17+n {
					break
				}
				if seg[0]>>4 == 1 {
					for _, v := range seg[17 : 17+n] {
						if r := v >> 4; v&15 == 0 && r > 0 && r < 15 {
							eobn = true
						}
					}
				}
				seg = seg[17+n:]
			}
		case mSOS:
			d.skipEntropyData()
		}
	}
}

// TestDecode_fixtures decodes the committed files (see testdata/README.md)
// at every scale and compares them with image/jpeg where it can read them.
func TestDecode_fixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.jpeg")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src := MustRead(t, file)
			for _, s := range []int{1, 2, 4, 8} {
				MustDecode(t, src, s)
			}
			if _, err := jpeg.Decode(bytes.NewReader(src)); err != nil {
				t.Logf("image/jpeg cannot decode it: %v", err)
				return
			}
			checkScaled(t, src, checkFullScale(t, src), 24)
		})
	}
}
