// Package icctest builds synthetic ICC profiles for tests: CMYK output
// profiles whose A2B0 is each of the table types (lut8, lut16, lutAtoB
// with curves, CLUT, M curves and matrix), so a colour engine can be
// checked against another (Little CMS, through sharp) on every element.
package icctest

import (
	"encoding/binary"
	"math"
)

// Kind selects the A2B0 table type and profile version.
type Kind int

const (
	Lut8     Kind = iota // v2, 'mft1', Lab PCS
	Lut16                // v2, 'mft2', Lab PCS
	LutAB                // v4, 'mAB ' (A curves, CLUT, M curves, matrix, B curves), Lab PCS
	LutABXYZ             // v4, 'mAB ' without M and matrix, XYZ PCS
)

// inks is the device colour the synthetic profiles describe: a plain
// subtractive model (each ink absorbing its complement, black all),
// in linear light.
func inks(c, m, y, k float64) (r, g, b float64) {
	r = (1 - 0.92*c) * (1 - 0.1*m) * (1 - 0.9*k)
	g = (1 - 0.2*c) * (1 - 0.95*m) * (1 - 0.05*y) * (1 - 0.9*k)
	b = (1 - 0.1*c) * (1 - 0.3*m) * (1 - 0.97*y) * (1 - 0.88*k)
	return
}

func toXYZ(r, g, b float64) [3]float64 {
	// sRGB primaries adapted to D50.
	return [3]float64{
		0.4360*r + 0.3851*g + 0.1431*b,
		0.2225*r + 0.7169*g + 0.0606*b,
		0.0139*r + 0.0971*g + 0.7139*b,
	}
}

func toLab(x [3]float64) [3]float64 {
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return t*24389/27/116 + 16.0/116
	}
	fx, fy, fz := f(x[0]/0.9642), f(x[1]), f(x[2]/0.8249)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// CMYK returns a CMYK output profile of the given kind with grid points per
// channel in its CLUT.
func CMYK(kind Kind, grid int, desc string) []byte {
	lab := kind != LutABXYZ
	pcs := func(c, m, y, k float64) [3]float64 { // PCS, normalised to [0, 1]
		x := toXYZ(inks(c, m, y, k))
		if !lab {
			return [3]float64{x[0] * 32768 / 65535, x[1] * 32768 / 65535, x[2] * 32768 / 65535}
		}
		l := toLab(x)
		if kind == Lut16 { // legacy encoding
			return [3]float64{l[0] / 100 * 65280 / 65535, (l[1] + 128) * 256 / 65535, (l[2] + 128) * 256 / 65535}
		}
		return [3]float64{l[0] / 100, (l[1] + 128) / 255, (l[2] + 128) / 255}
	}
	var a2b []byte
	switch kind {
	case Lut8, Lut16:
		a2b = lut816(kind == Lut8, grid, pcs)
	default:
		a2b = lutAB(kind == LutAB, grid, pcs)
	}
	version := uint32(0x02100000)
	if kind >= LutAB {
		version = 0x04200000
	}
	space := "Lab "
	if !lab {
		space = "XYZ "
	}
	return Profile(version, "prtr", "CMYK", space, [][2][]byte{
		{[]byte("desc"), descTag(desc)},
		{[]byte("wtpt"), xyz(0.9642, 1, 0.8249)},
		{[]byte("A2B0"), a2b},
	})
}

// gammaA is the A (input) curve's exponent: the CLUT is filled at the
// curved inputs so the profile still describes inks().
const gammaA = 1.25

func lut816(eight bool, grid int, pcs func(c, m, y, k float64) [3]float64) []byte {
	typ, width, entries := "mft2", 2, 256
	if eight {
		typ, width = "mft1", 1
	}
	t := []byte(typ + "\x00\x00\x00\x00")
	t = append(t, 4, 3, byte(grid), 0)
	for i := range 9 {
		v := 0.0
		if i%4 == 0 {
			v = 1
		}
		t = append(t, s15(v)...)
	}
	if !eight {
		t = binary.BigEndian.AppendUint16(t, uint16(entries))
		t = binary.BigEndian.AppendUint16(t, uint16(entries))
	}
	put := func(v float64) {
		v = min(max(v, 0), 1)
		if width == 1 {
			t = append(t, byte(math.Round(v*255)))
		} else {
			t = binary.BigEndian.AppendUint16(t, uint16(math.Round(v*65535)))
		}
	}
	for range 4 { // input curves: x^gammaA
		for i := range entries {
			put(math.Pow(float64(i)/float64(entries-1), gammaA))
		}
	}
	clut(grid, pcs, put)
	for range 3 { // output curves: identity
		for i := range entries {
			put(float64(i) / float64(entries-1))
		}
	}
	return t
}

// clut fills a 4-D grid at the curved inputs (node^(1/gammaA)).
func clut(grid int, pcs func(c, m, y, k float64) [3]float64, put func(float64)) {
	in := func(i int) float64 { return math.Pow(float64(i)/float64(grid-1), 1/gammaA) }
	for c := range grid {
		for m := range grid {
			for y := range grid {
				for k := range grid {
					for _, v := range pcs(in(c), in(m), in(y), in(k)) {
						put(v)
					}
				}
			}
		}
	}
}

func lutAB(withM bool, grid int, pcs func(c, m, y, k float64) [3]float64) []byte {
	// Elements, each padded to 4 bytes: B curves, matrix, M curves, CLUT, A curves.
	pad := func(b []byte) []byte {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	identity := []byte("curv\x00\x00\x00\x00\x00\x00\x00\x00")
	gamma := append([]byte("curv\x00\x00\x00\x00\x00\x00\x00\x01"), byte(int(gammaA*256)>>8), byte(int(gammaA*256)&0xff))
	var bcurves, mat, mcurves, table, acurves []byte
	for range 3 {
		bcurves = append(bcurves, pad(append([]byte(nil), identity...))...)
	}
	mid := func(v [3]float64) [3]float64 { return v }
	if withM {
		// M: a parametric curve (type 0, gamma 2) on each channel, so the
		// CLUT stores square roots; the matrix swaps nothing but scales
		// and offsets slightly, undone in the CLUT too.
		for range 3 {
			mcurves = append(mcurves, pad(append([]byte("para\x00\x00\x00\x00\x00\x00\x00\x00"), s15(2)...))...)
		}
		const sc, off = 0.96, 0.04
		for i := range 9 {
			v := 0.0
			if i%4 == 0 {
				v = sc
			}
			mat = append(mat, s15(v)...)
		}
		for range 3 {
			mat = append(mat, s15(off)...)
		}
		mid = func(v [3]float64) [3]float64 { // CLUT value whose M curve and matrix give v
			var o [3]float64
			for i := range v {
				o[i] = math.Sqrt(min(max((v[i]-off)/sc, 0), 1))
			}
			return o
		}
	}
	table = make([]byte, 20)
	for i := range 4 {
		table[i] = byte(grid)
	}
	table[16] = 2
	clut(grid, func(c, m, y, k float64) [3]float64 { return mid(pcs(c, m, y, k)) }, func(v float64) {
		table = binary.BigEndian.AppendUint16(table, uint16(math.Round(min(max(v, 0), 1)*65535)))
	})
	table = pad(table)
	for range 4 {
		acurves = append(acurves, pad(append([]byte(nil), gamma...))...)
	}
	t := []byte("mAB \x00\x00\x00\x00")
	t = append(t, 4, 3, 0, 0)
	pos := 32
	offs := make([]uint32, 5)
	for i, e := range [][]byte{bcurves, mat, mcurves, table, acurves} {
		if len(e) > 0 {
			offs[i] = uint32(pos)
			pos += len(e)
		}
	}
	for _, o := range offs {
		t = binary.BigEndian.AppendUint32(t, o)
	}
	for _, e := range [][]byte{bcurves, mat, mcurves, table, acurves} {
		t = append(t, e...)
	}
	return t
}

func s15(v float64) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(int32(math.Round(v*65536))))
}

func xyz(x, y, z float64) []byte {
	return append(append(append([]byte("XYZ \x00\x00\x00\x00"), s15(x)...), s15(y)...), s15(z)...)
}

// descTag is a v2 'desc' tag (ASCII, no Unicode or ScriptCode parts).
func descTag(s string) []byte {
	t := []byte("desc\x00\x00\x00\x00")
	t = binary.BigEndian.AppendUint32(t, uint32(len(s)+1))
	t = append(t, s...)
	t = append(t, 0)
	return append(t, make([]byte, 4+4+2+1+67)...)
}

// Profile assembles a profile from its header fields (version, device
// class, colour space, connection space) and its tags (signature and data,
// in order).
func Profile(version uint32, class, space, pcs string, tags [][2][]byte) []byte {
	p := make([]byte, 128)
	binary.BigEndian.PutUint32(p[8:], version)
	copy(p[12:], class)
	copy(p[16:], (space + "    ")[:4])
	copy(p[20:], pcs)
	copy(p[36:], "acsp")
	// Rendering intent perceptual (0); D50 illuminant.
	copy(p[68:], s15(0.9642))
	copy(p[72:], s15(1))
	copy(p[76:], s15(0.8249))
	p = binary.BigEndian.AppendUint32(p, uint32(len(tags)))
	off := 132 + 12*len(tags)
	var data []byte
	for _, tg := range tags {
		p = append(p, tg[0]...)
		p = binary.BigEndian.AppendUint32(p, uint32(off+len(data)))
		p = binary.BigEndian.AppendUint32(p, uint32(len(tg[1])))
		data = append(data, tg[1]...)
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
	}
	p = append(p, data...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}
