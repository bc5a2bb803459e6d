package imaging

import (
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

// testICC builds a minimal RGB display profile whose only tag is a v4 'mluc'
// description (enough for the header check and the description).
func testICC(desc string) []byte {
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
	p := make([]byte, 128, 256)
	copy(p[12:], "mntrRGB XYZ ")
	copy(p[36:], "acsp")
	p = binary.BigEndian.AppendUint32(p, 1) // tag count
	p = append(p, "desc"...)
	p = binary.BigEndian.AppendUint32(p, 144)
	p = binary.BigEndian.AppendUint32(p, uint32(len(mluc)))
	p = append(p, mluc...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
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
