package jpegdec

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/rampartdev/rampart/imaging/internal/imagetest"
)

// photoLike is the decoders' shared test picture (see imagetest.PhotoLike),
// opaque, as an *image.RGBA (the same bytes when every alpha is 255).
func photoLike(w, h int) *image.RGBA { return (*image.RGBA)(imagetest.PhotoLike(w, h, false)) }

// MustEncode encodes img with image/jpeg (4:2:0 for colour, greyscale for
// *image.Gray).
func MustEncode(tb testing.TB, img image.Image, quality int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
