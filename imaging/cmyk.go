package imaging

import (
	"math"
	"sync"
)

// cmykModel converts CMYK ink amounts to sRGB for images without a CMYK
// profile, with a Yule–Nielsen modified Neugebauer model: each ink filters
// the light of the paper independently. Ink i at amount x covers
// a(x) = x + gain·x·(1−x) of the paper (dot gain), and where it lies it
// passes the fraction filter[c] of channel c's linear light; the channels
// multiply in the Yule–Nielsen space (light to the power 1/n, n modelling
// the light scattered in the paper) and are encoded with the sRGB curve.
// The constants are fitted (TestCMYKModelFit) to the conversion sharp and
// libvips apply to CMYK images without a profile (their default CMYK
// profile, from nip2), so thumbnails of such images come close to sharp's
// colours instead of the profile-free R = (1−C)(1−K), which comes out
// darker: on Go's video-001.cmyk.jpeg the mean difference to sharp is
// 2.8/255 instead of 7.2 (TestSharpCMYK); on six photos made CMYK by sharp
// it is 2.8 to 8.7 (mean 4.6), the model's few constants missing some hues.
// A CMYK ICC profile embedded in the file is reported, not applied.
type cmykModel struct {
	filter [4][3]float64 // per ink (C, M, Y, K): the linear light it passes, per channel
	gain   [4]float64    // per ink: dot gain
	n      float64       // Yule–Nielsen factor
}

// defaultCMYKModel is the fitted model (TestCMYKModelFit).
var defaultCMYKModel = cmykModel{
	filter: [4][3]float64{
		{0.00055, 0.48185, 0.88813},
		{0.84973, 0.02308, 0.21813},
		{1, 0.84802, 0},
		{0.00390, 0.00200, 0.00059},
	},
	gain: [4]float64{0.81276, 0.63576, 0.64261, 0.57505},
	n:    1.26504,
}

// params lists the model's constants for the fit.
func (m *cmykModel) params() []*float64 {
	p := []*float64{&m.n}
	for i := range m.filter {
		for c := range m.filter[i] {
			p = append(p, &m.filter[i][c])
		}
		p = append(p, &m.gain[i])
	}
	return p
}

// factor is how much of channel c's light (in Yule–Nielsen space) ink i
// at amount x passes.
func (m *cmykModel) factor(i, c int, x float64) float64 {
	a := min(max(x+m.gain[i]*x*(1-x), 0), 1)
	f := min(max(m.filter[i][c], 0), 1)
	return 1 - a*(1-math.Pow(f, 1/max(m.n, 0.1)))
}

// rgb converts ink amounts (0 to 1) to 8-bit sRGB values (0 to 255).
func (m *cmykModel) rgb(ink [4]float64) (r, g, b float64) {
	var out [3]float64
	for c := range out {
		l := 1.0
		for i, x := range ink {
			l *= m.factor(i, c, x)
		}
		out[c] = 255 * srgbCurve(math.Pow(l, max(m.n, 0.1)))
	}
	return out[0], out[1], out[2]
}

// srgbCurve encodes linear light (0 to 1) with the sRGB transfer function.
func srgbCurve(l float64) float64 {
	l = min(max(l, 0), 1)
	if l <= 0.0031308 {
		return 12.92 * l
	}
	return 1.055*math.Pow(l, 1/2.4) - 0.055
}

// cmykTables are the default model tabulated: per ink, channel and 8-bit
// amount, the factor (in 16.16 fixed point) it passes; and the encoding of
// the product (4096 steps of Yule–Nielsen light) to 8-bit sRGB.
type cmykTables struct {
	factor [4][3][256]uint32
	encode [4097]uint8
}

var defaultCMYKTables = sync.OnceValue(func() *cmykTables {
	m := &defaultCMYKModel
	t := new(cmykTables)
	for i := range t.factor {
		for c := range t.factor[i] {
			for x := range t.factor[i][c] {
				t.factor[i][c][x] = uint32(math.Round(65536 * m.factor(i, c, float64(x)/255)))
			}
		}
	}
	for i := range t.encode {
		t.encode[i] = uint8(math.Round(255 * srgbCurve(math.Pow(float64(i)/4096, m.n))))
	}
	return t
})

// toRGB converts one pixel of ink amounts (0 = none, as jpegdec returns
// them) to sRGB with the tables.
func (t *cmykTables) toRGB(c, m, y, k uint8) (uint8, uint8, uint8) {
	var out [3]uint8
	for ch := range out {
		l := uint64(t.factor[0][ch][c])
		l = l * uint64(t.factor[1][ch][m]) >> 16
		l = l * uint64(t.factor[2][ch][y]) >> 16
		l = l * uint64(t.factor[3][ch][k]) >> 16
		out[ch] = t.encode[min((l*4096+32768)>>16, 4096)]
	}
	return out[0], out[1], out[2]
}
