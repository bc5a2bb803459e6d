package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"testing"
)

// pngHeader is a PNG signature and IHDR declaring w×h (8-bit RGB), with a
// correct CRC, then the start of the image data (a few bytes of an IDAT
// chunk): what a decompression bomb's first chunks look like.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, 13)
	ihdr = append(ihdr, "IHDR"...)
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	ihdr = binary.BigEndian.AppendUint32(ihdr, crc32.ChecksumIEEE(ihdr[4:]))
	idat := binary.BigEndian.AppendUint32(nil, 2)
	idat = append(idat, "IDAT\x78\x9c"...)
	idat = binary.BigEndian.AppendUint32(idat, crc32.ChecksumIEEE(idat[4:]))
	return append(append(b, ihdr...), idat...)
}

// pngWith sets byte i of a PNG (within its IHDR) to v and fixes the CRC.
func pngWith(p []byte, i int, v byte) []byte {
	out := append([]byte(nil), p...)
	out[i] = v
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return out
}

// gifHeader is a GIF header declaring a w×h logical screen, one image
// descriptor of the same size and a trailer.
func gifHeader(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	b = append(b, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff) // 2-colour global table
	b = append(b, 0x2C, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 2, 2, 0x4c, 0x01, 0, 0x3B)
}

// jpegWithSize patches the SOF0 dimensions of a valid JPEG.
func jpegWithSize(tb testing.TB, w, h uint16) []byte {
	tb.Helper()
	b := MustJPEG(tb, synthetic(16, 16, 1))
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		tb.Fatal("no SOF0")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// webpVP8X is a WebP container with only a VP8X chunk: canvas w×h, flags.
func webpVP8X(w, h uint32, flags byte) []byte {
	c := []byte("VP8X")
	c = binary.LittleEndian.AppendUint32(c, 10)
	c = append(c, flags, 0, 0, 0)
	c = append(c, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(4+len(c)))
	return append(append(b, "WEBP"...), c...)
}

// apng adds an acTL chunk declaring frames to a PNG (the default image is
// its first frame; no fcTL is needed for the frame count check).
func apng(tb testing.TB, frames uint32) []byte {
	tb.Helper()
	actl := binary.BigEndian.AppendUint32(nil, frames)
	actl = binary.BigEndian.AppendUint32(actl, 0)
	return withPNGChunk(MustPNG(tb, synthetic(8, 8, 2)), "acTL", actl)
}

func animatedGIF(tb testing.TB, frames int) []byte {
	tb.Helper()
	g := &gif.GIF{}
	for i := 0; i < frames; i++ {
		g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.Black, color.White}))
		g.Delay = append(g.Delay, 1)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestThumbnails_hostile(t *testing.T) {
	validJPEG := MustJPEG(t, synthetic(64, 48, 4))
	validPNG := MustPNG(t, synthetic(64, 48, 4))
	badCRC := append([]byte{}, validPNG...)
	if i := bytes.Index(badCRC, []byte("IDAT")); i > 0 {
		n := int(binary.BigEndian.Uint32(badCRC[i-4:]))
		badCRC[i+4+n] ^= 0xff // the chunk's CRC no longer matches its data
	}
	tests := []struct {
		name string
		src  []byte
		lim  Limits
		want error
	}{
		{"zero bytes", nil, Limits{}, ErrEmpty},
		{"text named .jpg", []byte("this is not really a JPEG, just a note\n"), Limits{}, ErrUnsupported},
		{"HTML", []byte("<!doctype html><html><body>hi</body></html>"), Limits{}, ErrUnsupported},
		{"HEIC", append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 16)...), Limits{}, ErrUnsupported},
		{"TIFF", []byte("II*\x00\x08\x00\x00\x00"), Limits{}, ErrUnsupported},
		{"JPEG SOI only", []byte{0xFF, 0xD8}, Limits{}, ErrCorrupt},
		{"truncated JPEG", validJPEG[:len(validJPEG)/2], Limits{}, ErrCorrupt},
		{"JPEG headers only", validJPEG[:bytes.Index(validJPEG, []byte{0xFF, 0xDA})+2], Limits{}, ErrCorrupt},
		{"truncated PNG", validPNG[:len(validPNG)/2], Limits{}, ErrCorrupt},
		{"PNG bad CRC", badCRC, Limits{}, ErrCorrupt},
		{"PNG signature only", []byte("\x89PNG\r\n\x1a\n"), Limits{}, ErrCorrupt},
		{"PNG 0x0", pngHeader(0, 0), Limits{}, ErrCorrupt},
		{"PNG 100000x100000", pngHeader(100000, 100000), Limits{}, ErrTooManyPixels},
		{"PNG 2^31 wide", pngHeader(1<<31-1, 1), Limits{}, ErrTooManyPixels},
		{"PNG over 2^31 wide", pngHeader(1<<31, 1), Limits{}, ErrCorrupt},
		{"PNG colour type 1", pngWith(validPNG, 25, 1), Limits{}, ErrCorrupt},
		{"PNG colour type 7", pngWith(validPNG, 25, 7), Limits{}, ErrCorrupt},
		{"PNG RGB at 4 bits", pngWith(validPNG, 24, 4), Limits{}, ErrCorrupt},
		{"PNG RGB at 3 bits", pngWith(validPNG, 24, 3), Limits{}, ErrCorrupt},
		{"PNG signature mangled by a text-mode transfer", append([]byte("\x89PNG\n\x1a\n"), validPNG[8:]...), Limits{}, ErrCorrupt},
		{"PNG signature damaged", append([]byte("\x89PNG\r\n\x00\n"), validPNG[8:]...), Limits{}, ErrCorrupt},
		{"JPEG 65000x65000", jpegWithSize(t, 65000, 65000), Limits{}, ErrTooManyPixels},
		{"GIF 65535x65535", gifHeader(65535, 65535), Limits{}, ErrTooManyPixels},
		{"GIF without frames", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x3B"), Limits{}, ErrCorrupt},
		{"GIF truncated", gifHeader(10, 10)[:24], Limits{}, ErrCorrupt},
		{"WebP 40000x40000", webpVP8X(40000, 40000, 0), Limits{}, ErrTooManyPixels},
		{"WebP animated without frames", webpVP8X(10, 10, 0x02), Limits{}, ErrCorrupt},
		{"WebP animated over MaxFrames", animatedWebP(t, 3), Limits{MaxFrames: 2}, ErrTooManyFrames},
		{"WebP animation canvas 40000x40000", animatedWebPCanvas(t, 40000, 40000, 2), Limits{}, ErrTooManyPixels},
		{"WebP VP8X only", webpVP8X(10, 10, 0), Limits{}, ErrCorrupt},
		{"animated GIF over the default frame limit", animatedGIF(t, DefaultMaxFrames+1), Limits{}, ErrTooManyFrames},
		{"APNG over the default frame limit", apng(t, DefaultMaxFrames+1), Limits{}, ErrTooManyFrames},
		{"APNG 2^30 frames", apng(t, 1<<30), Limits{}, ErrTooManyFrames},
		{"APNG 2^31 frames", apng(t, 1<<31), Limits{}, ErrTooManyFrames},
		{"APNG 2^32-1 frames", apng(t, 1<<32-1), Limits{}, ErrTooManyFrames},
		{"APNG 2^32-1 frames, largest limit", apng(t, 1<<32-1), Limits{MaxFrames: 1<<31 - 1}, ErrTooManyFrames},
		{"APNG 0 frames", apng(t, 0), Limits{}, ErrCorrupt},
		{"over MaxMemory", validJPEG, Limits{MaxMemory: 1000}, ErrTooMuchMemory},
		// 50 megapixels in one row: decoding holds rows of 150 MB.
		{"PNG 50000000x1", pngHeader(50_000_000, 1), Limits{}, ErrTooMuchMemory},
		{"over MaxBytes", validJPEG, Limits{MaxBytes: 100}, ErrTooLarge},
		{"over MaxPixels", validJPEG, Limits{MaxPixels: 64*48 - 1}, ErrTooManyPixels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Thumbnails(context.Background(), tt.src, &Options{Limits: tt.lim})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (result nil: %v), want %v", err, res == nil, tt.want)
			}
			var rej *RejectError
			if !errors.As(err, &rej) || rej.Reason == "" || !IsReject(err) {
				t.Fatalf("err = %#v, want a *RejectError with a reason", err)
			}
			t.Logf("%v", err)
		})
	}
	t.Run("exactly at the limits", func(t *testing.T) {
		if _, err := Thumbnails(context.Background(), validJPEG, &Options{Limits: Limits{MaxBytes: int64(len(validJPEG)), MaxPixels: 64 * 48}}); err != nil {
			t.Fatal(err)
		}
		if _, err := Thumbnails(context.Background(), animatedGIF(t, 5), &Options{Limits: Limits{MaxFrames: 5}}); err != nil {
			t.Fatal(err)
		}
		if _, err := Thumbnails(context.Background(), apng(t, 5), &Options{Limits: Limits{MaxFrames: 5}}); err != nil {
			t.Fatal(err)
		}
		est, err := MemoryEstimate(validJPEG, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Thumbnails(context.Background(), validJPEG, &Options{Limits: Limits{MaxMemory: est}}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSniff(t *testing.T) {
	tests := []struct {
		header string
		want   string
		err    error
	}{
		{"\xff\xd8\xff\xe0\x00\x10JFIF", FormatJPEG, nil},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", FormatPNG, nil},
		{"GIF87a\x01\x00", FormatGIF, nil},
		{"GIF89a\x01\x00", FormatGIF, nil},
		{"RIFF\x10\x00\x00\x00WEBPVP8 ", FormatWebP, nil},
		{"RIFF\x10\x00\x00\x00WAVEfmt ", "", ErrUnsupported},
		{"", "", ErrEmpty},
		{"GIF8", "", ErrUnsupported},
		{"\x00\x00\x00\x1cftypavif", "", ErrUnsupported},
		{"%PDF-1.7", "", ErrUnsupported},
	}
	for _, tt := range tests {
		got, err := Sniff([]byte(tt.header))
		if got != tt.want || !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
			t.Errorf("Sniff(%q) = %q, %v; want %q, %v", tt.header, got, err, tt.want, tt.err)
		}
	}
	// Control characters from a hostile file never reach the reason.
	_, err := Sniff([]byte("\x1b[31mevil\n"))
	if bytes.ContainsAny([]byte(err.Error()), "\x1b\n") {
		t.Errorf("reason carries control characters: %q", err)
	}
}

// FuzzThumbnails feeds arbitrary bytes through the whole pipeline: it must
// never panic, must classify every failure as a rejection, and must respect
// the limits (a small MaxPixels keeps any allocation bounded).
func FuzzThumbnails(f *testing.F) {
	seed := synthetic(24, 16, 5)
	jpg := MustJPEG(f, seed)
	f.Add(jpg)
	f.Add(withJPEGSegment(jpg, 0xE1, append([]byte("Exif\x00\x00"), exifTIFF(6, binary.LittleEndian)...)))
	f.Add(withJPEGSegment(jpg, 0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), displayP3()...)))
	f.Add(MustPNG(f, seed))
	f.Add(MustPNG(f, to64(seed)))
	f.Add(withPNGChunk(MustPNG(f, toPaletted(seed)), "eXIf", exifTIFF(8, binary.BigEndian)))
	f.Add(mustGIF(f, toPaletted(seed)))
	f.Add(animatedGIF(f, 3))
	f.Add(pngHeader(100000, 100000))
	f.Add(gifHeader(65535, 65535))
	f.Add(webpVP8X(10, 10, 0x02))
	f.Add(mustRead(f, "video-001.lossy.webp"))
	f.Add(mustRead(f, "yellow_rose.lossy-with-alpha.webp"))
	f.Add(animatedWebP(f, 2))
	f.Add([]byte("not an image"))
	f.Add([]byte{})
	const maxPixels = 1 << 20
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := Thumbnails(context.Background(), src, &Options{Sizes: []int{16, 8}, Limits: Limits{MaxPixels: maxPixels, MaxFrames: 50}})
		if err != nil {
			if !IsReject(err) {
				t.Fatalf("error is not a rejection: %v", err)
			}
			return
		}
		if int64(res.Width)*int64(res.Height) > maxPixels || res.Frames > 50 {
			t.Fatalf("result %dx%d, %d frames is over the limits", res.Width, res.Height, res.Frames)
		}
		for _, th := range res.Thumbnails {
			if th.Width > th.Size || th.Height > th.Size || th.Width < 1 || th.Height < 1 {
				t.Fatalf("thumbnail %d is %dx%d", th.Size, th.Width, th.Height)
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(th.Data))
			if err != nil || cfg.Width != th.Width || cfg.Height != th.Height {
				t.Fatalf("thumbnail %d does not decode as %dx%d: %v %+v", th.Size, th.Width, th.Height, err, cfg)
			}
		}
	})
}
