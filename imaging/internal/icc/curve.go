package icc

import (
	"encoding/binary"
	"fmt"
	"math"
)

// curve is a one-dimensional function on [0, 1]: an ICC 'curv' (identity,
// a gamma, or a table of 16-bit samples), a 'para' (parametric, types 0 to
// 4), or a table of 8- or 16-bit samples from a lut8/lut16 tag. Tables are
// read in place.
type curve struct {
	kind  int
	gamma float64
	p     [7]float64 // parametric: g, a, b, c, d, e, f
	ptype int
	table []byte // big-endian uint16 samples, or bytes when width is 1
	n     int    // samples in table
	width int    // bytes per sample: 1 or 2
}

const (
	curveIdentity = iota
	curveGamma
	curveTable
	curveParam
)

// paramCount is the number of parameters of each 'para' function type.
var paramCount = [...]int{1, 3, 4, 5, 7}

// parseCurve reads a 'curv' or 'para' element at the start of t and
// returns it with its length in bytes (unpadded).
func parseCurve(t []byte) (curve, int, error) {
	if len(t) < 12 {
		return curve{}, 0, fmt.Errorf("%w: curve of %d bytes", ErrInvalid, len(t))
	}
	switch string(t[:4]) {
	case "curv":
		n := int64(binary.BigEndian.Uint32(t[8:]))
		if 12+2*n > int64(len(t)) {
			return curve{}, 0, fmt.Errorf("%w: curve of %d entries in %d bytes", ErrInvalid, n, len(t))
		}
		size := 12 + 2*int(n)
		switch n {
		case 0:
			return curve{kind: curveIdentity}, size, nil
		case 1:
			return curve{kind: curveGamma, gamma: float64(binary.BigEndian.Uint16(t[12:])) / 256}, size, nil
		}
		return curve{kind: curveTable, table: t[12:size], n: int(n), width: 2}, size, nil
	case "para":
		typ := int(binary.BigEndian.Uint16(t[8:]))
		if typ >= len(paramCount) || 12+4*paramCount[typ] > len(t) {
			return curve{}, 0, fmt.Errorf("%w: parametric curve type %d in %d bytes", ErrInvalid, typ, len(t))
		}
		c := curve{kind: curveParam, ptype: typ}
		for i := 0; i < paramCount[typ]; i++ {
			c.p[i] = s15f16(t[12+4*i:])
		}
		return c, 12 + 4*paramCount[typ], nil
	}
	return curve{}, 0, fmt.Errorf("%w: curve type %q", ErrUnsupported, t[:4])
}

// s15f16 decodes an s15Fixed16Number.
func s15f16(b []byte) float64 { return float64(int32(binary.BigEndian.Uint32(b))) / 65536 }

// eval maps x (clamped to [0, 1]) through the curve.
func (c *curve) eval(x float64) float64 {
	x = clamp01(x)
	switch c.kind {
	case curveGamma:
		return math.Pow(x, c.gamma)
	case curveTable:
		f := x * float64(c.n-1)
		i := min(int(f), c.n-2)
		a, b := c.sample(i), c.sample(i+1)
		return a + (f-float64(i))*(b-a)
	case curveParam:
		return c.param(x)
	}
	return x
}

func (c *curve) sample(i int) float64 {
	if c.width == 1 {
		return float64(c.table[i]) / 255
	}
	return float64(binary.BigEndian.Uint16(c.table[2*i:])) / 65535
}

// param evaluates a parametric curve (ICC.1 table 65). A power of a
// negative base, which a malformed profile can produce, gives 0.
func (c *curve) param(x float64) float64 {
	g, a, b, cc, d, e, f := c.p[0], c.p[1], c.p[2], c.p[3], c.p[4], c.p[5], c.p[6]
	pow := func(v float64) float64 {
		if v <= 0 {
			return 0
		}
		return math.Pow(v, g)
	}
	var y float64
	switch c.ptype {
	case 0:
		y = pow(x)
	case 1:
		if a != 0 && x >= -b/a {
			y = pow(a*x + b)
		}
	case 2:
		y = cc
		if a != 0 && x >= -b/a {
			y = pow(a*x+b) + cc
		}
	case 3:
		y = cc * x
		if x >= d {
			y = pow(a*x + b)
		}
	case 4:
		y = cc*x + f
		if x >= d {
			y = pow(a*x+b) + e
		}
	}
	if math.IsNaN(y) {
		return 0
	}
	return y
}

func clamp01(x float64) float64 {
	if !(x > 0) { // NaN too
		return 0
	}
	return min(x, 1)
}
