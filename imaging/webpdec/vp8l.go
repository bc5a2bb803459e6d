package webpdec

import (
	"context"
	"math/bits"
)

// The lossless format (VP8L, RFC 9649 section 3): an LSB-first bit
// stream of prefix-coded ARGB pixels with LZ77 back references and a
// colour cache, under up to four transforms. The decoder streams: it keeps
// only the pixels a back reference can still reach (at most 2^20 and eight
// rows), undoes the transforms row by row, and hands each finished row to
// its consumer, checking the context between rows.

// lbits is VP8L's bit reader: bits come out least significant first.
// Reading past the end supplies zeros; eos reports that some were used.
type lbits struct {
	buf   []byte
	pos   int
	val   uint64 // the next nbits bits, the next one in bit 0
	nbits uint
	pad   uint // how many of nbits are zeros from past the end
}

func (br *lbits) fill() {
	for br.nbits <= 56 {
		var b byte
		if br.pos < len(br.buf) {
			b = br.buf[br.pos]
			br.pos++
		} else {
			br.pad += 8
		}
		br.val |= uint64(b) << br.nbits
		br.nbits += 8
	}
}

// read returns the next n bits (n <= 32).
func (br *lbits) read(n uint) uint32 {
	if br.nbits < n {
		br.fill()
	}
	v := uint32(br.val & (1<<n - 1))
	br.val >>= n
	br.nbits -= n
	return v
}

func (br *lbits) flag() bool { return br.read(1) == 1 }

// eos reports whether the reader has given out bits from past the end.
func (br *lbits) eos() bool { return br.pad > br.nbits }

// huffman is a canonical prefix code as lookup tables: the root is indexed
// by the next 8 bits; an entry is a symbol and its code length (in the low
// byte), or for longer codes (0x80 in the low byte, the sub-table's index
// bits below it) the index of a sub-table, indexed by the bits after the
// first 8, whose entries hold the full code length.
type huffman struct {
	tab []uint32
}

const huffRoot = 8

// readSymbol decodes one symbol.
func (br *lbits) readSymbol(h *huffman) int {
	if br.nbits < 15 {
		br.fill()
	}
	e := h.tab[br.val&(1<<huffRoot-1)]
	if e&0x80 != 0 {
		sub := e >> 8
		e = h.tab[sub+uint32(br.val>>huffRoot)&(1<<(e&0x7f)-1)]
	}
	n := uint(e & 0xff)
	br.val >>= n
	br.nbits -= n
	return int(e >> 8)
}

// buildHuffman makes the code whose symbol s has length lengths[s] (0 for
// none). The lengths must make a complete code, or give exactly one symbol
// a length, which then takes no bits to decode, as libwebp has it.
func buildHuffman(lengths []uint8) (huffman, error) {
	var count [16]int
	used, last := 0, 0
	for s, l := range lengths {
		if l > 15 {
			return huffman{}, FormatError("VP8L code length above 15")
		}
		if l > 0 {
			count[l]++
			used++
			last = s
		}
	}
	switch used {
	case 0:
		return huffman{}, FormatError("VP8L prefix code without symbols")
	case 1:
		tab := make([]uint32, 1<<huffRoot)
		for i := range tab {
			tab[i] = uint32(last) << 8
		}
		return huffman{tab}, nil
	}
	// Kraft: the code must be complete.
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return huffman{}, FormatError("VP8L prefix code is over-subscribed")
		}
	}
	if left != 0 {
		return huffman{}, FormatError("VP8L prefix code is incomplete")
	}
	// Canonical codes, shortest first, by symbol within a length.
	var next [16]int
	for l, c := 1, 0; l < 16; l++ {
		c = (c + count[l-1]) << 1
		next[l] = c
	}
	// Sub-table sizes: for each root index, the longest code under it.
	var subBits [1 << huffRoot]uint8
	codes := make([]uint16, len(lengths))
	for s, l := range lengths {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		rev := uint16(bits.Reverse16(uint16(c)) >> (16 - l))
		codes[s] = rev
		if l > huffRoot {
			r := rev & (1<<huffRoot - 1)
			subBits[r] = max(subBits[r], l-huffRoot)
		}
	}
	size := 1 << huffRoot
	var subStart [1 << huffRoot]int
	for r, b := range subBits {
		if b > 0 {
			subStart[r] = size
			size += 1 << b
		}
	}
	tab := make([]uint32, size)
	for r, b := range subBits {
		if b > 0 {
			tab[r] = uint32(subStart[r])<<8 | 0x80 | uint32(b)
		}
	}
	for s, l := range lengths {
		if l == 0 {
			continue
		}
		rev := int(codes[s])
		e := uint32(s)<<8 | uint32(l)
		if l <= huffRoot {
			for i := rev; i < 1<<huffRoot; i += 1 << l {
				tab[i] = e
			}
			continue
		}
		r := rev & (1<<huffRoot - 1)
		b := int(subBits[r])
		for i := rev >> huffRoot; i < 1<<b; i += 1 << (l - huffRoot) {
			tab[subStart[r]+i] = e
		}
	}
	return huffman{tab}, nil
}

// codeLengthOrder is the order in which the lengths of the code-length
// code are stored.
var codeLengthOrder = [19]uint8{17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// readCode reads a prefix code over an alphabet of size symbols (RFC 9649
// section 3.7.2.1).
func (br *lbits) readCode(size int, scratch []uint8) (huffman, error) {
	lengths := scratch[:size]
	clear(lengths)
	if br.flag() { // simple: one or two symbols of 1 or 8 bits
		n := 1 + br.read(1)
		first := br.read(uint(1 + 7*br.read(1)))
		if int(first) >= size {
			return huffman{}, FormatError("VP8L simple code symbol outside the alphabet")
		}
		lengths[first] = 1
		if n == 2 {
			second := br.read(8)
			if int(second) >= size {
				return huffman{}, FormatError("VP8L simple code symbol outside the alphabet")
			}
			lengths[second] = 1
		}
		return buildHuffman(lengths)
	}
	var clen [19]uint8
	n := 4 + br.read(4)
	for i := range n {
		clen[codeLengthOrder[i]] = uint8(br.read(3))
	}
	lc, err := buildHuffman(clen[:])
	if err != nil {
		return huffman{}, err
	}
	maxSymbol := size
	if br.flag() {
		maxSymbol = 2 + int(br.read(2+2*uint(br.read(3))))
		if maxSymbol > size {
			return huffman{}, FormatError("VP8L code length count beyond the alphabet")
		}
	}
	prev := uint8(8)
	for s := 0; s < size && maxSymbol > 0; maxSymbol-- {
		l := br.readSymbol(&lc)
		if l < 16 {
			lengths[s] = uint8(l)
			if l != 0 {
				prev = uint8(l)
			}
			s++
			continue
		}
		var rep int
		v := uint8(0)
		switch l {
		case 16:
			rep, v = 3+int(br.read(2)), prev
		case 17:
			rep = 3 + int(br.read(3))
		default:
			rep = 11 + int(br.read(7))
		}
		if s+rep > size {
			return huffman{}, FormatError("VP8L code lengths run past the alphabet")
		}
		for range rep {
			lengths[s] = v
			s++
		}
	}
	if br.eos() {
		return huffman{}, truncatedError("VP8L prefix code is cut short")
	}
	return buildHuffman(lengths)
}

// group is the five prefix codes one region of the image uses.
type group [5]huffman

// trivialARB returns, when the group's red, blue and alpha codes each
// have a single symbol (which takes no bits), the alpha, red and blue of
// every literal it decodes, so that a literal reads only its green
// (libwebp's is_trivial_literal); otherwise notTrivial.
func (g *group) trivialARB() uint32 {
	if g[1].tab[0]&0xff != 0 || g[2].tab[0]&0xff != 0 || g[3].tab[0]&0xff != 0 {
		return notTrivial
	}
	return g[3].tab[0]>>8<<24 | g[1].tab[0]>>8<<16 | g[2].tab[0]>>8
}

// notTrivial is no ARB value: its green bits are set.
const notTrivial = 0xff00

const (
	numLiterals = 256
	numLengths  = 24
	numDists    = 40
	// maxGroups bounds the prefix code groups an image may use: libwebp's
	// encoder makes at most 2600 (MAX_HUFF_IMAGE_SIZE), and each costs a
	// few KB of tables.
	maxGroups = 2600
)

// stream is one entropy-coded image being decoded: its codes, colour cache
// and the window of decoded pixels back references read from.
type stream struct {
	br         *lbits
	w, h       int
	groups     []group
	groupOf    []uint32 // meta codes per tile (level 0), nil for one group
	groupBits  uint
	groupTiles int      // tiles a row
	arb        []uint32 // per group: trivialARB
	cache      []uint32
	cacheShift uint
}

// readStream reads the header of an entropy-coded image of w×h (RFC 9649
// section 3.7.2): colour cache, and for the main image (level0) the meta
// prefix codes, then the codes.
func readStream(ctx context.Context, br *lbits, w, h int, level0 bool) (*stream, error) {
	s := &stream{br: br, w: w, h: h}
	cacheBits := uint(0)
	if br.flag() {
		cacheBits = uint(br.read(4))
		if cacheBits < 1 || cacheBits > 11 {
			return nil, FormatError("VP8L colour cache size is invalid")
		}
		s.cache = make([]uint32, 1<<cacheBits)
		s.cacheShift = 32 - cacheBits
	}
	numGroups := 1
	var remap []int32 // meta code → group, -1 when no tile uses it
	if level0 && br.flag() {
		s.groupBits = uint(br.read(3)) + 2
		tw, th := subSize(w, s.groupBits), subSize(h, s.groupBits)
		img, err := readSubImage(ctx, br, tw, th)
		if err != nil {
			return nil, err
		}
		maxCode := uint32(0)
		for i, p := range img {
			img[i] = p >> 8 & 0xffff
			maxCode = max(maxCode, img[i])
		}
		// Only the codes some tile uses are kept (the others are read
		// and dropped), as libwebp does.
		remap = make([]int32, maxCode+1)
		for i := range remap {
			remap[i] = -1
		}
		numGroups = 0
		for i, c := range img {
			if remap[c] < 0 {
				if numGroups == maxGroups {
					return nil, UnsupportedError("VP8L image uses more than 2600 prefix code groups")
				}
				remap[c] = int32(numGroups)
				numGroups++
			}
			img[i] = uint32(remap[c])
		}
		s.groupOf, s.groupTiles = img, tw
	}
	s.groups = make([]group, numGroups)
	sizes := [5]int{numLiterals + numLengths + len(s.cache), numLiterals, numLiterals, numLiterals, numDists}
	scratch := make([]uint8, sizes[0])
	total := numGroups
	if remap != nil {
		total = len(remap)
	}
	s.arb = make([]uint32, numGroups)
	for i := range total {
		var g group
		for k, size := range sizes {
			c, err := br.readCode(size, scratch)
			if err != nil {
				return nil, err
			}
			g[k] = c
		}
		if remap == nil {
			s.groups[i] = g
		} else if j := remap[i]; j >= 0 {
			s.groups[j] = g
		}
		if i&63 == 63 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	for i := range s.groups {
		s.arb[i] = s.groups[i].trivialARB()
	}
	return s, nil
}

func subSize(n int, bits uint) int { return (n + 1<<bits - 1) >> bits }

// readSubImage decodes a whole small entropy-coded image (transform data,
// meta codes, colour table), which has one prefix code group.
func readSubImage(ctx context.Context, br *lbits, w, h int) ([]uint32, error) {
	s, err := readStream(ctx, br, w, h, false)
	if err != nil {
		return nil, err
	}
	pix := make([]uint32, w*h)
	if err := s.decode(ctx, pix, -1, nil); err != nil {
		return nil, err
	}
	return pix, nil
}

// decode decodes the image's pixels in order into ring, at index pos&mask
// for the pos-th pixel: ring holds the whole image (mask its length less
// one or more), or is a power of two longer than any back reference plus
// the longest copy and two rows, so a finished row is still whole when row
// is called with its first pixel's index (after each row, in order).
func (s *stream) decode(ctx context.Context, ring []uint32, mask int, row func(y, start int) error) error {
	br := s.br
	total := s.w * s.h
	x, y := 0, 0
	g, arb := &s.groups[0], s.arb[0]
	lookup, copied := s.groupOf != nil, false
	tileMask := 1<<s.groupBits - 1
	cached := 0 // pixels before this one are in the colour cache
	for pos := 0; pos < total; {
		if lookup {
			i := s.groupOf[(y>>s.groupBits)*s.groupTiles+x>>s.groupBits]
			g, arb = &s.groups[i], s.arb[i]
		}
		sym := br.readSymbol(&g[0])
		switch {
		case sym < numLiterals && arb != notTrivial:
			ring[pos&mask] = arb | uint32(sym)<<8
			pos++
			x++
		case sym < numLiterals:
			r := br.readSymbol(&g[1])
			b := br.readSymbol(&g[2])
			a := br.readSymbol(&g[3])
			ring[pos&mask] = uint32(a)<<24 | uint32(r)<<16 | uint32(sym)<<8 | uint32(b)
			pos++
			x++
		case sym < numLiterals+numLengths:
			length := s.prefixValue(sym - numLiterals)
			dist := planeDistance(s.w, s.prefixValue(br.readSymbol(&g[4])))
			if dist > pos || length > total-pos {
				return FormatError("VP8L back reference outside the image")
			}
			for k := range length {
				ring[(pos+k)&mask] = ring[(pos+k-dist)&mask]
			}
			pos += length
			x += length
			copied = true
		default:
			k := sym - numLiterals - numLengths
			if k >= len(s.cache) {
				return FormatError("VP8L colour cache index out of range")
			}
			ring[pos&mask] = s.cache[k]
			pos++
			x++
		}
		if s.cache != nil { // every pixel goes in, in order
			for ; cached < pos; cached++ {
				p := ring[cached&mask]
				s.cache[(p*0x1e35a7bd)>>s.cacheShift] = p
			}
		}
		for x >= s.w {
			x -= s.w
			if row != nil {
				if err := row(y, (y*s.w)&mask); err != nil {
					return err
				}
			}
			y++
			if y&15 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		if br.eos() {
			return truncatedError("VP8L pixels are cut short")
		}
		// A new tile, or after a copy anywhere: the codes may change.
		lookup = s.groupOf != nil && (copied || x&tileMask == 0)
		copied = false
	}
	return nil
}

// ringSize is the length of a window that serves every back reference in
// an image w pixels wide: the farthest (2^20 less 120, or 7 rows and 8
// pixels), the longest copy (4096) and two rows, as a power of two.
func ringSize(w int) int {
	need := max(1<<20-120, 7*w+8) + 4096 + 2*w
	return 1 << bits.Len(uint(need))
}

// prefixValue reads an LZ77 length or distance given its prefix symbol
// (RFC 9649 section 3.7.2.2).
func (s *stream) prefixValue(sym int) int {
	if sym < 4 {
		return sym + 1
	}
	extra := uint(sym-2) >> 1
	offset := (2 + sym&1) << extra
	return offset + int(s.br.read(extra)) + 1
}

// planeDistance maps a distance code to a distance in pixels: the first
// 120 codes are neighbours in two dimensions (RFC 9649 section 4.2.2).
func planeDistance(w, code int) int {
	if code > len(planeCodes) {
		return code - len(planeCodes)
	}
	c := int(planeCodes[code-1])
	d := (c>>4)*w + 8 - c&0xf
	return max(d, 1)
}

// planeCodes are the (dy, 8-dx) pairs of the first 120 distance codes.
var planeCodes = [120]uint8{
	0x18, 0x07, 0x17, 0x19, 0x28, 0x06, 0x27, 0x29, 0x16, 0x1a,
	0x26, 0x2a, 0x38, 0x05, 0x37, 0x39, 0x15, 0x1b, 0x36, 0x3a,
	0x25, 0x2b, 0x48, 0x04, 0x47, 0x49, 0x14, 0x1c, 0x35, 0x3b,
	0x46, 0x4a, 0x24, 0x2c, 0x58, 0x45, 0x4b, 0x34, 0x3c, 0x03,
	0x57, 0x59, 0x13, 0x1d, 0x56, 0x5a, 0x23, 0x2d, 0x44, 0x4c,
	0x55, 0x5b, 0x33, 0x3d, 0x68, 0x02, 0x67, 0x69, 0x12, 0x1e,
	0x66, 0x6a, 0x22, 0x2e, 0x54, 0x5c, 0x43, 0x4d, 0x65, 0x6b,
	0x32, 0x3e, 0x78, 0x01, 0x77, 0x79, 0x53, 0x5d, 0x11, 0x1f,
	0x64, 0x6c, 0x42, 0x4e, 0x76, 0x7a, 0x21, 0x2f, 0x75, 0x7b,
	0x31, 0x3f, 0x63, 0x6d, 0x52, 0x5e, 0x00, 0x74, 0x7c, 0x41,
	0x4f, 0x10, 0x20, 0x62, 0x6e, 0x30, 0x73, 0x7d, 0x51, 0x5f,
	0x40, 0x72, 0x7e, 0x61, 0x6f, 0x50, 0x71, 0x7f, 0x60, 0x70,
}
