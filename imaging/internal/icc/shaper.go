package icc

import (
	"encoding/binary"
	"fmt"
)

// matrixShaper builds the exact transform of an RGB matrix/TRC profile
// (the kind displays and cameras embed: Display P3, Adobe RGB, ProPhoto):
// each channel through its tone curve to linear light, the colorant matrix
// to XYZ (D50) and the inverse of sRGB's to linear sRGB. Its black is
// XYZ 0, so black point compensation has nothing to do.
func matrixShaper(p *Profile) (*Transform, error) {
	t := &Transform{in: 3, lin: new([3][256]float32)}
	var cols [3][3]float64 // XYZ of the red, green, blue colorants
	for c, name := range []string{"r", "g", "b"} {
		xyz, trc := p.Tag(name+"XYZ"), p.Tag(name+"TRC")
		if len(xyz) < 20 || string(xyz[:4]) != "XYZ " || trc == nil {
			return nil, fmt.Errorf("%w: RGB profile without A2B0 or %sXYZ/%sTRC", ErrUnsupported, name, name)
		}
		for i := range 3 {
			cols[c][i] = float64(int32(binary.BigEndian.Uint32(xyz[8+4*i:]))) / 65536
		}
		curve, _, err := parseCurve(trc)
		if err != nil {
			return nil, err
		}
		for v := range t.lin[c] {
			t.lin[c][v] = float32(curve.eval(float64(v) / 255))
		}
	}
	inv := xyzToLinearSRGB()
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				t.matrix[i][j] += inv[i][k] * cols[j][k]
			}
		}
	}
	return t, nil
}

// shaper converts one pixel through a matrix/TRC transform; out-of-gamut
// colours are clipped.
func (t *Transform) shaper(r, g, b uint8) (uint8, uint8, uint8) {
	l := [3]float64{float64(t.lin[0][r]), float64(t.lin[1][g]), float64(t.lin[2][b])}
	var out [3]uint8
	for i := range out {
		v := t.matrix[i][0]*l[0] + t.matrix[i][1]*l[1] + t.matrix[i][2]*l[2]
		out[i] = to8(int64(encodeSRGB(v)) << 16)
	}
	return out[0], out[1], out[2]
}
