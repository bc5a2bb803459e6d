package jpegdec

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"
)

// photoLike draws a deterministic image with smooth gradients, edges and
// fine texture, so that every frequency band carries energy.
func photoLike(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 128 + 100*math.Sin(6*fx+3*fy)
			g := 128 + 90*math.Cos(9*fy-2*fx) + 20*math.Sin(float64(x*y)/97)
			b := 255 * fx * fy
			if (x/37+y/29)%5 == 0 { // hard edges
				r, g = 255-r, 255-g
			}
			n := float64((x*7919+y*104729)%31) - 15 // texture
			img.SetRGBA(x, y, color.RGBA{clampF(r + n), clampF(g + n/2), clampF(b - n), 255})
		}
	}
	return img
}

func clampF(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }

// MustEncode encodes img with image/jpeg (4:2:0 for colour, greyscale for
// *image.Gray).
func MustEncode(tb testing.TB, img image.Image, quality int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
