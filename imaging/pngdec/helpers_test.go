package pngdec

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// spec describes a PNG for mkPNG to write, so the tests can make every
// kind the format has (image/png's encoder writes only a few).
type spec struct {
	w, h       int
	colorType  int
	depth      int
	interlaced bool
	trns       []byte // tRNS chunk data, nil for none
	paletteN   int    // PLTE entries for paletted images (default 1<<depth)
	chunk      int    // IDAT chunk size (default: one chunk)
	seed       uint64
}

func (s spec) channels() int {
	switch s.colorType {
	case RGB:
		return 3
	case GrayAlpha:
		return 2
	case RGBA:
		return 4
	}
	return 1
}

// appendChunk appends a chunk with its length and CRC.
func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// mkPNG writes the PNG described by s: random samples with smooth regions
// (so every filter matters), each row filtered with the next of the five
// filters in turn, the zlib stream split over IDAT chunks of s.chunk bytes.
func mkPNG(tb testing.TB, s spec) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(s.seed, 7))
	maxv := 1<<s.depth - 1
	nch := s.channels()
	bpp := max(1, nch*s.depth/8)
	pal := s.paletteN
	if s.colorType == Paletted && pal == 0 {
		pal = 1 << s.depth
	}
	sampleAt := func(x, y, c int) int {
		if s.colorType == Paletted {
			return (x*7 + y*3 + r.IntN(2)) % pal
		}
		v := (x*37 + y*11 + c*50) * (maxv + 1) / 256
		if r.IntN(4) == 0 {
			v = r.IntN(maxv + 1)
		}
		return v % (maxv + 1)
	}
	var raw []byte
	filter := 0
	passes := adam7[:]
	if !s.interlaced {
		passes = []struct{ x0, y0, dx, dy int }{{0, 0, 1, 1}}
	}
	for _, p := range passes {
		pw, ph := (s.w-p.x0+p.dx-1)/p.dx, (s.h-p.y0+p.dy-1)/p.dy
		if pw <= 0 || ph <= 0 {
			continue
		}
		n := (pw*nch*s.depth + 7) / 8
		prev := make([]byte, n)
		for py := 0; py < ph; py++ {
			row := make([]byte, n)
			for px := 0; px < pw; px++ {
				x, y := p.x0+px*p.dx, p.y0+py*p.dy
				for c := 0; c < nch; c++ {
					v := sampleAt(x, y, c)
					i := px*nch + c
					switch s.depth {
					case 16:
						binary.BigEndian.PutUint16(row[2*i:], uint16(v))
					case 8:
						row[i] = byte(v)
					default:
						per := 8 / s.depth
						row[i/per] |= byte(v) << uint(8-s.depth-(i%per)*s.depth)
					}
				}
			}
			raw = append(raw, byte(filter))
			raw = append(raw, filterRow(filter, row, prev, bpp)...)
			filter = (filter + 1) % 5
			prev = row
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()

	out := []byte(Signature)
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(s.w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(s.h))
	il := byte(0)
	if s.interlaced {
		il = 1
	}
	ihdr = append(ihdr, byte(s.depth), byte(s.colorType), 0, 0, il)
	out = appendChunk(out, "IHDR", ihdr)
	if s.colorType == Paletted {
		var plte []byte
		for i := 0; i < pal; i++ {
			plte = append(plte, byte(i*53), byte(255-i*29), byte(i*101))
		}
		out = appendChunk(out, "PLTE", plte)
	}
	if s.trns != nil {
		out = appendChunk(out, "tRNS", s.trns)
	}
	data := z.Bytes()
	size := s.chunk
	if size <= 0 {
		size = len(data)
	}
	for len(data) > 0 {
		n := min(size, len(data))
		out = appendChunk(out, "IDAT", data[:n])
		data = data[n:]
	}
	return appendChunk(out, "IEND", nil)
}

// filterRow applies filter ft to row (prev is the previous raw row).
func filterRow(ft int, row, prev []byte, bpp int) []byte {
	out := make([]byte, len(row))
	for i := range row {
		var a, b, c int
		if i >= bpp {
			a, c = int(row[i-bpp]), int(prev[i-bpp])
		}
		b = int(prev[i])
		var pred int
		switch ft {
		case 1:
			pred = a
		case 2:
			pred = b
		case 3:
			pred = (a + b) / 2
		case 4:
			p := a + b - c
			pa, pb, pc := abs(p-a), abs(p-b), abs(p-c)
			switch {
			case pa <= pb && pa <= pc:
				pred = a
			case pb <= pc:
				pred = b
			default:
				pred = c
			}
		}
		out[i] = row[i] - byte(pred)
	}
	return out
}

// MustDecode decodes src at reduction k.
func MustDecode(tb testing.TB, src []byte, k int) image.Image {
	tb.Helper()
	img, err := Decode(context.Background(), src, &Options{Reduce: k})
	if err != nil {
		tb.Fatalf("Decode 1/%d: %v", k, err)
	}
	return img
}

// rgba8 returns pixel (x, y) of img as premultiplied 8-bit RGBA, rounded.
func rgba8(img image.Image, x, y int) [4]int {
	r, g, b, a := img.At(x, y).RGBA()
	return [4]int{int((r + 128) / 257), int((g + 128) / 257), int((b + 128) / 257), int((a + 128) / 257)}
}

// compareWithStd checks Decode at full size against image/png: the same
// size, and every channel of every pixel within one level (rounding of
// 16-bit samples and of premultiplication differs by at most that).
func compareWithStd(tb testing.TB, src []byte) {
	tb.Helper()
	std, err := png.Decode(bytes.NewReader(src))
	if err != nil {
		tb.Fatalf("image/png: %v", err)
	}
	got := MustDecode(tb, src, 1)
	if got.Bounds() != std.Bounds() {
		tb.Fatalf("bounds %v, image/png %v", got.Bounds(), std.Bounds())
	}
	if d, x, y := maxDiff(got, std); d > 1 {
		tb.Fatalf("pixel (%d,%d): %v, image/png %v", x, y, rgba8(got, x, y), rgba8(std, x, y))
	}
}

// maxDiff is the largest channel difference between two same-size images
// and where it is.
func maxDiff(a, b image.Image) (d, px, py int) {
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p, q := rgba8(a, x, y), rgba8(b, x, y)
			for c := range p {
				if v := abs(p[c] - q[c]); v > d {
					d, px, py = v, x, y
				}
			}
		}
	}
	return d, px, py
}
