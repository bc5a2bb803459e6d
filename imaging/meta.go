package imaging

// meta is what a bounded scan of the container learns before any pixel is
// decoded. Every parser here treats its input as hostile: it checks each
// length against the bytes that are actually there and gives up quietly
// (leaving the verdict to the decoder) rather than guessing.
type meta struct {
	orientation int    // EXIF orientation 1..8; 1 when absent or invalid
	frames      int    // 1 for still images
	icc         []byte // the embedded ICC profile, nil when none
}

// scanMeta fills a meta for src of the given format. maxFrames bounds the GIF
// frame walk: it stops counting at maxFrames+1.
func scanMeta(format string, src []byte, maxFrames int) meta {
	m := meta{orientation: 1, frames: 1}
	switch format {
	case FormatGIF:
		m.frames = gifFrames(src, maxFrames)
	}
	return m
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
