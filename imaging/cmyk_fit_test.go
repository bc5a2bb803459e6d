package imaging

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/imaging/jpegdec"
)

// cmykFitEnv names the folder of sharp-made CMYK photos TestCMYKModelFit
// fits on (and TestSharpCMYK also compares).
const cmykFitEnv = "RAMPART_CMYK_FIT"

// TestCMYKModelFit fits the constants of cmykModel (cmyk.go) to libvips'
// default CMYK conversion. It is not run by default: it needs a folder
// (RAMPART_CMYK_FIT) of profile-less CMYK JPEGs made by sharp
// (sharp(photo).toColourspace('cmyk').jpeg()) next to sharp's own sRGB
// rendering of each (sharp(cmyk).toColourspace('srgb').png(), same name,
// .png), and prints the fitted constants and the mean error:
//
//	RAMPART_CMYK_FIT=/tmp/cmyk go test -run CMYKModelFit -v ./imaging
func TestCMYKModelFit(t *testing.T) {
	dir := os.Getenv(cmykFitEnv)
	if dir == "" {
		t.Skip("set RAMPART_CMYK_FIT to a folder of sharp-made CMYK JPEGs and their sRGB renderings")
	}
	type sample struct {
		cmyk [4]float64
		rgb  [3]float64
	}
	var samples []sample
	names, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	for _, name := range names {
		src, _ := os.ReadFile(name)
		img, err := jpegdec.Decode(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := img.(*image.CMYK)
		if !ok {
			t.Fatalf("%s: %T, not CMYK", name, img)
		}
		ref, err := os.ReadFile(strings.TrimSuffix(name, ".jpg") + ".png")
		if err != nil {
			t.Fatal(err)
		}
		r, err := png.Decode(bytes.NewReader(ref))
		if err != nil {
			t.Fatal(err)
		}
		b := c.Bounds()
		for y := 0; y < b.Dy(); y += 13 {
			for x := 0; x < b.Dx(); x += 13 {
				p := c.Pix[c.PixOffset(x, y):]
				rr, gg, bb, _ := r.At(x, y).RGBA()
				samples = append(samples, sample{
					[4]float64{float64(p[0]) / 255, float64(p[1]) / 255, float64(p[2]) / 255, float64(p[3]) / 255},
					[3]float64{float64(rr >> 8), float64(gg >> 8), float64(bb >> 8)},
				})
			}
		}
	}
	m := defaultCMYKModel
	cost := func(m cmykModel) float64 {
		var e float64
		for _, s := range samples {
			r, g, b := m.rgb(s.cmyk)
			e += math.Abs(r-s.rgb[0]) + math.Abs(g-s.rgb[1]) + math.Abs(b-s.rgb[2])
		}
		return e / float64(3*len(samples))
	}
	params := m.params()
	best := cost(m)
	t.Logf("%d samples; start: mean error %.2f/255", len(samples), best)
	step := 0.1
	for iter := 0; iter < 400 && step > 1e-4; iter++ {
		improved := false
		for i := range params {
			for _, d := range []float64{step, -step} {
				old := *params[i]
				*params[i] = old + d
				if c := cost(m); c < best {
					best, improved = c, true
					continue
				}
				*params[i] = old
			}
		}
		if !improved {
			step /= 2
		}
	}
	t.Logf("fitted: mean error %.2f/255\n%#v", best, m)
}
