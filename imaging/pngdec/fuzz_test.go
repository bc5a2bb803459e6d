package pngdec

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

// fuzzMaxPixels keeps fuzzed headers from asking for large images.
const fuzzMaxPixels = 1 << 18

// FuzzDecode feeds arbitrary bytes to Decode with image/png as the oracle
// and libpng (netpbm's pngtopam) as the referee, so the target cannot cry
// wolf: no input may panic; when Decode and image/png disagree (one
// accepts what the other refuses, or the pixels differ by more than a
// rounding level), pngtopam decides, and the test fails only if Decode
// disagrees with it too. Reduced decodes must have the reduced bounds.
func FuzzDecode(f *testing.F) {
	for _, k := range kinds() {
		k.w, k.h, k.chunk = 9, 7, 40
		f.Add(mkPNG(f, k))
	}
	files, _ := filepath.Glob(filepath.Join(goroot(f), "src", "image", "png", "testdata", "pngsuite", "*.png"))
	for _, file := range files[:min(len(files), 12)] {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		ctx := context.Background()
		got, err := Decode(ctx, src, &Options{MaxPixels: fuzzMaxPixels})
		for _, k := range []int{2, 3} {
			img, err := Decode(ctx, src, &Options{Reduce: k, MaxPixels: fuzzMaxPixels})
			if (err == nil) != (got != nil) {
				t.Fatalf("1/1 and 1/%d disagree: %v; %v", k, img != nil, err)
			}
			if img != nil {
				b := got.Bounds()
				if want := image.Rect(0, 0, (b.Dx()+k-1)/k, (b.Dy()+k-1)/k); img.Bounds() != want {
					t.Fatalf("1/%d: bounds %v, want %v", k, img.Bounds(), want)
				}
			}
		}
		if c, err := png.DecodeConfig(bytes.NewReader(src)); err == nil && int64(c.Width)*int64(c.Height) > fuzzMaxPixels {
			return // too large for the oracle within the fuzzer's budget
		}
		std, stdErr := png.Decode(bytes.NewReader(src))
		switch {
		case err != nil && stdErr != nil:
			return // both refuse
		case err == nil && stdErr == nil:
			if d, x, y := maxDiff(got, std); d <= 1 && got.Bounds() == std.Bounds() {
				return
			} else {
				t.Logf("image/png differs at (%d,%d) by %d", x, y, d)
			}
		default:
			t.Logf("pngdec: %v; image/png: %v", err, stdErr)
		}
		ref, refErr := pngtopam(t, src)
		switch {
		case err != nil && refErr != nil:
			t.Logf("libpng refuses it too (%v): image/png is the lenient one", refErr)
		case err != nil:
			t.Fatalf("pngdec refuses what image/png and libpng decode: %v", err)
		case refErr != nil:
			t.Fatalf("pngdec decodes what libpng refuses (%v); image/png: %v", refErr, stdErr)
		case got.Bounds() != ref.Bounds():
			t.Fatalf("bounds %v, libpng %v", got.Bounds(), ref.Bounds())
		default:
			if d, x, y := maxDiff(got, ref); d > 1 {
				t.Fatalf("pixel (%d,%d): %v, libpng %v (image/png: %v)", x, y, rgba8(got, x, y), rgba8(ref, x, y), stdErr)
			}
			t.Logf("libpng agrees with pngdec: image/png is wrong here")
		}
	})
}

// pngtopam decodes src with libpng through netpbm's pngtopam, as
// premultiplied RGBA: the referee of FuzzDecode. Gamma is not applied
// (as by Decode and image/png).
func pngtopam(t *testing.T, src []byte) (image.Image, error) {
	t.Helper()
	bin := testenv.Command(t, "pngtopam")
	cmd := exec.Command(bin, "-alphapam", "-quiet")
	cmd.Stdin = bytes.NewReader(src)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pngtopam: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return readPAM(out)
}

// readPAM reads pngtopam's output: a PAM (P7) with a tuple type of
// GRAYSCALE, RGB, GRAYSCALE_ALPHA or RGB_ALPHA, maxval up to 65535, or a
// plain PGM/PPM (P5, P6).
func readPAM(b []byte) (image.Image, error) {
	r := bufio.NewReader(bytes.NewReader(b))
	var magic string
	if _, err := fmt.Fscan(r, &magic); err != nil {
		return nil, err
	}
	var w, h, depth, maxval int
	switch magic {
	case "P5", "P6":
		if _, err := fmt.Fscan(r, &w, &h, &maxval); err != nil {
			return nil, err
		}
		r.ReadByte()
		depth = 1
		if magic == "P6" {
			depth = 3
		}
	case "P7":
		for {
			var key string
			if _, err := fmt.Fscan(r, &key); err != nil {
				return nil, err
			}
			if key == "ENDHDR" {
				r.ReadByte()
				break
			}
			var v string
			fmt.Fscan(r, &v)
			fmt.Sscan(v, map[string]*int{"WIDTH": &w, "HEIGHT": &h, "DEPTH": &depth, "MAXVAL": &maxval}[key])
		}
	default:
		return nil, fmt.Errorf("unexpected netpbm format %q", magic)
	}
	if w <= 0 || h <= 0 || depth < 1 || depth > 4 || maxval <= 0 || maxval > 65535 {
		return nil, fmt.Errorf("bad netpbm header %dx%d depth %d maxval %d", w, h, depth, maxval)
	}
	bps := 1
	if maxval > 255 {
		bps = 2
	}
	data, err := io.ReadAll(r)
	if err != nil || len(data) < w*h*depth*bps {
		return nil, fmt.Errorf("short netpbm data")
	}
	img := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		var s [4]uint32
		for c := 0; c < depth; c++ {
			o := (i*depth + c) * bps
			v := uint32(data[o])
			if bps == 2 {
				v = v<<8 | uint32(data[o+1])
			}
			s[c] = v * 65535 / uint32(maxval)
		}
		var px [4]uint32
		switch depth {
		case 1:
			px = [4]uint32{s[0], s[0], s[0], 65535}
		case 2:
			px = [4]uint32{s[0], s[0], s[0], s[1]}
		case 3:
			px = [4]uint32{s[0], s[1], s[2], 65535}
		default:
			px = s
		}
		p := img.Pix[8*i : 8*i+8]
		for c, v := range px {
			p[2*c], p[2*c+1] = byte(v>>8), byte(v)
		}
	}
	return img, nil
}

// TestPngtopam checks the referee itself on images of every kind.
func TestPngtopam(t *testing.T) {
	for _, k := range kinds() {
		k.w, k.h = 11, 6
		src := mkPNG(t, k)
		ref, err := pngtopam(t, src)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if d, x, y := maxDiff(MustDecode(t, src, 1), ref); d > 1 {
			t.Fatalf("%s: pixel (%d,%d) differs from libpng by %d", k, x, y, d)
		}
	}
}
