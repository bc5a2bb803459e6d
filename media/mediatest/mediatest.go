// Package mediatest holds test helpers shared by the media service's tests.
package mediatest

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// MustJPEG encodes a w×h gradient tinted by shade as a baseline JPEG
// (quality 85). Different shades give different bytes.
func MustJPEG(tb testing.TB, w, h int, shade uint8) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), shade, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// MustHostilePNG writes the kind of PNG that costs far more to decode than
// it weighs: w×h 16-bit RGBA (8 bytes per pixel once decoded), whose first
// row is a gradient and every other row repeats it (PNG's Up filter with
// zero differences), so 7000×7000 (392 MB of pixels) is about 600 KB. The
// zlib stream is assembled without compressing 392 MB: the first row as a
// stored block, then one compressed Up row (its own matches only, ended by
// a sync flush) repeated h-1 times, then an empty final block; the
// Adler-32 is combined arithmetically.
func MustHostilePNG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		out.Write(n[:])
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.BigEndian.PutUint32(n[:], c.Sum32())
		out.Write(n[:])
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	chunk("IHDR", append(ihdr, 16, 6, 0, 0, 0))

	first := make([]byte, 1+8*w) // filter None, then the gradient
	for x := 0; x < w; x++ {
		binary.BigEndian.PutUint16(first[1+8*x:], uint16(x*65535/max(w-1, 1)))
		binary.BigEndian.PutUint16(first[3+8*x:], 0x8000)
		binary.BigEndian.PutUint16(first[5+8*x:], uint16(65535-x*65535/max(w-1, 1)))
		binary.BigEndian.PutUint16(first[7+8*x:], 0xffff)
	}
	if len(first) > 0xffff {
		tb.Fatalf("MustHostilePNG: rows of %d bytes do not fit a stored block", len(first))
	}
	up := make([]byte, 1+8*w)
	up[0] = 2
	var row bytes.Buffer
	fw, _ := flate.NewWriter(&row, flate.BestSpeed)
	fw.Write(up)
	fw.Flush()

	z := []byte{0x78, 0x01}
	z = append(z, 0, byte(len(first)), byte(len(first)>>8), ^byte(len(first)), ^byte(len(first)>>8))
	z = append(z, first...)
	for y := 1; y < h; y++ {
		z = append(z, row.Bytes()...)
	}
	z = append(z, 0x03, 0x00) // final block: fixed Huffman, just end-of-block
	sum := adler32.Checksum(first)
	upSum := adler32.Checksum(up)
	for y := 1; y < h; y++ {
		sum = adlerCombine(sum, upSum, len(up))
	}
	z = binary.BigEndian.AppendUint32(z, sum)
	chunk("IDAT", z)
	chunk("IEND", nil)
	return out.Bytes()
}

// adlerCombine is the Adler-32 of A followed by B from their checksums and
// B's length (zlib's adler32_combine).
func adlerCombine(a, b uint32, n int) uint32 {
	const mod = 65521
	rem := uint32(n % mod)
	s1 := a & 0xffff
	s2 := (rem * s1) % mod
	s1 += (b & 0xffff) + mod - 1
	s2 += (a >> 16) + (b >> 16) + mod - rem
	if s1 >= mod {
		s1 -= mod
	}
	if s1 >= mod {
		s1 -= mod
	}
	if s2 >= mod<<1 {
		s2 -= mod << 1
	}
	if s2 >= mod {
		s2 -= mod
	}
	return s2<<16 | s1
}
