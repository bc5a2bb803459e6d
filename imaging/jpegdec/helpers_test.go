package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// planes returns the sample planes of a decoded image, cropped to its
// bounds, so two decodes can be compared sample by sample. YCbCr chroma
// planes are cropped to the chroma size of the bounds.
func planes(tb testing.TB, img image.Image) [][]byte {
	tb.Helper()
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	crop := func(pix []byte, stride, w, h int) []byte {
		out := make([]byte, 0, w*h)
		for y := 0; y < h; y++ {
			out = append(out, pix[y*stride:y*stride+w]...)
		}
		return out
	}
	switch m := img.(type) {
	case *image.Gray:
		return [][]byte{crop(m.Pix, m.Stride, w, h)}
	case *image.YCbCr:
		cw, ch := chromaSize(m.SubsampleRatio, w, h)
		return [][]byte{crop(m.Y, m.YStride, w, h), crop(m.Cb, m.CStride, cw, ch), crop(m.Cr, m.CStride, cw, ch)}
	case *image.RGBA:
		return [][]byte{crop(m.Pix, m.Stride, 4*w, h)}
	case *image.CMYK:
		return [][]byte{crop(m.Pix, m.Stride, 4*w, h)}
	}
	tb.Fatalf("unexpected image type %T", img)
	return nil
}

func chromaSize(r image.YCbCrSubsampleRatio, w, h int) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// psnr compares two sets of planes of equal shape, in dB (+Inf when equal).
func psnr(tb testing.TB, a, b [][]byte) float64 {
	tb.Helper()
	if len(a) != len(b) {
		tb.Fatalf("psnr: %d planes vs %d", len(a), len(b))
	}
	var se float64
	var n int
	for i := range a {
		if len(a[i]) != len(b[i]) {
			tb.Fatalf("psnr: plane %d has %d samples vs %d", i, len(a[i]), len(b[i]))
		}
		for j := range a[i] {
			d := float64(a[i][j]) - float64(b[i][j])
			se += d * d
		}
		n += len(a[i])
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

// MustDecodeStd decodes src with image/jpeg.
func MustDecodeStd(tb testing.TB, src []byte) image.Image {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		tb.Fatalf("image/jpeg: %v", err)
	}
	return img
}

// MustDecode decodes src at 1/scale.
func MustDecode(tb testing.TB, src []byte, scale int) image.Image {
	tb.Helper()
	img, err := Decode(src, &Options{Scale: scale})
	if err != nil {
		tb.Fatalf("Decode 1/%d: %v", scale, err)
	}
	return img
}

// photos returns the JPEG files in $RAMPART_PHOTOS, sorted, or nil.
func photos(tb testing.TB) []string {
	tb.Helper()
	dir := os.Getenv("RAMPART_PHOTOS")
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatalf("RAMPART_PHOTOS: %v", err)
	}
	var out []string
	for _, e := range ents {
		n := strings.ToLower(e.Name())
		if strings.HasSuffix(n, ".jpg") || strings.HasSuffix(n, ".jpeg") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		tb.Fatalf("RAMPART_PHOTOS=%s holds no .jpg files", dir)
	}
	return out
}

// MustRead reads a file.
func MustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func describe(img image.Image) string {
	if m, ok := img.(*image.YCbCr); ok {
		return fmt.Sprintf("%T %v %v", img, m.SubsampleRatio, m.Rect)
	}
	return fmt.Sprintf("%T %v", img, img.Bounds())
}
