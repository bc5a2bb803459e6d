package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	xdraw "golang.org/x/image/draw"
)

func mustThumbnails(tb testing.TB, src []byte, opts Options) *Result {
	tb.Helper()
	res, err := Thumbnails(context.Background(), src, &opts)
	if err != nil {
		tb.Fatalf("Thumbnails: %v", err)
	}
	return res
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestThumbnails_sizes(t *testing.T) {
	src := MustJPEG(t, synthetic(600, 400, 2))
	res := mustThumbnails(t, src, Options{})
	if res.Format != FormatJPEG || res.Width != 600 || res.Height != 400 || res.Orientation != 1 || res.Frames != 1 {
		t.Fatalf("result = %+v", res)
	}
	want := []struct{ size, w, h int }{
		{1024, 600, 400}, // never enlarged
		{512, 512, 341},
		{128, 128, 85},
	}
	if len(res.Thumbnails) != len(want) {
		t.Fatalf("got %d thumbnails, want %d", len(res.Thumbnails), len(want))
	}
	for i, w := range want {
		th := res.Thumbnails[i]
		if th.Size != w.size || th.Width != w.w || th.Height != w.h || th.ContentType != "image/jpeg" {
			t.Errorf("thumbnail %d = %d %dx%d %s, want %d %dx%d", i, th.Size, th.Width, th.Height, th.ContentType, w.size, w.w, w.h)
		}
		if b := MustDecode(t, th.Data).Bounds(); b.Dx() != th.Width || b.Dy() != th.Height {
			t.Errorf("thumbnail %d decodes as %v, reported %dx%d", i, b, th.Width, th.Height)
		}
	}
}

func TestThumbnails_options(t *testing.T) {
	src := MustPNG(t, synthetic(300, 500, 3))
	res := mustThumbnails(t, src, Options{Sizes: []int{100, 250, 100, 40}, Quality: 95})
	var got [][3]int
	for _, th := range res.Thumbnails {
		got = append(got, [3]int{th.Size, th.Width, th.Height})
	}
	want := [][3]int{{100, 60, 100}, {250, 150, 250}, {40, 24, 40}} // request order, duplicates once
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
	lo := mustThumbnails(t, src, Options{Sizes: []int{250}, Quality: 10})
	if len(lo.Thumbnails[0].Data) >= len(res.Thumbnails[1].Data) {
		t.Errorf("quality 10 (%d bytes) is not smaller than quality 95 (%d bytes)", len(lo.Thumbnails[0].Data), len(res.Thumbnails[1].Data))
	}
	for _, bad := range []Options{{Sizes: []int{0}}, {Sizes: []int{-5}}, {Quality: 101}, {Quality: -1}, {Limits: Limits{MaxBytes: -1}}} {
		_, err := Thumbnails(context.Background(), src, &bad)
		if err == nil || IsReject(err) || bad.Validate() == nil {
			t.Errorf("options %+v: err = %v, want a plain (non-reject) error", bad, err)
		}
	}
}

func TestThumbnails_cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Thumbnails(ctx, MustJPEG(t, synthetic(64, 64, 1)), nil)
	if !errors.Is(err, context.Canceled) || IsReject(err) {
		t.Fatalf("err = %v, want context.Canceled and not a rejection", err)
	}
}

// TestThumbnails_formats runs every supported encoding through the pipeline
// and compares each thumbnail with an independent reference: the standard
// decoders' image, flattened onto white and scaled with x/image/draw's
// Catmull-Rom, in RGB. Luma SSIM checks the structure, the mean RGB
// difference the colours (CMYK, palettes, alpha, 16-bit, chroma siting).
func TestThumbnails_formats(t *testing.T) {
	syn := synthetic(150, 103, 7)
	tests := []struct {
		name   string
		src    []byte
		format string
	}{
		{"baseline JPEG", mustRead(t, "video-001.jpeg"), FormatJPEG},
		{"progressive JPEG", mustRead(t, "video-001.progressive.jpeg"), FormatJPEG},
		// Adobe CMYK is converted through libvips' default CMYK profile,
		// not image/jpeg's naive formula: TestSharpCMYK.
		{"JPEG 4:1:0", mustRead(t, "video-001.q50.410.jpeg"), FormatJPEG},
		{"JPEG 4:1:1", mustRead(t, "video-001.q50.411.jpeg"), FormatJPEG},
		{"JPEG 4:2:2", mustRead(t, "video-001.q50.422.jpeg"), FormatJPEG},
		{"JPEG 4:4:0", mustRead(t, "video-001.q50.440.jpeg"), FormatJPEG},
		{"JPEG 4:4:4", mustRead(t, "video-001.q50.444.jpeg"), FormatJPEG},
		{"greyscale JPEG", mustRead(t, "video-005.gray.jpeg"), FormatJPEG},
		{"lossy WebP", mustRead(t, "video-001.lossy.webp"), FormatWebP},
		{"WebP with alpha", mustRead(t, "yellow_rose.lossy-with-alpha.webp"), FormatWebP},
		{"8-bit RGBA PNG", MustPNG(t, syn), FormatPNG},
		{"16-bit PNG", MustPNG(t, to64(syn)), FormatPNG},
		{"16-bit grey PNG", MustPNG(t, toGray16(syn)), FormatPNG},
		{"paletted PNG", MustPNG(t, toPaletted(syn)), FormatPNG},
		{"GIF", mustGIF(t, toPaletted(syn)), FormatGIF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustThumbnails(t, tt.src, Options{Sizes: []int{100}, Quality: 95})
			if res.Format != tt.format {
				t.Errorf("format = %q, want %q", res.Format, tt.format)
			}
			th := res.Thumbnails[0]
			img := MustDecode(t, th.Data)
			if img.Bounds().Dx() != th.Width || img.Bounds().Dy() != th.Height || max(th.Width, th.Height) != 100 {
				t.Fatalf("thumbnail %dx%d decodes as %v", th.Width, th.Height, img.Bounds())
			}
			ref := referenceThumbnail(t, tt.src, th.Width, th.Height)
			s, d := ssim(t, ref, img), meanRGBDiff(t, ref, img, 5)
			t.Logf("against the reference: SSIM %.4f, mean RGB difference %.2f", s, d)
			if s < 0.97 || d > 2 {
				t.Errorf("against the reference: SSIM %.4f (want >= 0.97), mean RGB difference %.2f (want <= 2)", s, d)
			}
		})
	}
}

// referenceThumbnail decodes src with the standard decoders, composites it
// over white and scales it to w×h with Catmull-Rom, all in RGB.
func referenceThumbnail(tb testing.TB, src []byte, w, h int) image.Image {
	tb.Helper()
	m := MustDecode(tb, src)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), m, m.Bounds(), draw.Over, nil)
	return dst
}

// TestThumbnails_bitDepths checks that 16-bit and paletted pixels land on the
// expected 8-bit sRGB values and that transparency is flattened onto white.
func TestThumbnails_bitDepths(t *testing.T) {
	const w, h = 64, 48
	fill := func(m interface{ Set(x, y int, c color.Color) }, c color.Color) {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.Set(x, y, c)
			}
		}
	}
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	fill(rgba64, color.RGBA64{0x8080, 0x2020, 0xC0C0, 0xffff})
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	fill(nrgba, color.NRGBA{0, 0, 0, 0}) // fully transparent black
	half := image.NewNRGBA64(image.Rect(0, 0, w, h))
	fill(half, color.NRGBA64{0, 0, 0xffff, 0x8000}) // half-transparent blue
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.RGBA{200, 100, 50, 255}, color.RGBA{0, 0, 0, 0}})
	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	fill(gray16, color.Gray16{0x4040})
	tests := []struct {
		name string
		src  []byte
		want color.RGBA
	}{
		{"16-bit RGB", MustPNG(t, rgba64), color.RGBA{0x80, 0x20, 0xC0, 255}},
		{"transparent", MustPNG(t, nrgba), color.RGBA{255, 255, 255, 255}},
		{"16-bit half-transparent", MustPNG(t, half), color.RGBA{127, 127, 255, 255}},
		{"paletted PNG", MustPNG(t, pal), color.RGBA{200, 100, 50, 255}},
		{"paletted GIF", mustGIF(t, pal), color.RGBA{200, 100, 50, 255}},
		{"16-bit grey", MustPNG(t, gray16), color.RGBA{0x40, 0x40, 0x40, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := mustThumbnails(t, tt.src, Options{Sizes: []int{32}}).Thumbnails[0]
			got := MustDecode(t, th.Data).At(th.Width/2, th.Height/2)
			assertColor(t, got, tt.want, 4)
		})
	}
}

func assertColor(tb testing.TB, got color.Color, want color.RGBA, tol int) {
	tb.Helper()
	r, g, b, _ := got.RGBA()
	d := func(a uint32, b uint8) int { return max(int(a>>8)-int(b), int(b)-int(a>>8)) }
	if d(r, want.R) > tol || d(g, want.G) > tol || d(b, want.B) > tol {
		tb.Errorf("colour = (%d,%d,%d), want (%d,%d,%d) ±%d", r>>8, g>>8, b>>8, want.R, want.G, want.B, tol)
	}
}

func TestThumbnails_animatedGIF(t *testing.T) {
	colours := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}}
	anim := &gif.GIF{}
	for _, c := range colours {
		f := image.NewPaletted(image.Rect(0, 0, 40, 30), color.Palette{c})
		anim.Image = append(anim.Image, f)
		anim.Delay = append(anim.Delay, 10)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	res := mustThumbnails(t, buf.Bytes(), Options{Sizes: []int{20}})
	if res.Frames != 3 {
		t.Errorf("frames = %d, want 3", res.Frames)
	}
	th := res.Thumbnails[0]
	assertColor(t, MustDecode(t, th.Data).At(5, 5), colours[0], 4)

	_, err := Thumbnails(context.Background(), buf.Bytes(), &Options{Limits: Limits{MaxFrames: 2}})
	if !errors.Is(err, ErrTooManyFrames) {
		t.Errorf("MaxFrames 2: err = %v, want ErrTooManyFrames", err)
	}
}

// A first GIF frame smaller than the logical screen is placed at its offset;
// the uncovered screen is transparent, hence white.
func TestThumbnails_gifFrameOffset(t *testing.T) {
	f := image.NewPaletted(image.Rect(20, 0, 40, 30), color.Palette{color.RGBA{0, 0, 0, 255}})
	var buf bytes.Buffer
	g := &gif.GIF{Image: []*image.Paletted{f}, Delay: []int{0}, Config: image.Config{Width: 40, Height: 30, ColorModel: f.Palette}}
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	th := mustThumbnails(t, buf.Bytes(), Options{Sizes: []int{40}}).Thumbnails[0]
	img := MustDecode(t, th.Data)
	assertColor(t, img.At(5, 15), color.RGBA{255, 255, 255, 255}, 4)
	assertColor(t, img.At(35, 15), color.RGBA{0, 0, 0, 255}, 4)
}

func TestThumbnails_concurrent(t *testing.T) {
	src := MustJPEG(t, synthetic(400, 300, 9))
	want := mustThumbnails(t, src, Options{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			got, err := Thumbnails(context.Background(), src, nil)
			if err == nil {
				for i := range got.Thumbnails {
					if !bytes.Equal(got.Thumbnails[i].Data, want.Thumbnails[i].Data) {
						err = errors.New("concurrent result differs")
					}
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func to64(m *image.RGBA) *image.RGBA64 {
	out := image.NewRGBA64(m.Bounds())
	for y := 0; y < m.Bounds().Dy(); y++ {
		for x := 0; x < m.Bounds().Dx(); x++ {
			out.Set(x, y, m.At(x, y))
		}
	}
	return out
}

func toGray16(m *image.RGBA) *image.Gray16 {
	out := image.NewGray16(m.Bounds())
	for y := 0; y < m.Bounds().Dy(); y++ {
		for x := 0; x < m.Bounds().Dx(); x++ {
			out.Set(x, y, m.At(x, y))
		}
	}
	return out
}

func toPaletted(m *image.RGBA) *image.Paletted {
	var pal color.Palette
	for r := 0; r < 6; r++ {
		for g := 0; g < 6; g++ {
			for b := 0; b < 6; b++ {
				pal = append(pal, color.RGBA{uint8(r * 51), uint8(g * 51), uint8(b * 51), 255})
			}
		}
	}
	out := image.NewPaletted(m.Bounds(), pal)
	for y := 0; y < m.Bounds().Dy(); y++ {
		for x := 0; x < m.Bounds().Dx(); x++ {
			out.Set(x, y, m.At(x, y))
		}
	}
	return out
}

func mustGIF(tb testing.TB, m *image.Paletted) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, m, nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

var _ = png.Encode

// countdown is a context whose Err turns into context.Canceled on its n-th
// call, so a test can cancel at a chosen point inside a decoder.
type countdown struct {
	context.Context
	n, calls int
}

func (c *countdown) Err() error {
	c.calls++
	if c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

// TestThumbnails_cancelledWhileDecoding cancels at points spread over the
// whole run, every format: the run ends with context.Canceled (not a
// rejection) at the check that saw it, without looking again, so the
// decoders check between rows or blocks and stop there.
func TestThumbnails_cancelledWhileDecoding(t *testing.T) {
	img := synthetic(300, 200, 3)
	inputs := map[string][]byte{
		"jpeg": MustJPEG(t, img),
		"png":  MustPNG(t, img),
		"gif":  mustGIF(t, toPaletted(img)),
		"webp": mustRead(t, "yellow_rose.lossy-with-alpha.webp"),
	}
	for name, src := range inputs {
		t.Run(name, func(t *testing.T) {
			all := &countdown{Context: context.Background(), n: 1 << 30}
			if _, err := Thumbnails(all, src, nil); err != nil {
				t.Fatal(err)
			}
			if all.calls < 6 {
				t.Fatalf("the context was checked %d times in a whole run; the decoder does not check it as it goes", all.calls)
			}
			for _, n := range []int{2, 3, all.calls / 2, all.calls - 1} {
				ctx := &countdown{Context: context.Background(), n: n}
				res, err := Thumbnails(ctx, src, nil)
				if !errors.Is(err, context.Canceled) || IsReject(err) || res != nil {
					t.Fatalf("cancelled at check %d of %d: %v, want context.Canceled", n, all.calls, err)
				}
				// One more look is allowed: the pipeline asks the
				// context why the decoder failed.
				if ctx.calls > n+1 {
					t.Errorf("cancelled at check %d: the context was checked %d times: work went on", n, ctx.calls)
				}
			}
		})
	}
}
