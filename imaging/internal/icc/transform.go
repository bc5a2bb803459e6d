package icc

import (
	"fmt"
	"math"
	"sync"
)

// d50 is the PCS white (ICC.1: X 0.9642, Y 1.0, Z 0.8249).
var d50 = [3]float64{0.9642, 1.0, 0.8249}

// perceptualBlack is the black of a version 4 profile's perceptual
// tables, fixed by ICC.1:2010 (Little CMS's cmsPERCEPTUAL_BLACK_X/Y/Z).
var perceptualBlack = [3]float64{0.00336, 0.0034731, 0.00287}

// srgbColorants are the XYZ (D50) of the red, green and blue colorants of
// libvips' sRGB profile (s15Fixed16 values of its rXYZ, gXYZ, bXYZ tags),
// the output profile sharp converts to.
var srgbColorants = [3][3]float64{
	{28576.0 / 65536, 14578.0 / 65536, 911.0 / 65536},
	{25238.0 / 65536, 46985.0 / 65536, 6362.0 / 65536},
	{9376.0 / 65536, 3973.0 / 65536, 46788.0 / 65536},
}

// xyzToLinearSRGB is the inverse of the matrix whose columns are
// srgbColorants.
var xyzToLinearSRGB = sync.OnceValue(func() [3][3]float64 {
	var m [3][3]float64 // rows X, Y, Z; columns r, g, b
	for c := range 3 {
		for i := range 3 {
			m[i][c] = srgbColorants[c][i]
		}
	}
	return invert3(m)
})

func invert3(m [3][3]float64) [3][3]float64 {
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var r [3][3]float64
	for i := range 3 {
		for j := range 3 {
			a, b := (j+1)%3, (j+2)%3
			c, d := (i+1)%3, (i+2)%3
			r[i][j] = (m[a][c]*m[b][d] - m[a][d]*m[b][c]) / det
		}
	}
	return r
}

// labToXYZ converts CIE L*a*b* to XYZ relative to D50.
func labToXYZ(L, a, b float64) [3]float64 {
	fy := (L + 16) / 116
	f := func(t float64) float64 {
		if t > 6.0/29 {
			return t * t * t
		}
		return 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0/29)
	}
	return [3]float64{d50[0] * f(fy+a/500), d50[1] * f(fy), d50[2] * f(fy-b/200)}
}

func xyzToLab(x [3]float64) (L, a, b float64) {
	f := func(t float64) float64 {
		if t > (6.0/29)*(6.0/29)*(6.0/29) {
			return math.Cbrt(t)
		}
		return t/(3*(6.0/29)*(6.0/29)) + 4.0/29
	}
	fx, fy, fz := f(x[0]/d50[0]), f(x[1]/d50[1]), f(x[2]/d50[2])
	return 116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)
}

// srgb16 encodes linear light to 16-bit sRGB: 65536 steps of linear light,
// interpolated.
var srgb16 = sync.OnceValue(func() *[65537]uint16 {
	var t [65537]uint16
	for i := range t {
		l := float64(i) / 65536
		v := 12.92 * l
		if l > 0.0031308 {
			v = 1.055*math.Pow(l, 1/2.4) - 0.055
		}
		t[i] = uint16(math.Round(65535 * min(max(v, 0), 1)))
	}
	return &t
})

func encodeSRGB(l float64) uint16 {
	t := srgb16()
	f := clamp01(l) * 65536
	i := min(int(f), 65535)
	a, b := float64(t[i]), float64(t[i+1])
	return uint16(a + (f-float64(i))*(b-a) + 0.5)
}

// Transform converts a profile's device colours to 8-bit sRGB. It is safe
// for concurrent use.
type Transform struct {
	in int // device channels: 3 (RGB) or 4 (CMYK)

	// A LUT-based profile is tabulated to sRGB on a grid of g points per
	// channel, as Little CMS precalculates a device link for 8-bit data
	// (17 points for four channels, 33 for three).
	g     int
	table []uint16 // g^in × 3 sRGB samples, the first channel slowest
	pos   [256]cell

	// A matrix/TRC RGB profile converts exactly: each channel through its
	// tone curve, then the matrix to linear sRGB.
	lin    *[3][256]float32
	matrix [3][3]float64
}

// cell locates an 8-bit input on the grid: the lower node and the
// fraction (16.16) towards the next.
type cell struct {
	i    int32
	frac int32
}

// NewTransform builds the transform from p's device space (CMYK or RGB)
// to sRGB at the perceptual intent: through A2B0 when the profile has one,
// else (RGB) through its colorant matrix and tone curves.
func NewTransform(p *Profile) (*Transform, error) {
	in := map[string]int{"RGB": 3, "CMYK": 4}[p.ColorSpace]
	if in == 0 {
		return nil, fmt.Errorf("%w: colour space %q", ErrUnsupported, p.ColorSpace)
	}
	if p.PCS != "XYZ" && p.PCS != "Lab" {
		return nil, fmt.Errorf("%w: connection space %q", ErrUnsupported, p.PCS)
	}
	a2b := p.Tag("A2B0")
	if a2b == nil {
		if in == 3 {
			return matrixShaper(p)
		}
		return nil, fmt.Errorf("%w: %s profile without an A2B0 table", ErrUnsupported, p.ColorSpace)
	}
	l, err := parseLUT(a2b, in)
	if err != nil {
		return nil, err
	}
	bp := blackPoint(p, func(x []float64) [3]float64 { return l.pcsXYZ(l.eval(x), p.PCS) }, in)
	// The grid's nodes take gridPoints values per channel: their input
	// curves are evaluated once per value, not once per node (unless a
	// matrix mixes the channels before the curves).
	g := gridPoints(in)
	var curved [maxInputs][]float64
	if l.pre == nil {
		for d := range in {
			curved[d] = make([]float64, g)
			for i := range curved[d] {
				x := float64(i) / float64(g-1)
				if l.a != nil {
					x = l.a[d].eval(x)
				}
				curved[d][i] = x
			}
		}
	}
	v := make([]float64, in)
	return tabulate(in, func(x []float64, node []int) [3]float64 {
		if l.pre != nil {
			return l.pcsXYZ(l.eval(x), p.PCS)
		}
		for d := range v {
			v[d] = curved[d][node[d]]
		}
		return l.pcsXYZ(l.evalCurved(v), p.PCS)
	}, bp), nil
}

// blackPoint is the source black that black point compensation maps to
// sRGB's (XYZ 0), as Little CMS finds it for the perceptual intent: fixed
// for version 4 tables; else the darkest device colour (all inks for CMYK,
// zero for RGB) through the table, L* clipped to 50. libvips' conversions
// (sharp 0.35, libvips 8.18) keep that black's own chroma: that is what
// matches them (imaging's TestCMYKGrid measures it against sharp).
func blackPoint(p *Profile, toXYZ func([]float64) [3]float64, in int) [3]float64 {
	if p.v4() {
		return perceptualBlack
	}
	dark := make([]float64, in)
	if in == 4 {
		for i := range dark {
			dark[i] = 1
		}
	}
	xyz := toXYZ(dark)
	if L, a, b := xyzToLab(xyz); L > 50 {
		xyz = labToXYZ(50, a, b)
	}
	return xyz
}

// compensate applies black point compensation: a scaling per XYZ
// component that takes bp to 0 and keeps the D50 white.
func compensate(x, bp [3]float64) [3]float64 {
	for i := range x {
		x[i] = d50[i] * (x[i] - bp[i]) / (d50[i] - bp[i])
	}
	return x
}

// gridPoints is the tabulation's resolution per device channel count.
func gridPoints(in int) int {
	if in == 4 {
		return 17
	}
	return 33
}

// tabulate evaluates toXYZ, black point compensation and the conversion to
// sRGB at every node of the grid.
func tabulate(in int, toXYZ func(x []float64, node []int) [3]float64, bp [3]float64) *Transform {
	g := gridPoints(in)
	t := &Transform{in: in, g: g}
	n := 1
	for range in {
		n *= g
	}
	t.table = make([]uint16, 3*n)
	m := xyzToLinearSRGB()
	x := make([]float64, in)
	var node [4]int
	for k := 0; k < n; k++ {
		for d, r := in-1, k; d >= 0; d-- {
			node[d], r = r%g, r/g
			x[d] = float64(node[d]) / float64(g-1)
		}
		xyz := toXYZ(x, node[:in])
		if bp != ([3]float64{}) {
			xyz = compensate(xyz, bp)
		}
		for c := range 3 {
			t.table[3*k+c] = encodeSRGB(m[c][0]*xyz[0] + m[c][1]*xyz[1] + m[c][2]*xyz[2])
		}
	}
	for v := range t.pos {
		f := int64(v) * int64(g-1) << 16 / 255
		i := min(f>>16, int64(g-2))
		t.pos[v] = cell{i: int32(i), frac: int32(f - i<<16)}
	}
	return t
}

// Channels is the number of device channels the transform takes: 3 or 4.
func (t *Transform) Channels() int { return t.in }

// CMYK converts ink amounts (0 = none, 255 = full) of a CMYK transform.
func (t *Transform) CMYK(c, m, y, k uint8) (r, g, b uint8) {
	g2 := t.g
	pc, pm, py, pk := t.pos[c], t.pos[m], t.pos[y], t.pos[k]
	sk := 3
	sy := sk * g2
	sm := sy * g2
	sc := sm * g2
	base := int(pc.i)*sc + int(pm.i)*sm + int(py.i)*sy + int(pk.i)*sk
	lo := t.tetra(base, [3]int{sm, sy, sk}, [3]int32{pm.frac, py.frac, pk.frac})
	hi := t.tetra(base+sc, [3]int{sm, sy, sk}, [3]int32{pm.frac, py.frac, pk.frac})
	var out [3]uint8
	for ch := range out {
		out[ch] = to8(lo[ch] + (hi[ch]-lo[ch])*int64(pc.frac)>>16)
	}
	return out[0], out[1], out[2]
}

// RGB converts an RGB colour of an RGB transform.
func (t *Transform) RGB(r, g, b uint8) (uint8, uint8, uint8) {
	if t.lin != nil {
		return t.shaper(r, g, b)
	}
	g2 := t.g
	pr, pg, pb := t.pos[r], t.pos[g], t.pos[b]
	sb := 3
	sg := sb * g2
	sr := sg * g2
	base := int(pr.i)*sr + int(pg.i)*sg + int(pb.i)*sb
	v := t.tetra(base, [3]int{sr, sg, sb}, [3]int32{pr.frac, pg.frac, pb.frac})
	return to8(v[0]), to8(v[1]), to8(v[2])
}

// to8 rounds a 16-bit sample (16.16 fixed point) to 8 bits.
func to8(v int64) uint8 {
	v = min(max((v+1<<15)>>16, 0), 65535)
	return uint8((v*255 + 32767) / 65535)
}

// tetra is tetrahedral interpolation on the 16-bit table, returning 16.16
// fixed-point samples.
func (t *Transform) tetra(base int, s [3]int, f [3]int32) [3]int64 {
	o := byFraction(f)
	c1 := base + s[o[0]]
	c2 := c1 + s[o[1]]
	c3 := c2 + s[o[2]]
	w0, w1, w2, w3 := int64(1<<16-f[o[0]]), int64(f[o[0]]-f[o[1]]), int64(f[o[1]]-f[o[2]]), int64(f[o[2]])
	tb := t.table
	var out [3]int64
	for ch := range out {
		out[ch] = w0*int64(tb[base+ch]) + w1*int64(tb[c1+ch]) + w2*int64(tb[c2+ch]) + w3*int64(tb[c3+ch])
	}
	return out
}
