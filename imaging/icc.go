package imaging

import (
	"encoding/binary"
	"image/color"
	"math"
	"strings"
	"sync"
	"unicode/utf16"
)

// iccProfile is what we read from an embedded ICC profile header and its
// description tag. We do not run a colour management module: see the
// package documentation, "# Colour".
type iccProfile struct {
	colorSpace  string // data colour space signature: "RGB", "CMYK", "GRAY", ...
	description string // the 'desc' tag, "" when unreadable
}

// parseICC reads the header and the description of an ICC profile. ok is
// false when p is not a plausible profile.
func parseICC(p []byte) (prof iccProfile, ok bool) {
	if len(p) < 132 || string(p[36:40]) != "acsp" {
		return prof, false
	}
	prof.colorSpace = strings.TrimRight(string(p[16:20]), " ")
	if d := iccTags(p)["desc"]; d != nil {
		prof.description = iccText(d)
	}
	return prof, true
}

// iccText decodes a 'desc' (ICC v2, ASCII) or 'mluc' (ICC v4, UTF-16BE, first
// record) tag.
func iccText(t []byte) string {
	var s string
	switch string(t[:4]) {
	case "desc":
		n := int64(binary.BigEndian.Uint32(t[8:]))
		if 12+n <= int64(len(t)) {
			s = string(t[12 : 12+n])
		}
	case "mluc":
		if len(t) < 28 || binary.BigEndian.Uint32(t[8:]) == 0 {
			return ""
		}
		n, off := int64(binary.BigEndian.Uint32(t[20:])), int64(binary.BigEndian.Uint32(t[24:]))
		if off+n > int64(len(t)) || n > 1024 {
			return ""
		}
		u := make([]uint16, n/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(t[off+int64(2*i):])
		}
		s = string(utf16.Decode(u))
	}
	s = strings.TrimRight(s, "\x00 ")
	// Keep it printable and short: it ends up in results and logs.
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

// isSRGB reports whether the profile describes sRGB (or is absent). ICC
// profiles carry no reliable identity, so we go by the description, as
// libvips and browsers' fast paths do: "sRGB IEC61966-2.1", "sRGB built-in",
// "sRGB v4 ICC preference" all qualify.
func (p iccProfile) isSRGB() bool {
	return strings.Contains(strings.ToLower(p.description), "srgb")
}

// iccTransform converts pixels from an RGB matrix/TRC ("matrix-shaper")
// profile, the kind displays and cameras embed (Display P3, Adobe RGB,
// ProPhoto), to sRGB: each channel through its tone curve to linear light,
// a 3×3 matrix through the D50 connection space to linear sRGB, and the sRGB
// curve back. LUT-based profiles are not handled.
type iccTransform struct {
	lin [3][256]float32
	m   [3][3]float64
}

// xyzD50ToLinearSRGB is the inverse of sRGB's D50-adapted (Bradford)
// colorant matrix, the one sRGB ICC profiles carry.
var xyzD50ToLinearSRGB = [3][3]float64{
	{3.1338561, -1.6168667, -0.4906146},
	{-0.9787684, 1.9161415, 0.0334540},
	{0.0719453, -0.2289914, 1.4052427},
}

// iccTags indexes an ICC profile's tag table by signature; p has passed
// parseICC's header check.
func iccTags(p []byte) map[string][]byte {
	tags := map[string][]byte{}
	count := int64(binary.BigEndian.Uint32(p[128:]))
	for k := int64(0); k < count && 132+12*(k+1) <= int64(len(p)); k++ {
		e := p[132+12*k:]
		off, size := int64(binary.BigEndian.Uint32(e[4:])), int64(binary.BigEndian.Uint32(e[8:]))
		if off+size <= int64(len(p)) && size >= 12 {
			tags[string(e[:4])] = p[off : off+size]
		}
	}
	return tags
}

// matrixShaper builds the transform for an RGB profile with rXYZ/gXYZ/bXYZ
// colorants and rTRC/gTRC/bTRC curves; ok is false for anything else.
func matrixShaper(p []byte) (xf *iccTransform, ok bool) {
	if prof, valid := parseICC(p); !valid || prof.colorSpace != "RGB" {
		return nil, false
	}
	tags := iccTags(p)
	xf = new(iccTransform)
	var cols [3][3]float64 // columns: XYZ of the red, green, blue colorants
	for c, name := range []string{"r", "g", "b"} {
		xyz, trc := tags[name+"XYZ"], tags[name+"TRC"]
		if len(xyz) < 20 || string(xyz[:4]) != "XYZ " || trc == nil {
			return nil, false
		}
		for i := 0; i < 3; i++ {
			cols[c][i] = float64(int32(binary.BigEndian.Uint32(xyz[8+4*i:]))) / 65536
		}
		curve, ok := iccCurve(trc)
		if !ok {
			return nil, false
		}
		for v := range xf.lin[c] {
			xf.lin[c][v] = float32(curve(float64(v) / 255))
		}
	}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				xf.m[i][j] += xyzD50ToLinearSRGB[i][k] * cols[j][k]
			}
		}
	}
	return xf, true
}

// iccCurve decodes a 'curv' or 'para' tone curve (device value 0..1 to
// linear 0..1).
func iccCurve(t []byte) (func(float64) float64, bool) {
	switch string(t[:4]) {
	case "curv":
		n := int64(binary.BigEndian.Uint32(t[8:]))
		switch {
		case n == 0:
			return func(x float64) float64 { return x }, true
		case n == 1 && len(t) >= 14:
			g := float64(binary.BigEndian.Uint16(t[12:])) / 256
			return func(x float64) float64 { return math.Pow(x, g) }, true
		case n >= 2 && 12+2*n <= int64(len(t)):
			table := make([]float64, n)
			for i := range table {
				table[i] = float64(binary.BigEndian.Uint16(t[12+2*i:])) / 65535
			}
			return func(x float64) float64 { // linear interpolation
				f := x * float64(n-1)
				i := min(int(f), int(n-2))
				return table[i] + (f-float64(i))*(table[i+1]-table[i])
			}, true
		}
	case "para":
		if len(t) < 12 {
			return nil, false
		}
		typ := binary.BigEndian.Uint16(t[8:])
		np := [...]int{1, 3, 4, 5, 7}
		if int(typ) >= len(np) || 12+4*np[typ] > len(t) {
			return nil, false
		}
		var a [7]float64
		for i := 0; i < np[typ]; i++ {
			a[i] = float64(int32(binary.BigEndian.Uint32(t[12+4*i:]))) / 65536
		}
		g := a[0]
		switch typ {
		case 0:
			return func(x float64) float64 { return math.Pow(x, g) }, true
		case 1:
			return func(x float64) float64 {
				if x >= -a[2]/a[1] {
					return math.Pow(a[1]*x+a[2], g)
				}
				return 0
			}, true
		case 2:
			return func(x float64) float64 {
				if x >= -a[2]/a[1] {
					return math.Pow(a[1]*x+a[2], g) + a[3]
				}
				return a[3]
			}, true
		case 3:
			return func(x float64) float64 {
				if x >= a[4] {
					return math.Pow(a[1]*x+a[2], g)
				}
				return a[3] * x
			}, true
		case 4:
			return func(x float64) float64 {
				if x >= a[4] {
					return math.Pow(a[1]*x+a[2], g) + a[5]
				}
				return a[3]*x + a[6]
			}, true
		}
	}
	return nil, false
}

// srgbEncode maps linear light (0..1 in 4096 steps) to 8-bit sRGB.
var srgbEncode = sync.OnceValue(func() *[4097]uint8 {
	var t [4097]uint8
	for i := range t {
		l := float64(i) / 4096
		v := 12.92 * l
		if l > 0.0031308 {
			v = 1.055*math.Pow(l, 1/2.4) - 0.055
		}
		t[i] = uint8(math.Round(255 * min(max(v, 0), 1)))
	}
	return &t
})

// apply converts one pixel; out-of-gamut colours are clipped.
func (xf *iccTransform) apply(r, g, b uint8) (uint8, uint8, uint8) {
	enc := srgbEncode()
	l := [3]float64{float64(xf.lin[0][r]), float64(xf.lin[1][g]), float64(xf.lin[2][b])}
	var out [3]uint8
	for i := range out {
		v := xf.m[i][0]*l[0] + xf.m[i][1]*l[1] + xf.m[i][2]*l[2]
		out[i] = enc[int(min(max(v, 0), 1)*4096+0.5)]
	}
	return out[0], out[1], out[2]
}

// toSRGB converts a colour thumbnail (4:2:0 planes) with xf.
func (xf *iccTransform) toSRGB(p picture) picture {
	if p.gray {
		return p
	}
	return toYCbCr420(p.w, p.h, func(y int, dst []byte) {
		ly := p.y.row(y)
		cy := y / p.fy
		for x := range ly {
			ci := cy*p.cb.stride + x/p.fx
			r, g, b := color.YCbCrToRGB(ly[x], p.cb.pix[ci], p.cr.pix[ci])
			dst[3*x], dst[3*x+1], dst[3*x+2] = xf.apply(r, g, b)
		}
	})
}
