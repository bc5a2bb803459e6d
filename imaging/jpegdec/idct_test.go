package jpegdec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refIDCT evaluates the 2-D inverse DCT of T.81 A.3.3 in float64 at the
// (possibly fractional) sample position (px, py), level shift included.
func refIDCT(coef *[64]int32, px, py float64) float64 {
	// Separable: the 16 basis values of the position, then 64 products
	// (not 128 cosines per sample: under -race that was most of the test).
	var bx, by [8]float64
	for u := range 8 {
		c := 1.0
		if u == 0 {
			c = 1 / math.Sqrt2
		}
		bx[u] = c * math.Cos((2*px+1)*float64(u)*math.Pi/16)
		by[u] = c * math.Cos((2*py+1)*float64(u)*math.Pi/16)
	}
	var s float64
	for v := range 8 {
		var row float64
		for u := range 8 {
			row += float64(coef[v*8+u]) * bx[u]
		}
		s += by[v] * row
	}
	return s/4 + 128
}

// randomBlock returns coefficients shaped like real ones: large at low
// frequencies, small and often zero at high ones, only in the lowest n×n.
func randomBlock(r *rand.Rand, n int) *[64]int32 {
	var c [64]int32
	for v := 0; v < n; v++ {
		for u := 0; u < n; u++ {
			if r.IntN(3) == 0 && u+v > 0 {
				continue
			}
			amp := 1024 / (1 + u + v)
			c[v*8+u] = int32(r.IntN(2*amp+1) - amp)
		}
	}
	return &c
}

func TestIDCT_matchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name string
		n    int // block side of the output
		fn   func(*[64]int32, []byte, int)
	}{
		{"8x8", 8, idct8},
		{"4x4", 4, idct4},
		{"2x2", 2, idct2},
		{"1x1", 1, idct1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := 8 / tc.n
			worst := 0.0
			for i := 0; i < 2000; i++ {
				coef := randomBlock(r, tc.n)
				var out [64]byte
				c := *coef
				tc.fn(&c, out[:], 8)
				for y := 0; y < tc.n; y++ {
					for x := 0; x < tc.n; x++ {
						// The sample stands for an f×f group; its value is
						// the IDCT at the group's centre.
						p := func(i int) float64 { return float64(f*i) + float64(f-1)/2 }
						want := math.Max(0, math.Min(255, refIDCT(coef, p(x), p(y))))
						worst = math.Max(worst, math.Abs(float64(out[y*8+x])-want))
					}
				}
			}
			// Integer arithmetic may round differently from float, by at
			// most one level (T.81's accuracy requirement is far looser).
			if worst > 1.0 {
				t.Errorf("largest difference from the float IDCT = %.2f levels, want <= 1", worst)
			}
		})
	}
}
