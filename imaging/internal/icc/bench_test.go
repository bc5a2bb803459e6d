package icc

import "testing"

// BenchmarkNewTransform measures building the default CMYK transform (a
// 17^4 tabulation), which a new embedded profile costs once.
func BenchmarkNewTransform(b *testing.B) {
	p := Default()
	for b.Loop() {
		if _, err := NewTransform(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCMYK measures converting one pixel.
func BenchmarkCMYK(b *testing.B) {
	xf, err := NewTransform(Default())
	if err != nil {
		b.Fatal(err)
	}
	var s uint8
	i := 0
	for b.Loop() {
		r, g, bb := xf.CMYK(uint8(i), uint8(i>>3), uint8(i>>5), uint8(i>>7))
		s += r + g + bb
		i++
	}
	_ = s
}
