package jpegdec

import "github.com/rampartdev/rampart/imaging/internal/exif"

// exifOrientation returns the orientation tag (0x0112) of IFD0 in an APP1
// Exif segment, parsed by the imaging packages' one EXIF reader.
func exifOrientation(seg []byte) (int, bool) {
	if len(seg) < len(exif.Prefix) || string(seg[:len(exif.Prefix)]) != exif.Prefix {
		return 0, false
	}
	return exif.Orientation(seg[len(exif.Prefix):])
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
