package pngdec

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/imaging/internal/ycc"
	"github.com/rampartdev/rampart/internal/testenv"
)

// kinds are every colour type and bit depth, with and without tRNS.
func kinds() []spec {
	var out []spec
	add := func(s spec) {
		out = append(out, s)
		s.interlaced = true
		out = append(out, s)
	}
	for _, d := range []int{1, 2, 4, 8, 16} {
		add(spec{colorType: Gray, depth: d})
		add(spec{colorType: Gray, depth: d, trns: []byte{0, byte(1<<min(d, 8) - 1)}})
	}
	for _, d := range []int{1, 2, 4, 8} {
		add(spec{colorType: Paletted, depth: d})
		add(spec{colorType: Paletted, depth: d, trns: []byte{0, 80, 200}[:min(3, 1<<d)]})
		add(spec{colorType: Paletted, depth: d, paletteN: 1}) // indices beyond PLTE: opaque black
	}
	for _, d := range []int{8, 16} {
		add(spec{colorType: RGB, depth: d})
		add(spec{colorType: RGB, depth: d, trns: []byte{0, 50, 0, 200, 0, 150}})
		add(spec{colorType: GrayAlpha, depth: d})
		add(spec{colorType: RGBA, depth: d})
	}
	return out
}

func (s spec) String() string {
	return fmt.Sprintf("type%d-depth%d-interlaced%v-trns%v-pal%d", s.colorType, s.depth, s.interlaced, s.trns != nil, s.paletteN)
}

// TestDecode_kinds decodes every kind at several sizes (odd ones, single
// rows and columns, fewer pixels than Adam7 has passes), with the zlib
// stream split over many IDAT chunks, against image/png.
func TestDecode_kinds(t *testing.T) {
	sizes := [][2]int{{37, 23}, {1, 1}, {3, 1}, {1, 5}, {130, 9}}
	for _, k := range kinds() {
		for i, sz := range sizes {
			k.w, k.h, k.seed, k.chunk = sz[0], sz[1], uint64(i), 17
			t.Run(fmt.Sprintf("%s-%dx%d", k, k.w, k.h), func(t *testing.T) {
				compareWithStd(t, mkPNG(t, k))
			})
		}
	}
}

// goroot returns the GOROOT of the go command on PATH (runtime.GOROOT is
// deprecated: it names the root the test was built with).
func goroot(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command(testenv.Command(tb, "go"), "env", "GOROOT").Output()
	if err != nil {
		tb.Fatalf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestDecode_pngsuite decodes the PngSuite images that ship with Go's
// image/png tests, against image/png.
func TestDecode_pngsuite(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goroot(t), "src", "image", "png", "testdata", "pngsuite", "*.png"))
	if len(files) < 30 {
		t.Fatalf("PngSuite not found under GOROOT (%d files)", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			compareWithStd(t, src)
		})
	}
}

// boxMean is the reference for the reduction: k×k block means of the full
// decode, blocks cut by the edges averaging what they have.
func boxMean(full image.Image, k int) [][4]int {
	b := full.Bounds()
	ow, oh := (b.Dx()+k-1)/k, (b.Dy()+k-1)/k
	out := make([][4]int, ow*oh)
	for by := 0; by < oh; by++ {
		for bx := 0; bx < ow; bx++ {
			var s [4]int
			n := 0
			for y := by * k; y < min(by*k+k, b.Dy()); y++ {
				for x := bx * k; x < min(bx*k+k, b.Dx()); x++ {
					p := rgba8(full, x, y)
					for c := range s {
						s[c] += p[c]
					}
					n++
				}
			}
			for c := range s {
				out[by*ow+bx][c] = (s[c] + n/2) / n
			}
		}
	}
	return out
}

// TestDecode_reduce checks the reduction while decoding against block
// means of the full decode: exactly, plain and interlaced.
func TestDecode_reduce(t *testing.T) {
	for _, k := range kinds() {
		k.w, k.h, k.chunk = 53, 41, 100
		src := mkPNG(t, k)
		full := MustDecode(t, src, 1)
		for _, r := range []int{2, 3, 4, 7, 60} {
			got := MustDecode(t, src, r)
			want := boxMean(full, r)
			b := got.Bounds()
			if b.Dx() != (k.w+r-1)/r || b.Dy() != (k.h+r-1)/r {
				t.Fatalf("%s 1/%d: bounds %v", k, r, b)
			}
			for y := 0; y < b.Dy(); y++ {
				for x := 0; x < b.Dx(); x++ {
					if p := rgba8(got, x, y); p != want[y*b.Dx()+x] {
						t.Fatalf("%s 1/%d: pixel (%d,%d) = %v, block mean %v", k, r, x, y, p, want[y*b.Dx()+x])
					}
				}
			}
		}
	}
}

// corrupt returns a copy of src with f applied.
func corrupt(src []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), src...)) }

// rechunk rewrites the chunk starting at offset i with new data, fixing
// its length and CRC.
func rechunk(src []byte, typ string, data []byte) []byte {
	i := bytes.Index(src, []byte(typ)) - 4
	n := int(binary.BigEndian.Uint32(src[i:]))
	out := append([]byte(nil), src[:i]...)
	out = appendChunk(out, typ, data)
	return append(out, src[i+12+n:]...)
}

func withIHDR(src []byte, f func(ihdr []byte)) []byte {
	ihdr := append([]byte(nil), src[16:29]...)
	f(ihdr)
	return rechunk(src, "IHDR", ihdr)
}

func TestDecode_errors(t *testing.T) {
	valid := mkPNG(t, spec{w: 20, h: 10, colorType: RGB, depth: 8})
	idat := func(raw []byte) []byte { // an RGB8 20x10 PNG with this (uncompressed) image data
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(raw)
		zw.Close()
		return rechunk(valid, "IDAT", z.Bytes())
	}
	rows := bytes.Repeat(append([]byte{0}, make([]byte, 60)...), 10)
	truncated := func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }
	format := func(want string) func(error) bool {
		return func(err error) bool {
			var fe FormatError
			return errors.As(err, &fe) && strings.Contains(string(fe), want)
		}
	}
	tests := []struct {
		name string
		src  []byte
		ok   func(error) bool
	}{
		{"empty", nil, truncated},
		{"signature prefix", []byte(Signature[:5]), truncated},
		{"not a PNG", []byte("GIF89a......"), format("signature")},
		{"text-mode CRLF damage", corrupt(valid, func(b []byte) []byte { return append(b[:4], append([]byte("\n\x1a\n"), b[8:]...)...) }), format("text-mode")},
		{"colour type 1", withIHDR(valid, func(h []byte) { h[9] = 1 }), format("colour type 1")},
		{"colour type 5", withIHDR(valid, func(h []byte) { h[9] = 5 }), format("colour type 5")},
		{"colour type 7", withIHDR(valid, func(h []byte) { h[9] = 7 }), format("colour type 7")},
		{"RGB at 4 bits", withIHDR(valid, func(h []byte) { h[8] = 4 }), format("bit depth 4")},
		{"RGB at 3 bits", withIHDR(valid, func(h []byte) { h[8] = 3 }), format("bit depth 3")},
		{"paletted at 16 bits", withIHDR(valid, func(h []byte) { h[8], h[9] = 16, 3 }), format("bit depth 16")},
		{"compression method", withIHDR(valid, func(h []byte) { h[10] = 1 }), format("compression method")},
		{"filter method", withIHDR(valid, func(h []byte) { h[11] = 1 }), format("filter method")},
		{"interlace method", withIHDR(valid, func(h []byte) { h[12] = 2 }), format("interlace method")},
		{"zero width", withIHDR(valid, func(h []byte) { binary.BigEndian.PutUint32(h, 0) }), format("dimensions")},
		{"2^31 wide", withIHDR(valid, func(h []byte) { binary.BigEndian.PutUint32(h, 1<<31) }), format("dimensions")},
		{"bad IHDR CRC", corrupt(valid, func(b []byte) []byte { b[29] ^= 1; return b }), format("checksum")},
		{"IHDR not first", append(append([]byte(Signature), appendChunk(nil, "gAMA", []byte{0, 0, 0, 1})...), valid[8:]...), format("IHDR")},
		{"truncated in IDAT", valid[:len(valid)-30], truncated},
		{"no IEND", valid[:len(valid)-12], truncated},
		{"paletted without PLTE", withIHDR(valid, func(h []byte) { h[9] = 3 }), format("PLTE")},
		{"bad filter type", idat(append([]byte{5}, rows[1:]...)), format("filter type")},
		{"not enough pixel data", idat(rows[:len(rows)-61]), format("not enough pixel data")},
		{"too much pixel data", idat(append(rows, 0, 0)), format("too much pixel data")},
		{"bad zlib checksum", corrupt(idat(rows), func(b []byte) []byte {
			i := bytes.Index(b, []byte("IDAT"))
			n := int(binary.BigEndian.Uint32(b[i-4:]))
			b[i+4+n-1] ^= 1 // the adler32's last byte
			return rechunk(b, "IDAT", b[i+4:i+4+n])
		}), format("zlib checksum")},
		{"invalid deflate data", rechunk(valid, "IDAT", []byte{0x78, 0x9c, 0xff, 0xff, 0xff, 0xff}), format("compressed data")},
		{"bad zlib header", rechunk(valid, "IDAT", []byte{0x00, 0x00, 1, 2, 3}), format("compressed data")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Decode(context.Background(), tt.src, nil)
			if err == nil || !tt.ok(err) || img != nil {
				t.Fatalf("Decode = %v, %v", img != nil, err)
			}
			t.Log(err)
		})
	}
	if _, err := Decode(context.Background(), valid, &Options{MaxPixels: 199}); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("MaxPixels 199 for 200 pixels: %v", err)
	}
	if _, err := Decode(context.Background(), valid, &Options{MaxPixels: 200}); err != nil {
		t.Errorf("MaxPixels 200 for 200 pixels: %v", err)
	}
}

func TestDecodeConfig_metadata(t *testing.T) {
	base := mkPNG(t, spec{w: 4, h: 4, colorType: RGBA, depth: 8})
	insert := func(typ string, data []byte) []byte {
		out := append([]byte(nil), base[:33]...)
		out = appendChunk(out, typ, data)
		return append(out, base[33:]...)
	}
	tiff := []byte{'M', 'M', 0, '*', 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0}
	var icc bytes.Buffer
	zw := zlib.NewWriter(&icc)
	zw.Write([]byte("profile bytes"))
	zw.Close()
	tests := []struct {
		name  string
		src   []byte
		check func(Config) bool
	}{
		{"plain", base, func(c Config) bool { return c.Frames == 1 && c.Orientation == 1 && c.ICC == nil && c.Transparent }},
		{"acTL 2^32-1", insert("acTL", []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}), func(c Config) bool { return c.Frames == 1<<32-1 }},
		{"eXIf", insert("eXIf", tiff), func(c Config) bool { return c.Orientation == 6 }},
		{"iCCP", insert("iCCP", append([]byte("name\x00\x00"), icc.Bytes()...)), func(c Config) bool { return string(c.ICC) == "profile bytes" }},
		{"iCCP damaged", insert("iCCP", []byte("name\x00\x00garbage")), func(c Config) bool { return c.ICC == nil }},
		{"sRGB", insert("sRGB", []byte{0}), func(c Config) bool { return c.SRGB }},
		{"gAMA", insert("gAMA", []byte{0, 0, 0xb1, 0x8f}), func(c Config) bool { return c.Gamma == 45455 }},
	}
	for _, tt := range tests {
		c, err := DecodeConfig(tt.src)
		if err != nil || !tt.check(c) {
			t.Errorf("%s: %+v, %v", tt.name, c, err)
		}
	}
}

// countdown is a context whose Err turns into context.Canceled on its n-th
// call.
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

func TestDecode_context(t *testing.T) {
	for _, il := range []bool{false, true} {
		src := mkPNG(t, spec{w: 64, h: 200, colorType: RGB, depth: 8, interlaced: il})
		all := &countdown{Context: context.Background(), n: 1 << 30}
		if _, err := Decode(all, src, &Options{Reduce: 3}); err != nil {
			t.Fatal(err)
		}
		if all.calls < 200/ctxEvery {
			t.Errorf("interlaced %v: the context was checked %d times for 200 rows", il, all.calls)
		}
		for n := 1; n <= all.calls; n++ {
			ctx := &countdown{Context: context.Background(), n: n}
			if img, err := Decode(ctx, src, nil); !errors.Is(err, context.Canceled) || img != nil || ctx.calls != n {
				t.Fatalf("interlaced %v, cancelled at check %d: %v after %d checks", il, n, err, ctx.calls)
			}
		}
	}
}

// TestConfig_DecodeBytes checks the estimate against what Decode really
// allocates (beyond its fixed inflater state), and that it is O(width)
// plus the reduced image.
func TestConfig_DecodeBytes(t *testing.T) {
	for _, s := range []spec{
		{w: 400, h: 200, colorType: RGB, depth: 8},
		{w: 400, h: 200, colorType: RGBA, depth: 16, interlaced: true},
		{w: 400, h: 200, colorType: Paletted, depth: 4},
	} {
		src := mkPNG(t, s)
		cfg, err := DecodeConfig(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{1, 2, 5} {
			var a, b runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&a)
			MustDecode(t, src, k)
			runtime.ReadMemStats(&b)
			got, est := int64(b.TotalAlloc-a.TotalAlloc), cfg.DecodeBytes(k)
			t.Logf("%s 1/%d: DecodeBytes %d, allocated %d", s, k, est, got)
			if got > est {
				t.Errorf("%s 1/%d: Decode allocated %d bytes, over its estimate %d", s, k, got, est)
			}
			out := int64(cfg.Width/k*cfg.Height/k) * 4
			if s.interlaced {
				out *= 5 // Adam7 revisits every block: one accumulator per output sample
			}
			if k > 1 && got > out+50*int64(cfg.Width)+inflateBytes {
				t.Errorf("%s 1/%d: Decode allocated %d bytes; the output is %d: not O(width) plus the output", s, k, got, out)
			}
		}
	}
}

func TestPremul16(t *testing.T) {
	for c := 0; c < 65536; c += 7 {
		for _, a := range []int{0, 1, 255, 256, 32767, 32768, 65534, 65535, c} {
			want := uint8((((c*a+32767)/65535)*255 + 32895) >> 16)
			if got := premul16(uint16(c), uint16(a)); got != want {
				t.Fatalf("premul16(%d, %d) = %d, want %d", c, a, got, want)
			}
		}
	}
}

// TestDecode_ycbcr checks Options.YCbCr: an opaque 8-bit RGB image reduced
// by k comes back as 4:2:0 Y'CbCr planes equal to the conversion of the
// RGBA it decodes to without the option (odd sizes: edge blocks, a last
// chroma row of one row); anything else comes back as without it.
func TestDecode_ycbcr(t *testing.T) {
	ctx := context.Background()
	for _, sz := range [][2]int{{101, 77}, {64, 48}} {
		src := mkPNG(t, spec{w: sz[0], h: sz[1], colorType: RGB, depth: 8, seed: 3})
		for _, k := range []int{2, 3} {
			plain, err := Decode(ctx, src, &Options{Reduce: k})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(ctx, src, &Options{Reduce: k, YCbCr: true})
			if err != nil {
				t.Fatal(err)
			}
			m, ok := got.(*image.YCbCr)
			if !ok || m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
				t.Fatalf("%v at 1/%d: %T, want 4:2:0 YCbCr", sz, k, got)
			}
			rgba := plain.(*image.RGBA)
			want := ycc.NewWriter(rgba.Rect.Dx(), rgba.Rect.Dy())
			for y := 0; y < rgba.Rect.Dy(); y++ {
				want.Row(rgba.Pix[y*rgba.Stride:], 4)
			}
			w := want.Image()
			if !bytes.Equal(m.Y, w.Y) || !bytes.Equal(m.Cb, w.Cb) || !bytes.Equal(m.Cr, w.Cr) {
				t.Errorf("%v at 1/%d: planes differ from the RGBA decode's conversion", sz, k)
			}
		}
	}
	for _, s := range []spec{{w: 40, h: 30, colorType: RGBA, depth: 8}, {w: 40, h: 30, colorType: RGB, depth: 16}, {w: 40, h: 30, colorType: RGB, depth: 8, interlaced: true}} {
		got, err := Decode(ctx, mkPNG(t, s), &Options{Reduce: 2, YCbCr: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got.(*image.YCbCr); ok {
			t.Errorf("%+v: YCbCr, want as without the option", s)
		}
	}
}
