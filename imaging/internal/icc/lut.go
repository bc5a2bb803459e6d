package icc

import (
	"encoding/binary"
	"fmt"
)

// maxInputs bounds a lookup table's input channels (ICC allows 15; device
// spaces this package converts have 1, 3 or 4).
const maxInputs = 8

// lutKind tells how a table's output encodes the PCS.
type lutKind int

const (
	lut8  lutKind = iota // 'mft1': 8-bit PCS (L* 0..100 over 0..1)
	lut16                // 'mft2': 16-bit PCS, L*a*b* in the legacy (v2) encoding
	lutAB                // 'mAB ': v4 PCS encoding
)

// lut is a device-to-PCS table (A2B0), its elements in processing order:
// for lut8/lut16, the matrix (applied only to three inputs, as Little CMS
// does), the input curves, the CLUT, the output curves; for lutAtoB, the A
// curves, the CLUT, the M curves, the matrix, the B curves. Absent
// elements are nil.
type lut struct {
	kind    lutKind
	in      int
	pre     *[12]float64 // lut8/lut16 matrix, before the input curves
	a       []curve      // input (A) curves, in
	clut    *clut        // in -> 3
	m       []curve      // lutAtoB M curves, 3
	mat     *[12]float64 // lutAtoB matrix and offsets, after M
	b       []curve      // output (B) curves, 3
	outputs int
}

// clut is a colour lookup table read in place: grid points per input
// channel (the first varying slowest), 3 outputs, samples of width bytes.
type clut struct {
	in     int
	grid   [maxInputs]int
	stride [maxInputs]int // in samples
	data   []byte
	width  int
}

// newCLUT checks a table of the given grid against the bytes present
// before taking it (so a declared size never allocates).
func newCLUT(in int, grid []int, width int, data []byte) (*clut, error) {
	c := &clut{in: in, width: width}
	n := int64(3)
	for i := in - 1; i >= 0; i-- {
		g := grid[i]
		if g < 2 {
			return nil, fmt.Errorf("%w: CLUT grid of %d points", ErrInvalid, g)
		}
		c.grid[i], c.stride[i] = g, int(n)
		n *= int64(g)
		if n*int64(width) > int64(len(data)) {
			return nil, fmt.Errorf("%w: CLUT larger than its tag", ErrInvalid)
		}
	}
	c.data = data[:n*int64(width)]
	return c, nil
}

func (c *clut) at(i, ch int) float64 {
	if c.width == 1 {
		return float64(c.data[i+ch]) / 255
	}
	return float64(binary.BigEndian.Uint16(c.data[2*(i+ch):])) / 65535
}

// eval interpolates the table at x (c.in values in [0, 1]).
func (c *clut) eval(x []float64) [3]float64 {
	var idx [maxInputs]int
	var frac [maxInputs]float64
	for d := 0; d < c.in; d++ {
		f := clamp01(x[d]) * float64(c.grid[d]-1)
		i := min(int(f), c.grid[d]-2)
		idx[d], frac[d] = i, f-float64(i)
	}
	return c.interpolate(0, 0, &idx, &frac)
}

// interpolate evaluates dimensions dim.. of the grid at the cell idx with
// fractions frac, from base: linearly along each leading dimension until
// three remain, then tetrahedrally (two and one remaining: bilinear,
// linear).
func (c *clut) interpolate(dim, base int, idx *[maxInputs]int, frac *[maxInputs]float64) [3]float64 {
	var out [3]float64
	stride := &c.stride
	base += idx[dim] * stride[dim]
	switch c.in - dim {
	case 1:
		f := frac[dim]
		for ch := range out {
			a, b := c.at(base, ch), c.at(base+stride[dim], ch)
			out[ch] = a + f*(b-a)
		}
	case 2:
		s0, s1, f1 := stride[dim], stride[dim+1], frac[dim+1]
		base += idx[dim+1] * s1
		for ch := range out {
			a := c.at(base, ch) + f1*(c.at(base+s1, ch)-c.at(base, ch))
			b := c.at(base+s0, ch) + f1*(c.at(base+s0+s1, ch)-c.at(base+s0, ch))
			out[ch] = a + frac[dim]*(b-a)
		}
	case 3:
		base += idx[dim+1]*stride[dim+1] + idx[dim+2]*stride[dim+2]
		out = c.tetrahedral(base, [3]int{stride[dim], stride[dim+1], stride[dim+2]},
			[3]float64{frac[dim], frac[dim+1], frac[dim+2]})
	default:
		lo := c.interpolate(dim+1, base, idx, frac)
		hi := c.interpolate(dim+1, base+stride[dim], idx, frac)
		f := frac[dim]
		for ch := range out {
			out[ch] = lo[ch] + f*(hi[ch]-lo[ch])
		}
	}
	return out
}

// tetrahedral interpolates a cube of a 3-D grid at fractions f: the cube
// is cut into six tetrahedra along its diagonal, and the point is the
// weighted sum of the four corners of its own, reached by stepping along
// the dimensions in decreasing order of their fractions.
func (c *clut) tetrahedral(base int, s [3]int, f [3]float64) [3]float64 {
	o := byFraction(f)
	c1 := base + s[o[0]]
	c2 := c1 + s[o[1]]
	c3 := c2 + s[o[2]]
	w0, w1, w2, w3 := 1-f[o[0]], f[o[0]]-f[o[1]], f[o[1]]-f[o[2]], f[o[2]]
	var out [3]float64
	for ch := range out {
		out[ch] = w0*c.at(base, ch) + w1*c.at(c1, ch) + w2*c.at(c2, ch) + w3*c.at(c3, ch)
	}
	return out
}

// byFraction orders three dimensions by their fractions, largest first.
func byFraction[T int32 | float64](f [3]T) [3]int {
	o := [3]int{0, 1, 2}
	if f[o[0]] < f[o[1]] {
		o[0], o[1] = o[1], o[0]
	}
	if f[o[1]] < f[o[2]] {
		o[1], o[2] = o[2], o[1]
	}
	if f[o[0]] < f[o[1]] {
		o[0], o[1] = o[1], o[0]
	}
	return o
}

// parseLUT reads an A2B tag with in device channels and 3 PCS outputs.
func parseLUT(t []byte, in int) (*lut, error) {
	if len(t) < 12 {
		return nil, fmt.Errorf("%w: table of %d bytes", ErrInvalid, len(t))
	}
	if in < 1 || in > maxInputs {
		return nil, fmt.Errorf("%w: %d input channels", ErrUnsupported, in)
	}
	if int(t[8]) != in || t[9] != 3 {
		return nil, fmt.Errorf("%w: table of %d inputs and %d outputs for %d device channels", ErrInvalid, t[8], t[9], in)
	}
	switch string(t[:4]) {
	case "mft1", "mft2":
		return parseLUT816(t, in)
	case "mAB ":
		return parseLUTAB(t, in)
	}
	return nil, fmt.Errorf("%w: table type %q", ErrUnsupported, t[:4])
}

// parseLUT816 reads a lut8Type ('mft1') or lut16Type ('mft2').
func parseLUT816(t []byte, in int) (*lut, error) {
	if len(t) < 52 {
		return nil, fmt.Errorf("%w: table of %d bytes", ErrInvalid, len(t))
	}
	l := &lut{kind: lut16, in: in, outputs: 3}
	width, nIn, nOut, pos := 2, 0, 0, 52
	if string(t[:4]) == "mft1" {
		l.kind, width, nIn, nOut, pos = lut8, 1, 256, 256, 48
	} else {
		nIn, nOut = int(binary.BigEndian.Uint16(t[48:])), int(binary.BigEndian.Uint16(t[50:]))
		if nIn < 2 || nIn > 4096 || nOut < 2 || nOut > 4096 {
			return nil, fmt.Errorf("%w: curves of %d and %d entries", ErrInvalid, nIn, nOut)
		}
	}
	var m [12]float64
	identity := true
	for i := 0; i < 9; i++ {
		m[i] = s15f16(t[12+4*i:])
		if want := float64(btoi(i%4 == 0)); m[i] != want {
			identity = false
		}
	}
	if in == 3 && !identity {
		l.pre = &m
	}
	curves := func(n, entries int) ([]curve, error) {
		size := n * entries * width
		if pos+size > len(t) {
			return nil, fmt.Errorf("%w: curves beyond the table", ErrInvalid)
		}
		cs := make([]curve, n)
		for i := range cs {
			cs[i] = curve{kind: curveTable, table: t[pos+i*entries*width : pos+(i+1)*entries*width], n: entries, width: width}
		}
		pos += size
		return cs, nil
	}
	var err error
	if l.a, err = curves(in, nIn); err != nil {
		return nil, err
	}
	grid := make([]int, in)
	for i := range grid {
		grid[i] = int(t[10])
	}
	if l.clut, err = newCLUT(in, grid, width, t[pos:]); err != nil {
		return nil, err
	}
	pos += len(l.clut.data)
	if l.b, err = curves(3, nOut); err != nil {
		return nil, err
	}
	return l, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseLUTAB reads a lutAtoBType ('mAB ').
func parseLUTAB(t []byte, in int) (*lut, error) {
	if len(t) < 32 {
		return nil, fmt.Errorf("%w: table of %d bytes", ErrInvalid, len(t))
	}
	l := &lut{kind: lutAB, in: in, outputs: 3}
	off := func(at int) (int, bool) {
		o := int64(binary.BigEndian.Uint32(t[at:]))
		if o == 0 {
			return 0, false
		}
		return int(min(o, int64(len(t)))), true
	}
	curves := func(at, n int) ([]curve, error) {
		o, ok := off(at)
		if !ok {
			return nil, nil
		}
		cs := make([]curve, n)
		for i := range cs {
			c, size, err := parseCurve(t[o:])
			if err != nil {
				return nil, err
			}
			cs[i] = c
			o += (size + 3) &^ 3
			o = min(o, len(t))
		}
		return cs, nil
	}
	var err error
	if l.b, err = curves(12, 3); err != nil {
		return nil, err
	}
	if l.b == nil {
		return nil, fmt.Errorf("%w: lutAtoB without B curves", ErrInvalid)
	}
	if o, ok := off(16); ok {
		if o+48 > len(t) {
			return nil, fmt.Errorf("%w: matrix beyond the table", ErrInvalid)
		}
		var m [12]float64
		for i := range m {
			m[i] = s15f16(t[o+4*i:])
		}
		l.mat = &m
	}
	if l.m, err = curves(20, 3); err != nil {
		return nil, err
	}
	if o, ok := off(24); ok {
		if o+20 > len(t) {
			return nil, fmt.Errorf("%w: CLUT beyond the table", ErrInvalid)
		}
		grid := make([]int, in)
		for i := range grid {
			grid[i] = int(t[o+i])
		}
		width := int(t[o+16])
		if width != 1 && width != 2 {
			return nil, fmt.Errorf("%w: CLUT precision %d", ErrInvalid, width)
		}
		if l.clut, err = newCLUT(in, grid, width, t[o+20:]); err != nil {
			return nil, err
		}
	}
	if l.a, err = curves(28, in); err != nil {
		return nil, err
	}
	if l.clut == nil && in != 3 {
		return nil, fmt.Errorf("%w: lutAtoB from %d channels without a CLUT", ErrInvalid, in)
	}
	return l, nil
}

// eval maps device values (l.in values in [0, 1]) to the PCS encoded in
// [0, 1] per channel.
func (l *lut) eval(x []float64) [3]float64 {
	var v [maxInputs]float64
	copy(v[:l.in], x)
	if l.pre != nil {
		v[0], v[1], v[2] = mul(l.pre, v[0], v[1], v[2], false)
	}
	for i := range l.a {
		v[i] = l.a[i].eval(v[i])
	}
	return l.evalCurved(v[:l.in])
}

// evalCurved is eval from the input curves' outputs on.
func (l *lut) evalCurved(v []float64) [3]float64 {
	var o [3]float64
	if l.clut != nil {
		o = l.clut.eval(v[:l.in])
	} else {
		o = [3]float64{v[0], v[1], v[2]}
	}
	for i := range l.m {
		o[i] = l.m[i].eval(o[i])
	}
	if l.mat != nil {
		o[0], o[1], o[2] = mul(l.mat, o[0], o[1], o[2], true)
	}
	for i := range l.b {
		o[i] = l.b[i].eval(o[i])
	}
	return o
}

// mul applies a 3×3 matrix (row-major in m[:9]) and, when offset, the
// offsets m[9:12].
func mul(m *[12]float64, x, y, z float64, offset bool) (float64, float64, float64) {
	a := m[0]*x + m[1]*y + m[2]*z
	b := m[3]*x + m[4]*y + m[5]*z
	c := m[6]*x + m[7]*y + m[8]*z
	if offset {
		a, b, c = a+m[9], b+m[10], c+m[11]
	}
	return a, b, c
}

// pcsXYZ decodes a table's output (each in [0, 1]) to CIE XYZ relative to
// D50, from L*a*b* (pcs "Lab") or XYZ.
func (l *lut) pcsXYZ(o [3]float64, pcs string) [3]float64 {
	if pcs == "XYZ" {
		const k = 65535.0 / 32768 // 0xFFFF is 1 + 32767/32768
		return [3]float64{clamp01(o[0]) * k, clamp01(o[1]) * k, clamp01(o[2]) * k}
	}
	var L, a, b float64
	switch l.kind {
	case lut16: // legacy encoding: L* 100 at 0xFF00, a* b* 0 at 0x8000
		L = clamp01(o[0]) * 65535 / 65280 * 100
		a = clamp01(o[1])*65535/256 - 128
		b = clamp01(o[2])*65535/256 - 128
	default: // v4 and 8-bit encoding: L* 100 at 1, a* b* 0 at 128/255
		L = clamp01(o[0]) * 100
		a = clamp01(o[1])*255 - 128
		b = clamp01(o[2])*255 - 128
	}
	return labToXYZ(L, a, b)
}
