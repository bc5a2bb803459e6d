package jpegdec

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"path/filepath"
	"testing"
)

// benchInputs returns the photos in $RAMPART_PHOTOS, or one generated
// 2560×1600 4:2:0 photo-like JPEG when it is unset.
func benchInputs(b *testing.B) (names []string, srcs [][]byte) {
	if files := photos(b); files != nil {
		for _, f := range files {
			names = append(names, filepath.Base(f))
			srcs = append(srcs, MustRead(b, f))
		}
		return names, srcs
	}
	return []string{"generated-2560x1600"}, [][]byte{MustEncode(b, photoLike(2560, 1600), 85)}
}

// BenchmarkDecode decodes every input per iteration, with image/jpeg and
// with this package at each scale; ns/op is per image set, and the
// ns/image metric per image.
func BenchmarkDecode(b *testing.B) {
	_, srcs := benchInputs(b)
	var bytesTotal int64
	for _, s := range srcs {
		bytesTotal += int64(len(s))
	}
	per := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(srcs)), "ns/image")
	}
	b.Run("imagejpeg", func(b *testing.B) {
		b.SetBytes(bytesTotal)
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range srcs {
				if _, err := jpeg.Decode(bytes.NewReader(s)); err != nil {
					b.Fatal(err)
				}
			}
		}
		per(b)
	})
	for _, scale := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("scale=1/%d", scale), func(b *testing.B) {
			b.SetBytes(bytesTotal)
			b.ReportAllocs()
			opts := &Options{Scale: scale}
			for b.Loop() {
				for _, s := range srcs {
					if _, err := Decode(s, opts); err != nil {
						b.Fatal(err)
					}
				}
			}
			per(b)
		})
	}
}
