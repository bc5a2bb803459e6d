package imaging

import (
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"testing"
	"unicode/utf16"

	"github.com/rampartdev/rampart/imaging/internal/icc/icctest"
)

// testICC builds a minimal RGB display profile whose only tag is a v4 'mluc'
// description (enough for the header check and the description).
func testICC(desc string) []byte { return testProfile(desc, nil) }

// testProfile builds an RGB display profile with a v4 'mluc' description
// and the given extra tags, in order (signature, data pairs).
func testProfile(desc string, extra [][2][]byte) []byte {
	u := utf16.Encode([]rune(desc))
	mluc := []byte("mluc\x00\x00\x00\x00")
	mluc = binary.BigEndian.AppendUint32(mluc, 1)  // records
	mluc = binary.BigEndian.AppendUint32(mluc, 12) // record size
	mluc = append(mluc, "enUS"...)
	mluc = binary.BigEndian.AppendUint32(mluc, uint32(2*len(u)))
	mluc = binary.BigEndian.AppendUint32(mluc, 28)
	for _, c := range u {
		mluc = binary.BigEndian.AppendUint16(mluc, c)
	}
	return icctest.Profile(0x02100000, "mntr", "RGB", "XYZ ", append([][2][]byte{{[]byte("desc"), mluc}}, extra...))
}

func s15(v float64) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(int32(math.Round(v*65536))))
}

func xyzTag(x, y, z float64) []byte {
	return append(append(append([]byte("XYZ \x00\x00\x00\x00"), s15(x)...), s15(y)...), s15(z)...)
}

// srgbPara is the sRGB tone curve as an ICC parametric curve (type 3).
func srgbPara() []byte {
	t := []byte("para\x00\x00\x00\x00\x00\x03\x00\x00")
	for _, v := range []float64{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045} {
		t = append(t, s15(v)...)
	}
	return t
}

// displayP3 is Apple's Display P3: P3 primaries (D50-adapted colorants as in
// its profile), D65 white, the sRGB tone curve.
func displayP3() []byte {
	trc := srgbPara()
	return testProfile("Display P3", [][2][]byte{
		{[]byte("rXYZ"), xyzTag(0.515102, 0.241182, -0.001050)},
		{[]byte("gXYZ"), xyzTag(0.291965, 0.692236, 0.041882)},
		{[]byte("bXYZ"), xyzTag(0.157153, 0.066582, 0.784378)},
		{[]byte("rTRC"), trc}, {[]byte("gTRC"), trc}, {[]byte("bTRC"), trc},
	})
}

// p3ToSRGB converts with the published linear P3-D65 to sRGB matrix,
// independently of the profile arithmetic under test.
func p3ToSRGB(c [3]uint8) [3]float64 {
	dec := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	enc := func(l float64) float64 {
		l = min(max(l, 0), 1)
		if l <= 0.0031308 {
			return 255 * 12.92 * l
		}
		return 255 * (1.055*math.Pow(l, 1/2.4) - 0.055)
	}
	r, g, b := dec(c[0]), dec(c[1]), dec(c[2])
	return [3]float64{
		enc(1.2249*r - 0.2247*g),
		enc(-0.0420*r + 1.0419*g),
		enc(-0.0197*r - 0.0786*g + 1.0979*b),
	}
}

func TestThumbnails_colorConversion(t *testing.T) {
	for _, c := range [][3]uint8{{200, 100, 50}, {128, 128, 128}, {30, 180, 220}, {250, 20, 20}} {
		m := image.NewRGBA(image.Rect(0, 0, 32, 32))
		for i := 0; i < len(m.Pix); i += 4 {
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c[0], c[1], c[2], 255
		}
		jpg := MustJPEG(t, m)
		src := withJPEGSegment(jpg, 0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), displayP3()...))
		res := mustThumbnails(t, src, Options{Sizes: []int{16}, Quality: 100})
		if res.ColorProfile != "Display P3" || !res.ColorConverted {
			t.Fatalf("ColorProfile %q, converted %v", res.ColorProfile, res.ColorConverted)
		}
		// The reference: our own pipeline without the profile (same JPEG
		// losses), then the independent P3 to sRGB conversion.
		plain := mustThumbnails(t, jpg, Options{Sizes: []int{16}, Quality: 100})
		r0, g0, b0, _ := MustDecode(t, plain.Thumbnails[0].Data).At(8, 8).RGBA()
		want := p3ToSRGB([3]uint8{uint8(r0 >> 8), uint8(g0 >> 8), uint8(b0 >> 8)})
		w := color.RGBA{uint8(math.Round(want[0])), uint8(math.Round(want[1])), uint8(math.Round(want[2])), 255}
		assertColor(t, MustDecode(t, res.Thumbnails[0].Data).At(8, 8), w, 3)
	}
	// A profile without tone curves is reported but not applied.
	partial := testProfile("Odd RGB", [][2][]byte{{[]byte("rXYZ"), xyzTag(0.5, 0.25, 0)}})
	res := mustThumbnails(t, withJPEGSegment(MustJPEG(t, synthetic(16, 16, 1)), 0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), partial...)), Options{Sizes: []int{8}})
	if res.ColorProfile != "Odd RGB" || res.ColorConverted {
		t.Errorf("partial profile: ColorProfile %q, converted %v", res.ColorProfile, res.ColorConverted)
	}
}

func TestThumbnails_colorProfile(t *testing.T) {
	jpg := MustJPEG(t, synthetic(40, 30, 6))
	p3 := testICC("Display P3")
	tests := []struct {
		name string
		src  []byte
		want string
	}{
		{"no profile", jpg, ""},
		{"sRGB", withJPEGSegment(jpg, 0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), testICC("sRGB IEC61966-2.1")...)), ""},
		{"Display P3", withJPEGSegment(jpg, 0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), p3...)), "Display P3"},
		{"Display P3 in two chunks", withJPEGSegment(withJPEGSegment(jpg,
			0xE2, append([]byte("ICC_PROFILE\x00\x02\x02"), p3[100:]...)),
			0xE2, append([]byte("ICC_PROFILE\x00\x01\x02"), p3[:100]...)), "Display P3"},
		{"missing chunk", withJPEGSegment(jpg, 0xE2, append([]byte("ICC_PROFILE\x00\x01\x02"), p3[:100]...)), ""},
		{"not a profile", withJPEGSegment(jpg, 0xE2, []byte("ICC_PROFILE\x00\x01\x01garbage")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustThumbnails(t, tt.src, Options{Sizes: []int{16}}).ColorProfile; got != tt.want {
				t.Errorf("ColorProfile = %q, want %q", got, tt.want)
			}
		})
	}
}
