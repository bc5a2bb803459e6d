// Package imagetest draws the synthetic images the imaging decoders' tests
// encode, so that their codecs are exercised on the same content.
package imagetest

import (
	"image"
	"image/color"
	"math"
)

// PhotoLike draws a deterministic w×h image with smooth gradients, hard
// edges and fine texture, so that every frequency band, prediction mode and
// coefficient band carries energy. With alpha it adds a transparent disc
// with a soft edge and a fully transparent corner; without, it is opaque.
func PhotoLike(w, h int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
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
			a := 255.0
			if alpha {
				d := math.Hypot(fx-0.6, fy-0.5) * 4
				a = 255 * min(1, max(0, d-0.5))
				if fx < 0.2 && fy < 0.2 {
					a = 0
				}
			}
			img.SetNRGBA(x, y, color.NRGBA{Clamp(r + n), Clamp(g + n/2), Clamp(b - n), Clamp(a)})
		}
	}
	return img
}

// Clamp rounds v to the nearest byte, clamped to 0..255.
func Clamp(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }
