package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"io"
	"math"
	"testing"

	"golang.org/x/image/webp"
)

// referenceWebP is the tests' WebP decoder (MustDecode, and so the
// reference thumbnails): golang.org/x/image/webp, independent of webpdec,
// with its lossy output, VP8's limited-range YCbCr returned as if it were
// full range (golang/go#40173), converted to RGB with the BT.601
// limited-range formula, as libwebp does. (image.Decode would pick
// x/image/webp's own registration, which gets the colours wrong.)
func referenceWebP(r io.Reader) (image.Image, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	m, err := webp.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var (
		ycc   *image.YCbCr
		alpha func(x, y int) uint8
	)
	switch m := m.(type) {
	case *image.YCbCr:
		ycc, alpha = m, func(int, int) uint8 { return 255 }
	case *image.NYCbCrA:
		ycc, alpha = &m.YCbCr, func(x, y int) uint8 { return m.A[m.AOffset(x, y)] }
	default:
		return m, nil // lossless: RGB already
	}
	bounds := ycc.Bounds()
	out := image.NewNRGBA(bounds)
	clamp := func(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(255, v)))) }
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			l := 1.164383 * (float64(ycc.Y[ycc.YOffset(x, y)]) - 16)
			ci := ycc.COffset(x, y)
			cb, cr := float64(ycc.Cb[ci])-128, float64(ycc.Cr[ci])-128
			out.SetNRGBA(x, y, color.NRGBA{
				R: clamp(l + 1.596027*cr),
				G: clamp(l - 0.391762*cb - 0.812968*cr),
				B: clamp(l + 2.017232*cb),
				A: alpha(x, y),
			})
		}
	}
	return out, nil
}

// riffChunk is a RIFF chunk, padded to an even length.
func riffChunk(typ string, p []byte) []byte {
	c := binary.LittleEndian.AppendUint32([]byte(typ), uint32(len(p)))
	if c = append(c, p...); len(p)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// webpFile wraps chunks in a RIFF WEBP container.
func webpFile(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

func le24(b []byte, v int) []byte { return append(b, byte(v), byte(v>>8), byte(v>>16)) }

// TestThumbnails_webpOrientation checks that the EXIF orientation of an
// extended WebP (its EXIF chunk after the bitstream, as libwebp's webpmux
// writes it) is applied.
func TestThumbnails_webpOrientation(t *testing.T) {
	still := mustRead(t, "video-001.lossy.webp") // 150x103
	vp8x := riffChunk("VP8X", le24(le24([]byte{0x08, 0, 0, 0}, 150-1), 103-1))
	src := webpFile(vp8x, still[12:], riffChunk("EXIF", exifTIFF(6, binary.LittleEndian)))
	res := mustThumbnails(t, src, Options{Sizes: []int{150}})
	if res.Orientation != 6 || res.Width != 103 || res.Height != 150 {
		t.Fatalf("orientation %d, %dx%d; want 6, 103x150", res.Orientation, res.Width, res.Height)
	}
}

// animatedWebP is an animation of frames frames, each the 150x103 picture of
// testdata/video-001.lossy.webp at (0, 0), on a canvas of its size.
func animatedWebP(tb testing.TB, frames int) []byte {
	return animatedWebPCanvas(tb, 150, 103, frames)
}

// animatedWebPCanvas is animatedWebP on a canvas of w×h.
func animatedWebPCanvas(tb testing.TB, w, h, frames int) []byte {
	tb.Helper()
	vp8 := mustRead(tb, "video-001.lossy.webp")[12:] // a simple file's VP8 chunk
	chunks := [][]byte{
		riffChunk("VP8X", le24(le24([]byte{0x02, 0, 0, 0}, w-1), h-1)),
		riffChunk("ANIM", []byte{0, 0, 0, 0, 0, 0}),
	}
	for range frames {
		f := le24(le24(le24(le24(nil, 0), 0), 150-1), 103-1)
		f = append(f, 100, 0, 0, 0) // duration, blending and disposal
		chunks = append(chunks, riffChunk("ANMF", append(f, vp8...)))
	}
	return webpFile(chunks...)
}

// TestThumbnails_animatedWebP checks that an animated WebP is thumbnailed
// from its first frame, placed on its canvas (transparent around it, so
// white in the thumbnail), with its frames counted.
func TestThumbnails_animatedWebP(t *testing.T) {
	still := mustThumbnails(t, mustRead(t, "video-001.lossy.webp"), Options{Sizes: []int{150}})
	res := mustThumbnails(t, animatedWebP(t, 2), Options{Sizes: []int{150}})
	if res.Frames != 2 || res.Width != 150 || res.Height != 103 {
		t.Fatalf("animation: %dx%d, %d frames; want 150x103, 2 frames", res.Width, res.Height, res.Frames)
	}
	if s := ssim(t, MustDecode(t, res.Thumbnails[0].Data), MustDecode(t, still.Thumbnails[0].Data)); s < 0.99 {
		t.Errorf("first frame thumbnail vs the still's: SSIM %.4f", s)
	}
	res = mustThumbnails(t, animatedWebPCanvas(t, 300, 206, 2), Options{Sizes: []int{300}})
	img := MustDecode(t, res.Thumbnails[0].Data)
	if res.Width != 300 || res.Height != 206 {
		t.Fatalf("canvas 300x206: thumbnail %dx%d", res.Width, res.Height)
	}
	r, g, b, _ := img.At(250, 180).RGBA()
	if r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
		t.Errorf("outside the first frame: %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}
	want := MustDecode(t, still.Thumbnails[0].Data).At(75, 50)
	if d := colorDist(img.At(75, 50), want); d > 6 {
		t.Errorf("inside the first frame: %v, want about %v", img.At(75, 50), want)
	}
}

func colorDist(a, b color.Color) int {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	d := 0
	for _, p := range [][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}} {
		d = max(d, int(p[0]>>8)-int(p[1]>>8), int(p[1]>>8)-int(p[0]>>8))
	}
	return d
}
