package imaging

import (
	"context"
	"testing"
)

// BenchmarkThumbnails measures the whole pipeline (sniff, limits, decode
// once, three sizes, JPEG encode) per image. With RAMPART_PHOTOS it runs over
// the photo set (compare with ../shared/bench/sharp/run on one core: run with
// -cpu 1); otherwise over a generated 2560x1600 JPEG.
//
//	RAMPART_PHOTOS=/tmp/photos go test -run '^$' -bench Thumbnails -benchmem -cpu 1 ./imaging
func BenchmarkThumbnails(b *testing.B) {
	photos := MustPhotos(b)
	var inputs [][]byte
	if photos == nil {
		inputs = [][]byte{MustJPEG(b, synthetic(2560, 1600, 1))}
	} else {
		for _, k := range sortedKeys(photos) {
			inputs = append(inputs, photos[k])
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := Thumbnails(ctx, inputs[n%len(inputs)], nil); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}
