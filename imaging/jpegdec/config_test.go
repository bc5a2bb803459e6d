package jpegdec

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"io"
	"runtime"
	"testing"
)

// withSegments inserts marker segments right after SOI.
func withSegments(src []byte, segs ...[]byte) []byte {
	out := append([]byte{}, src[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, src[2:]...)
}

// segment builds a marker segment.
func segment(marker byte, payload []byte) []byte {
	s := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

// exifSegment builds an APP1 Exif segment whose IFD0 holds an orientation
// entry, in the given byte order.
func exifSegment(bo binary.ByteOrder, orientation uint16) []byte {
	t := make([]byte, 8+2+12+4)
	if bo == binary.LittleEndian {
		copy(t, "II")
	} else {
		copy(t, "MM")
	}
	bo.PutUint16(t[2:], 42)
	bo.PutUint32(t[4:], 8)
	bo.PutUint16(t[8:], 1)
	bo.PutUint16(t[10:], 0x0112)
	bo.PutUint16(t[12:], 3)
	bo.PutUint32(t[14:], 1)
	bo.PutUint16(t[18:], orientation)
	return segment(mAPP1, append([]byte("Exif\x00\x00"), t...))
}

func iccSegment(seq, total byte, data string) []byte {
	return segment(mAPP2, append([]byte(iccTag+string([]byte{seq, total})), data...))
}

func TestDecodeConfig(t *testing.T) {
	src := MustEncode(t, photoLike(33, 21), 80)
	cases := []struct {
		name string
		segs [][]byte
		want Config
	}{
		{"plain", nil, Config{Orientation: 1}},
		{"exif little-endian", [][]byte{exifSegment(binary.LittleEndian, 6)}, Config{Orientation: 6}},
		{"exif big-endian", [][]byte{exifSegment(binary.BigEndian, 8)}, Config{Orientation: 8}},
		{"exif out of range", [][]byte{exifSegment(binary.BigEndian, 9)}, Config{Orientation: 1}},
		{"icc in order", [][]byte{iccSegment(1, 2, "abc"), iccSegment(2, 2, "def")}, Config{Orientation: 1, ICC: []byte("abcdef")}},
		{"icc out of order", [][]byte{iccSegment(2, 2, "def"), iccSegment(1, 2, "abc")}, Config{Orientation: 1, ICC: []byte("abcdef")}},
		{"icc missing chunk", [][]byte{iccSegment(1, 2, "abc")}, Config{Orientation: 1}},
		{"icc duplicate chunk", [][]byte{iccSegment(1, 1, "abc"), iccSegment(1, 1, "abc")}, Config{Orientation: 1}},
		{"icc bad sequence", [][]byte{iccSegment(0, 1, "abc")}, Config{Orientation: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := DecodeConfig(withSegments(src, tc.segs...))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != 33 || cfg.Height != 21 || cfg.ColorSpace != YCbCr ||
				cfg.Subsampling != image.YCbCrSubsampleRatio420 || cfg.Progressive {
				t.Errorf("got %+v", cfg)
			}
			if cfg.Orientation != tc.want.Orientation || !bytes.Equal(cfg.ICC, tc.want.ICC) {
				t.Errorf("orientation %d, ICC %q; want %d, %q", cfg.Orientation, cfg.ICC, tc.want.Orientation, tc.want.ICC)
			}
		})
	}
}

// TestDecode_metadataOnce: the metadata is DecodeConfig's to read; a
// decode (which imaging runs after DecodeConfig on the same bytes) does not
// parse the EXIF segment or collect the ICC chunks again.
func TestDecode_metadataOnce(t *testing.T) {
	src := withSegments(MustEncode(t, photoLike(33, 21), 80),
		exifSegment(binary.LittleEndian, 6), iccSegment(1, 1, "abc"))
	_, d, err := decodeOpts(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.exifSeen || d.orientation != 1 || d.icc.chunks != nil {
		t.Errorf("decode parsed the metadata: exif %v, orientation %d, ICC chunks %d", d.exifSeen, d.orientation, len(d.icc.chunks))
	}
	if cfg, err := DecodeConfig(src); err != nil || cfg.Orientation != 6 || string(cfg.ICC) != "abc" {
		t.Errorf("DecodeConfig: %+v, %v", cfg, err)
	}
}

func TestDecodeConfig_colorSpaces(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 9, 9))
	if cfg, err := DecodeConfig(MustEncode(t, gray, 80)); err != nil || cfg.ColorSpace != Gray {
		t.Errorf("grey: %+v, %v", cfg, err)
	}
	cmyk := MustRead(t, "testdata/cmyk.jpeg")
	if cfg, err := DecodeConfig(cmyk); err != nil || cfg.ColorSpace != CMYK {
		t.Errorf("CMYK: %+v, %v", cfg, err)
	}
	if cfg, err := DecodeConfig(asYCCK(t, cmyk)); err != nil || cfg.ColorSpace != YCCK {
		t.Errorf("YCCK: %+v, %v", cfg, err)
	}
}

// asYCCK flips an Adobe CMYK file's transform flag to 2: the same data is
// then YCCK, which image/jpeg decodes too.
func asYCCK(t *testing.T, src []byte) []byte {
	t.Helper()
	i := bytes.Index(src, []byte("Adobe"))
	if i < 0 {
		t.Fatal("no Adobe segment")
	}
	out := append([]byte{}, src...)
	out[i+11] = 2
	return out
}

// TestDecode_cmyk covers Adobe CMYK and YCCK against image/jpeg.
func TestDecode_cmyk(t *testing.T) {
	cmyk := MustRead(t, "testdata/cmyk.jpeg")
	cases := []struct {
		name      string
		src       []byte
		scaledMin float64
	}{
		{"cmyk", cmyk, minScaledPSNR},
		// The relabelled CMYK data is far from natural YCC, so the
		// YCbCr to RGB conversion clips a lot, and clipping after
		// averaging differs from averaging after clipping.
		{"ycck", asYCCK(t, cmyk), 24},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			full := checkFullScale(t, tc.src)
			checkScaled(t, tc.src, full, tc.scaledMin)
		})
	}
}

func TestChooseScale(t *testing.T) {
	cases := []struct{ w, h, edge, want int }{
		{2560, 1600, 1024, 2}, // 1280 >= 1024; 640 is not
		{2560, 1600, 320, 8},
		{2560, 1600, 321, 4},
		{5120, 2880, 1024, 4},
		{1600, 2560, 1280, 2},
		{1000, 800, 1024, 1},
		{1001, 10, 126, 8}, // sizes round up: ⌈1001/8⌉ = 126
		{1001, 10, 127, 4},
		{100, 100, 0, 8},
	}
	for _, tc := range cases {
		if got := ChooseScale(tc.w, tc.h, tc.edge); got != tc.want {
			t.Errorf("ChooseScale(%d, %d, %d) = %d, want %d", tc.w, tc.h, tc.edge, got, tc.want)
		}
	}
}

func TestDecode_errors(t *testing.T) {
	good := MustEncode(t, photoLike(64, 48), 80)
	sos := bytes.Index(good, []byte{0xff, mSOS})
	sof := bytes.Index(good, []byte{0xff, mSOF0})
	// A frame header declaring 65535×65535.
	huge := append([]byte{}, good...)
	binary.BigEndian.PutUint16(huge[sof+5:], 65535)
	binary.BigEndian.PutUint16(huge[sof+7:], 65535)
	twelveBit := append([]byte{}, good...)
	twelveBit[sof+4] = 12
	arith := append([]byte{}, good...)
	arith[sof+1] = 0xc9

	cases := []struct {
		name string
		src  []byte
		opts *Options
		is   func(error) bool
	}{
		{"empty", nil, nil, isFormat},
		{"not a JPEG", []byte("GIF89a......"), nil, isFormat},
		{"truncated headers", good[:sos-10], nil, isTruncated},
		{"truncated scan", good[:sos+200], nil, isTruncated},
		{"no EOI", good[:len(good)-2], nil, isTruncated},
		{"too many pixels", huge, nil, is(ErrTooManyPixels)},
		{"own limit", good, &Options{MaxPixels: 64*48 - 1}, is(ErrTooManyPixels)},
		{"12-bit", twelveBit, nil, isUnsupported},
		{"arithmetic", arith, nil, isUnsupported},
		{"bad scale", good, &Options{Scale: 3}, is(ErrInvalidScale)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(tc.src, tc.opts)
			if err == nil || !tc.is(err) {
				t.Fatalf("Decode = %v, %v; want the documented error", describeOrNil(img), err)
			}
		})
	}
	if _, err := Decode(good, &Options{MaxPixels: 64 * 48}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

func describeOrNil(img image.Image) string {
	if img == nil {
		return "nil"
	}
	return describe(img)
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
func isTruncated(err error) bool       { return errors.Is(err, io.ErrUnexpectedEOF) }
func isFormat(err error) bool          { var e FormatError; return errors.As(err, &e) }
func isUnsupported(err error) bool     { var e UnsupportedError; return errors.As(err, &e) }

// TestDecode_memoryBoundedByScale checks that a 1/8 decode allocates about
// 1/64 of what the full decode does.
func TestDecode_memoryBoundedByScale(t *testing.T) {
	for _, progressive := range []bool{false, true} {
		src := MustEncode(t, photoLike(1024, 768), 85)
		if progressive {
			src = cjpeg(t, photoLike(1024, 768), "-progressive")
		}
		alloc := func(scale int) uint64 {
			var a, b runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&a)
			MustDecode(t, src, scale)
			runtime.ReadMemStats(&b)
			return b.TotalAlloc - a.TotalAlloc
		}
		full, eighth := alloc(1), alloc(8)
		// Output planes at 1/8 are 1/64 of the full ones; a progressive
		// decode also keeps one coefficient and a nonzero mask per block.
		// On top of that comes a fixed cost that does not depend on the
		// image: the decoder and its Huffman lookup tables (about 3.4 KB
		// for each table the file defines, usually four).
		const fixed = 20 << 10
		limit := full/32 + fixed
		if progressive {
			limit = full/6 + fixed
		}
		t.Logf("progressive=%v: 1/1 allocates %d bytes, 1/8 %d", progressive, full, eighth)
		if eighth > limit {
			t.Errorf("progressive=%v: 1/8 allocates %d bytes, want <= %d", progressive, eighth, limit)
		}
	}
}
