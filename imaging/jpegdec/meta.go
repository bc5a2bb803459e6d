package jpegdec

import "encoding/binary"

// exifOrientation returns the orientation tag (0x0112) of IFD0 in an APP1
// Exif segment. Every offset is checked against the segment, which may be
// hostile.
func exifOrientation(seg []byte) (int, bool) {
	if len(seg) < 6 || string(seg[:6]) != "Exif\x00\x00" {
		return 0, false
	}
	t := seg[6:] // the TIFF structure; offsets are relative to it
	if len(t) < 8 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, false
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0, false
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd+2 > int64(len(t)) {
		return 0, false
	}
	n := int64(bo.Uint16(t[ifd:]))
	for i := int64(0); i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 0, false
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// SHORT (3), count 1: the value sits in the first two bytes of
		// the value field.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return 0, false
		}
		o := int(bo.Uint16(t[e+8:]))
		if o < 1 || o > 8 {
			return 0, false
		}
		return o, true
	}
	return 0, false
}

// iccChunks collects the APP2 ICC_PROFILE segments, which carry a profile
// in numbered chunks (ICC.1, Annex B.4).
type iccChunks struct {
	total  int
	chunks [][]byte // by sequence number - 1
	bad    bool
}

const iccTag = "ICC_PROFILE\x00"

func (c *iccChunks) add(seg []byte) {
	if len(seg) < len(iccTag)+2 || string(seg[:len(iccTag)]) != iccTag {
		return
	}
	seq, total := int(seg[len(iccTag)]), int(seg[len(iccTag)+1])
	switch {
	case c.bad:
		return
	case total == 0 || seq == 0 || seq > total, c.total != 0 && total != c.total:
		c.bad = true
		return
	}
	if c.chunks == nil {
		c.total = total
		c.chunks = make([][]byte, total)
	}
	if c.chunks[seq-1] != nil {
		c.bad = true
		return
	}
	c.chunks[seq-1] = seg[len(iccTag)+2:]
}

// profile returns the reassembled profile, or nil if chunks are missing or
// inconsistent.
func (c *iccChunks) profile() []byte {
	if c.bad || c.chunks == nil {
		return nil
	}
	n := 0
	for _, ch := range c.chunks {
		if ch == nil {
			return nil
		}
		n += len(ch)
	}
	p := make([]byte, 0, n)
	for _, ch := range c.chunks {
		p = append(p, ch...)
	}
	return p
}
