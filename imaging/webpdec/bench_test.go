package webpdec

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/image/webp"
)

// benchInputs returns the photos of $RAMPART_PHOTOS made WebP (see
// photoWebPs), or one generated 2560×1600 WebP when it is unset.
func benchInputs(b *testing.B) [][]byte {
	var srcs [][]byte
	for _, name := range photoWebPs(b) {
		srcs = append(srcs, mustRead(b, name))
	}
	if srcs == nil {
		srcs = [][]byte{cwebp(b, photoLike(2560, 1600, false), "-q", "80")}
	}
	return srcs
}

// BenchmarkDecode decodes every input per iteration, with x/image/webp and
// with this package at each scale and at the scale a 1024-pixel thumbnail
// needs (auto); ns/op is per image set, ns/image per image.
//
//	RAMPART_PHOTOS=/tmp/photos go test -run '^$' -bench Decode -cpu 1 ./imaging/webpdec
func BenchmarkDecode(b *testing.B) {
	srcs := benchInputs(b)
	per := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(srcs)), "ns/image")
	}
	b.Run("xwebp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range srcs {
				if _, err := webp.Decode(bytes.NewReader(s)); err != nil {
					b.Fatal(err)
				}
			}
		}
		per(b)
	})
	for _, scale := range []int{0, 1, 2, 4, 8} {
		name := fmt.Sprintf("scale=1/%d", scale)
		if scale == 0 {
			name = "scale=auto"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, s := range srcs {
					o := &Options{Scale: scale}
					if scale == 0 {
						cfg, err := DecodeConfig(s)
						if err != nil {
							b.Fatal(err)
						}
						o.Scale = ChooseScale(cfg.Width, cfg.Height, 1024)
					}
					if _, err := Decode(s, o); err != nil {
						b.Fatal(err)
					}
				}
			}
			per(b)
		})
	}
}
