package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
)

// meta is what a bounded scan of the container learns before any pixel is
// decoded. Every parser here treats its input as hostile: it checks each
// length against the bytes that are actually there and gives up quietly
// (leaving the verdict to the decoder) rather than guessing.
type meta struct {
	orientation int    // EXIF orientation 1..8; 1 when absent or invalid
	frames      int    // 1 for still images
	icc         []byte // the embedded ICC profile, nil when none
	srgbChunk   bool   // PNG sRGB chunk: the image declares sRGB
	animated    bool   // WebP animation flag (not supported)
}

// maxICC bounds the ICC profile we assemble or inflate (real profiles are a
// few KB; big CMYK ones reach ~1 MB).
const maxICC = 4 << 20

// scanMeta fills a meta for src of the given format. maxFrames bounds the GIF
// frame walk: it stops counting at maxFrames+1.
func scanMeta(format string, src []byte, maxFrames int) meta {
	m := meta{orientation: 1, frames: 1}
	switch format {
	case FormatJPEG:
		scanJPEG(src, &m)
	case FormatPNG:
		scanPNG(src, &m)
	case FormatGIF:
		m.frames = gifFrames(src, maxFrames)
	case FormatWebP:
		scanWebP(src, &m)
	}
	return m
}

// scanJPEG walks the marker segments up to the first scan (SOS) and picks up
// the EXIF orientation (APP1) and the ICC profile (APP2, possibly split over
// several segments).
func scanJPEG(b []byte, m *meta) {
	type chunk struct{ data []byte }
	var iccChunks []chunk
	iccCount := 0
	exifSeen := false
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			break // lost sync: the decoder will judge
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD8, marker == 0x01, marker >= 0xD0 && marker <= 0xD7: // no length
			i += 2
			continue
		case marker == 0xDA, marker == 0xD9: // start of scan, end of image
			i = len(b)
			continue
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			break
		}
		seg := b[i+4 : i+2+n]
		switch marker {
		case 0xE1: // APP1: EXIF (the first one wins, as in libexif)
			if !exifSeen && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
				exifSeen = true
				m.orientation = exifOrientation(seg[6:])
			}
		case 0xE2: // APP2: ICC_PROFILE, seq (1-based), count, data
			if len(seg) >= 14 && bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00")) {
				seq, count := int(seg[12]), int(seg[13])
				if count == 0 || seq == 0 || seq > count || (iccCount != 0 && count != iccCount) {
					break
				}
				if iccChunks == nil {
					iccCount = count
					iccChunks = make([]chunk, count)
				}
				iccChunks[seq-1].data = seg[14:]
			}
		}
		i += 2 + n
	}
	if iccChunks == nil {
		return
	}
	var p []byte
	for _, c := range iccChunks {
		if c.data == nil || len(p)+len(c.data) > maxICC {
			return // incomplete or oversized: ignore the profile
		}
		p = append(p, c.data...)
	}
	m.icc = p
}

// exifOrientation reads tag 0x0112 (Orientation) from IFD0 of a TIFF-structured
// EXIF block. It returns 1 (normal) for anything missing or out of range.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > int64(len(t)) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	p := int(off) + 2
	for k := 0; k < n && p+12 <= len(t); k, p = k+1, p+12 {
		if bo.Uint16(t[p:]) != 0x0112 {
			continue
		}
		var v int
		switch bo.Uint16(t[p+2:]) {
		case 3: // SHORT
			v = int(bo.Uint16(t[p+8:]))
		case 4: // LONG, written by a few tools
			v = int(bo.Uint32(t[p+8:]))
		}
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}

// scanPNG walks the chunks before the image data for eXIf (orientation),
// iCCP (profile), sRGB and acTL (APNG frame count; the decoder shows the
// default image, the first frame).
func scanPNG(b []byte, m *meta) {
	for i := 8; i+12 <= len(b); {
		n := int64(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n > int64(len(b)-i-12) {
			return
		}
		data := b[i+8 : i+8+int(n)]
		switch typ {
		case "IDAT", "IEND":
			return
		case "eXIf":
			m.orientation = exifOrientation(data)
		case "sRGB":
			m.srgbChunk = true
		case "acTL":
			if len(data) >= 4 {
				if f := binary.BigEndian.Uint32(data); f >= 1 && f < 1<<30 {
					m.frames = int(f)
				}
			}
		case "iCCP":
			// profile name (1-79 bytes), NUL, compression method 0, zlib stream.
			if k := bytes.IndexByte(data, 0); k > 0 && k+2 <= len(data) {
				if zr, err := zlib.NewReader(bytes.NewReader(data[k+2:])); err == nil {
					p, err := io.ReadAll(io.LimitReader(zr, maxICC+1))
					if err == nil && len(p) <= maxICC {
						m.icc = p
					}
				}
			}
		}
		i += 12 + int(n)
	}
}

// gifFrames counts the image descriptors of a GIF without decompressing
// them, stopping at limit+1. A truncated file yields the frames seen so far.
func gifFrames(b []byte, limit int) int {
	if len(b) < 13 {
		return 0
	}
	i := 13
	if packed := b[10]; packed&0x80 != 0 {
		i += 3 << ((packed & 7) + 1)
	}
	skipSubBlocks := func(i int) int {
		for i < len(b) {
			sz := int(b[i])
			i++
			if sz == 0 {
				return i
			}
			i += sz
		}
		return len(b)
	}
	n := 0
	for i < len(b) {
		switch b[i] {
		case 0x21: // extension: introducer, label, sub-blocks
			i = skipSubBlocks(i + 2)
		case 0x2C: // image descriptor: 9 bytes, optional local table, LZW code size, sub-blocks
			n++
			if n > limit || i+10 > len(b) {
				return n
			}
			packed := b[i+9]
			i += 10
			if packed&0x80 != 0 {
				i += 3 << ((packed & 7) + 1)
			}
			i = skipSubBlocks(i + 1)
		default: // trailer (0x3B) or garbage
			return n
		}
	}
	return n
}

// scanWebP walks the RIFF chunks for the VP8X flags (animation), EXIF
// (orientation) and ICCP (profile).
func scanWebP(b []byte, m *meta) {
	for i := 12; i+8 <= len(b); {
		typ := string(b[i : i+4])
		n := int64(binary.LittleEndian.Uint32(b[i+4:]))
		if n > int64(len(b)-i-8) {
			return
		}
		data := b[i+8 : i+8+int(n)]
		switch typ {
		case "VP8X":
			if len(data) >= 1 && data[0]&0x02 != 0 {
				m.animated = true
			}
		case "EXIF":
			// Some writers keep JPEG's "Exif\0\0" prefix here.
			m.orientation = exifOrientation(bytes.TrimPrefix(data, []byte("Exif\x00\x00")))
		case "ICCP":
			if len(data) <= maxICC {
				m.icc = data
			}
		}
		i += 8 + int(n) + int(n&1)
	}
}
