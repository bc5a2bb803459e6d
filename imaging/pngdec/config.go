package pngdec

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"io"

	"github.com/rampartdev/rampart/imaging/internal/exif"
)

// Signature is the eight bytes every PNG starts with.
const Signature = "\x89PNG\r\n\x1a\n"

// Colour types (PNG 11.2.2).
const (
	Gray      = 0
	RGB       = 2
	Paletted  = 3
	GrayAlpha = 4
	RGBA      = 6
)

// maxICC bounds the ICC profile we inflate (real profiles are a few KB;
// big CMYK ones reach ~1 MB).
const maxICC = 4 << 20

// Config is what the chunks before the image data say, read without
// decoding any pixel.
type Config struct {
	image.Config // stored size; ColorModel is color.GrayModel or color.RGBAModel, what Decode returns
	// ColorType and BitDepth are the IHDR fields (see the constants).
	ColorType, BitDepth int
	// Interlaced reports Adam7 interlacing.
	Interlaced bool
	// Transparent reports a tRNS chunk (or a colour type with alpha).
	Transparent bool
	// Frames is the frame count of an APNG's acTL chunk (the first frame is
	// the default image Decode returns), 1 for a plain PNG. It is the
	// chunk's 32-bit value, unchecked: compare it as a uint32.
	Frames uint32
	// Orientation is the EXIF orientation of an eXIf chunk, 1 to 8; 1 when
	// absent or invalid.
	Orientation int
	// ICC is the inflated profile of an iCCP chunk, nil when there is none
	// or it does not inflate.
	ICC []byte
	// SRGB reports an sRGB chunk.
	SRGB bool
	// Gamma is the gAMA chunk's value (gamma × 100000), 0 when absent.
	Gamma uint32

	palette [256][4]uint8 // PLTE with tRNS alpha, premultiplied; opaque black beyond PLTE
	trns    [6]byte       // tRNS for grey and RGB: the transparent sample values
	hasTRNS bool
	data    int // offset of the first IDAT chunk
}

// bitsPerPixel is the stored size of one pixel.
func (c *Config) bitsPerPixel() int {
	switch c.ColorType {
	case RGB:
		return 3 * c.BitDepth
	case GrayAlpha:
		return 2 * c.BitDepth
	case RGBA:
		return 4 * c.BitDepth
	}
	return c.BitDepth
}

// rowBytes is the size of a filtered row of w pixels without its filter
// byte.
func (c *Config) rowBytes(w int) int { return (w*c.bitsPerPixel() + 7) / 8 }

// gray reports whether Decode returns *image.Gray: a grey image without
// transparency.
func (c *Config) gray() bool { return c.ColorType == Gray && !c.hasTRNS }

// chunk is one chunk of a PNG: its type and data, and where the next one
// starts.
type chunk struct {
	typ  string
	data []byte
	next int
}

// readChunk reads the chunk at offset i of src and checks its CRC.
func readChunk(src []byte, i int) (chunk, error) {
	if i+8 > len(src) {
		return chunk{}, truncatedError("chunk header")
	}
	n := binary.BigEndian.Uint32(src[i:])
	if n > 0x7fffffff {
		return chunk{}, FormatError("bad chunk length")
	}
	end := int64(i) + 12 + int64(n)
	if end > int64(len(src)) {
		return chunk{}, truncatedError("chunk " + printable(src[i+4:i+8]))
	}
	typ := src[i+4 : i+8]
	data := src[i+8 : i+8+int(n)]
	if crc32.ChecksumIEEE(src[i+4:i+8+int(n)]) != binary.BigEndian.Uint32(src[i+8+int(n):]) {
		return chunk{}, FormatError("invalid checksum in chunk " + printable(typ))
	}
	return chunk{typ: string(typ), data: data, next: int(end)}, nil
}

// printable quotes a chunk type, replacing bytes that are not letters, so a
// hostile file cannot put control characters into an error message.
func printable(b []byte) string {
	out := []byte{'"'}
	for _, c := range b {
		if c < 'A' || c > 'z' || (c > 'Z' && c < 'a') {
			c = '.'
		}
		out = append(out, c)
	}
	return string(append(out, '"'))
}

// DecodeConfig reads the chunks of the PNG in src up to its first image
// data chunk (IDAT): the header, the palette and transparency, and the
// metadata a thumbnailer needs (APNG frame count, EXIF orientation, ICC
// profile, sRGB and gamma). It checks no pixel limit: compare the size with
// your own.
func DecodeConfig(src []byte) (Config, error) {
	var c Config
	if len(src) < len(Signature) {
		if !bytes.HasPrefix([]byte(Signature), src) {
			return c, FormatError("bad signature")
		}
		return c, truncatedError("signature")
	}
	if string(src[:8]) != Signature {
		if bytes.Equal(src[:4], []byte(Signature[:4])) {
			// CRLF or LF conversion by a text-mode transfer damages the
			// last four bytes, which is what they are there to detect.
			return c, FormatError("bad signature (mangled by a text-mode transfer?)")
		}
		return c, FormatError("bad signature")
	}
	c.Orientation, c.Frames = 1, 1
	seenPLTE, seenTRNS := false, false
	for i, first := 8, true; ; first = false {
		ch, err := readChunk(src, i)
		if err != nil {
			return Config{}, err
		}
		if first != (ch.typ == "IHDR") {
			return Config{}, FormatError("IHDR is not the first chunk")
		}
		switch ch.typ {
		case "IHDR":
			if err := c.parseIHDR(ch.data); err != nil {
				return Config{}, err
			}
		case "PLTE":
			if seenPLTE || seenTRNS {
				return Config{}, FormatError("chunk out of order: PLTE")
			}
			seenPLTE = true
			if err := c.parsePLTE(ch.data); err != nil {
				return Config{}, err
			}
		case "tRNS":
			if seenTRNS || c.ColorType == Paletted && !seenPLTE {
				return Config{}, FormatError("chunk out of order: tRNS")
			}
			seenTRNS = true
			if err := c.parseTRNS(ch.data); err != nil {
				return Config{}, err
			}
		case "IDAT":
			if c.ColorType == Paletted && !seenPLTE {
				return Config{}, FormatError("paletted image without PLTE")
			}
			c.data = i
			c.Transparent = c.hasTRNS || c.ColorType == GrayAlpha || c.ColorType == RGBA
			c.ColorModel = color.RGBAModel
			if c.gray() {
				c.ColorModel = color.GrayModel
			}
			return c, nil
		case "IEND":
			return Config{}, FormatError("no image data")
		case "acTL":
			if len(ch.data) >= 4 {
				c.Frames = binary.BigEndian.Uint32(ch.data)
			}
		case "eXIf":
			if o, ok := exif.Orientation(ch.data); ok {
				c.Orientation = o
			}
		case "sRGB":
			c.SRGB = true
		case "gAMA":
			if len(ch.data) == 4 {
				c.Gamma = binary.BigEndian.Uint32(ch.data)
			}
		case "iCCP":
			c.ICC = inflateICC(ch.data)
		}
		i = ch.next
	}
}

// inflateICC reads an iCCP chunk: profile name (1-79 bytes), NUL,
// compression method 0, zlib stream. A damaged profile is ignored (nil),
// as libpng does, rather than failing the image.
func inflateICC(data []byte) []byte {
	k := bytes.IndexByte(data, 0)
	if k <= 0 || k+2 > len(data) || data[k+1] != 0 {
		return nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(data[k+2:]))
	if err != nil {
		return nil
	}
	p, err := io.ReadAll(io.LimitReader(zr, maxICC+1))
	if err != nil || len(p) > maxICC {
		return nil
	}
	return p
}

func (c *Config) parseIHDR(b []byte) error {
	if len(b) != 13 {
		return FormatError("bad IHDR length")
	}
	w, h := binary.BigEndian.Uint32(b[0:]), binary.BigEndian.Uint32(b[4:])
	if w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff {
		return FormatError("invalid dimensions")
	}
	c.Width, c.Height = int(w), int(h)
	c.BitDepth, c.ColorType = int(b[8]), int(b[9])
	valid := false
	switch c.ColorType {
	case Gray:
		valid = c.BitDepth == 1 || c.BitDepth == 2 || c.BitDepth == 4 || c.BitDepth == 8 || c.BitDepth == 16
	case Paletted:
		valid = c.BitDepth == 1 || c.BitDepth == 2 || c.BitDepth == 4 || c.BitDepth == 8
	case RGB, GrayAlpha, RGBA:
		valid = c.BitDepth == 8 || c.BitDepth == 16
	default:
		return FormatError("invalid colour type " + itoa(c.ColorType))
	}
	if !valid {
		return FormatError("invalid bit depth " + itoa(c.BitDepth) + " for colour type " + itoa(c.ColorType))
	}
	switch {
	case b[10] != 0:
		return FormatError("invalid compression method")
	case b[11] != 0:
		return FormatError("invalid filter method")
	case b[12] > 1:
		return FormatError("invalid interlace method")
	}
	c.Interlaced = b[12] == 1
	for i := range c.palette {
		c.palette[i] = [4]uint8{0, 0, 0, 255} // out-of-range indices: opaque black, as libpng and image/png
	}
	return nil
}

func (c *Config) parsePLTE(b []byte) error {
	np := len(b) / 3
	switch {
	case c.ColorType == Gray || c.ColorType == GrayAlpha:
		return FormatError("PLTE in a greyscale image")
	case c.ColorType != Paletted:
		return nil // a suggested palette for true colour: ignored
	case len(b)%3 != 0 || np == 0 || np > 256 || np > 1<<c.BitDepth:
		return FormatError("bad PLTE length")
	}
	for i := 0; i < np; i++ {
		c.palette[i] = [4]uint8{b[3*i], b[3*i+1], b[3*i+2], 255}
	}
	return nil
}

func (c *Config) parseTRNS(b []byte) error {
	switch c.ColorType {
	case Gray:
		if len(b) != 2 {
			return FormatError("bad tRNS length")
		}
	case RGB:
		if len(b) != 6 {
			return FormatError("bad tRNS length")
		}
	case Paletted:
		if len(b) > 256 {
			return FormatError("bad tRNS length")
		}
		for i, a := range b {
			p := &c.palette[i]
			p[0], p[1], p[2], p[3] = mul8(p[0], a), mul8(p[1], a), mul8(p[2], a), a
		}
		c.hasTRNS = true
		return nil
	default:
		return FormatError("tRNS in an image with an alpha channel")
	}
	copy(c.trns[:], b)
	c.hasTRNS = true
	return nil
}

// mul8 is c·a/255, rounded: premultiplying an 8-bit sample.
func mul8(c, a uint8) uint8 {
	x := uint32(c)*uint32(a) + 128
	return uint8((x + x>>8) >> 8)
}

func itoa(v int) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}
