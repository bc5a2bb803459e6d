package pngdec

import (
	"encoding/binary"
	"io"
	"math/bits"
	"sync"
)

// inflater decodes a zlib stream (RFC 1950, 1951) whose bytes arrive in
// pieces (a PNG's IDAT chunks). It is written for speed on the decoder's
// hot path: a 64-bit bit buffer refilled eight bytes at a time, two-level
// Huffman tables that resolve most symbols with one lookup, output decoded
// straight into a sliding window from which Read copies or view lends
// rows in place, matches copied eight bytes at a time (doubling for short
// periods), and Adler-32 in SWAR lanes. On the photo set made PNG by sharp
// it inflates 1.8x as much per CPU-second as
// compress/zlib (BenchmarkInflate, RAMPART_PNGS=DIR), where
// github.com/klauspost/compress/zlib v1.20.4 does 1.26x (measured the same
// way in testdata/inflatebench, a module of its own so that dependency,
// which does not earn its place, stays out of go.mod). FuzzInflate checks
// it against compress/zlib.
type inflater struct {
	// Input: the current piece, and where the next comes from.
	in    []byte
	p     int
	next  func() ([]byte, error) // the next piece; io.EOF when there is none
	inErr error                  // why next stopped
	bits  uint64
	nbits uint
	over  uint // zero bytes added past the end of the input

	// Output window: out[:w] holds decoded bytes, out[r:w] those not yet
	// read; at least the last 32 KB of history stay when it slides.
	out  []byte
	r, w int

	state     int // what the next decode step is
	final     bool
	stored    int        // bytes left in a stored block
	lit, dist *huffTable // the current block's: the fixed ones, or those below
	dynLit    huffTable  // a dynamic block's, reused from block to block
	dynDist   huffTable
	codeLen   huffTable
	err       error
	adler     uint32 // of the output so far
	adlerWant uint32 // from the trailer
}

const (
	stateHeader  = iota // zlib header
	stateBlock          // a block header
	stateStored         // inside a stored block
	stateHuff           // inside a Huffman block
	stateTrailer        // the Adler-32 after the final block
	stateDone
)

const (
	windowSize = 32 << 10
	// The window buffer: history plus room to decode into before
	// sliding (sliding copies the history, so more room slides less).
	bufSize  = windowSize + 96<<10
	maxMatch = 258
	// minRoom is the free window a decode step needs: a whole match,
	// plus the 7 bytes a match copied by words may write past its end.
	minRoom = maxMatch + 8
)

// Decoding errors; the PNG decoder reports them as FormatErrors.
type inflateError string

func (e inflateError) Error() string { return string(e) }

func newInflater(next func() ([]byte, error)) *inflater {
	return &inflater{next: next, out: make([]byte, bufSize), adler: 1}
}

// Read implements io.Reader over the decoded stream; it returns io.EOF
// after the stream's end once its checksum has been verified.
func (z *inflater) Read(p []byte) (int, error) {
	for z.r == z.w {
		if z.err != nil {
			return 0, z.err
		}
		if z.state == stateDone {
			return 0, io.EOF
		}
		z.fill()
	}
	n := copy(p, z.out[z.r:z.w])
	z.r += n
	return n, nil
}

// maxView is the longest run of decoded bytes view returns in place: what
// the window holds beyond its history and a decode step's room.
const maxView = bufSize - windowSize - 2*minRoom

// errTooLong is view's answer for more than maxView bytes.
var errTooLong = inflateError("view longer than the window")

// view returns the next n decoded bytes in place: a slice of the window,
// valid until the next call to view or Read, which the caller must not
// modify (it is the history later matches copy from). This saves copying
// each PNG row out of the window. For n over maxView it returns
// errTooLong and the caller reads with Read instead.
func (z *inflater) view(n int) ([]byte, error) {
	if n > maxView {
		return nil, errTooLong
	}
	for z.w-z.r < n {
		if z.err != nil {
			return nil, z.err
		}
		if z.state == stateDone {
			return nil, io.ErrUnexpectedEOF
		}
		z.fill()
	}
	b := z.out[z.r : z.r+n : z.r+n]
	z.r += n
	return b, nil
}

// peek returns the next decoded byte if it has been decoded already.
func (z *inflater) peek() (byte, bool) {
	if z.r < z.w {
		return z.out[z.r], true
	}
	return 0, false
}

// fill decodes until the window's free room is used or the stream ends,
// after sliding the window if needed: the last 32 KB of history and the
// bytes not yet read stay.
func (z *inflater) fill() {
	if len(z.out)-z.w < 2*maxMatch+windowSize/2 {
		from := max(0, min(z.r, z.w-windowSize))
		copy(z.out, z.out[from:z.w])
		z.w -= from
		z.r -= from
	}
	start := z.w
	for z.err == nil && z.state != stateDone && len(z.out)-z.w >= minRoom {
		switch z.state {
		case stateHeader:
			z.header()
		case stateBlock:
			z.blockHeader()
		case stateStored:
			z.storedBlock()
		case stateHuff:
			z.huffBlock()
		case stateTrailer:
			z.trailer()
		}
	}
	if z.err == nil && z.over > 0 && z.over*8 > z.nbits {
		// Padding past the end of the input was consumed: the stream is
		// cut short.
		z.err = z.eofError()
	}
	if z.err == nil {
		z.adler = adler32Update(z.adler, z.out[start:z.w])
		if z.state == stateDone && z.adler != z.adlerWant {
			z.err = inflateError("invalid zlib checksum")
		}
	}
	if z.err != nil {
		z.w = start // nothing decoded from bad input is delivered
		z.r = min(z.r, start)
	}
}

// eofError is the error for input that ended before the stream did.
func (z *inflater) eofError() error {
	if z.inErr != nil && z.inErr != io.EOF {
		return z.inErr
	}
	return io.ErrUnexpectedEOF
}

// refill tops the bit buffer up to at least 56 bits: eight bytes at once
// when the current piece has them, otherwise byte by byte across pieces,
// with zero bytes past the end of the input (counted in over).
func (z *inflater) refill() {
	if z.p+8 <= len(z.in) {
		z.bits |= binary.LittleEndian.Uint64(z.in[z.p:]) << z.nbits
		z.p += int(63-z.nbits) >> 3
		z.nbits |= 56
		return
	}
	for z.nbits <= 56 {
		if z.p < len(z.in) {
			z.bits |= uint64(z.in[z.p]) << z.nbits
			z.p++
			z.nbits += 8
			continue
		}
		if z.inErr == nil {
			z.in, z.inErr = z.next()
			z.p = 0
			if z.inErr == nil {
				continue
			}
		}
		z.over++
		z.nbits += 8
	}
}

func (z *inflater) take(n uint) uint32 {
	if z.nbits < n {
		z.refill()
	}
	v := uint32(z.bits & (1<<n - 1))
	z.bits >>= n
	z.nbits -= n
	return v
}

func (z *inflater) header() {
	cmf, flg := z.take(8), z.take(8)
	switch {
	case cmf&15 != 8 || cmf>>4 > 7 || (cmf<<8|flg)%31 != 0:
		z.err = inflateError("invalid zlib header")
	case flg&0x20 != 0:
		z.err = inflateError("zlib preset dictionary")
	default:
		z.state = stateBlock
	}
}

func (z *inflater) blockHeader() {
	z.final = z.take(1) == 1
	switch z.take(2) {
	case 0:
		// Stored: skip to a byte boundary, then LEN and NLEN.
		z.take(z.nbits % 8)
		n, nn := z.take(16), z.take(16)
		if n != ^nn&0xffff {
			z.err = inflateError("invalid stored block length")
			return
		}
		z.stored = int(n)
		z.state = stateStored
	case 1:
		f := fixedTables()
		z.lit, z.dist = &f[0], &f[1]
		z.state = stateHuff
	case 2:
		z.dynamicTables()
	default:
		z.err = inflateError("invalid block type")
	}
}

func (z *inflater) endBlock() {
	if z.final {
		z.state = stateTrailer
	} else {
		z.state = stateBlock
	}
}

func (z *inflater) storedBlock() {
	for z.stored > 0 && len(z.out)-z.w > 0 {
		// Bytes still in the bit buffer come first (it is byte aligned).
		if z.nbits >= 8 {
			if z.over > 0 && z.nbits <= z.over*8 {
				z.err = z.eofError() // the zero bytes past the end of the input
				return
			}
			z.out[z.w] = byte(z.bits)
			z.bits >>= 8
			z.nbits -= 8
			z.w++
			z.stored--
			continue
		}
		if z.p == len(z.in) {
			if z.inErr == nil {
				z.in, z.inErr = z.next()
				z.p = 0
			}
			if z.inErr != nil {
				z.err = z.eofError()
				return
			}
			continue
		}
		// The bit buffer is empty, but may hold bits of the bytes read
		// directly here: refill's fast path leaves them above nbits.
		z.bits = 0
		n := copy(z.out[z.w:min(len(z.out), z.w+z.stored)], z.in[z.p:])
		z.p += n
		z.w += n
		z.stored -= n
	}
	if z.stored == 0 {
		z.endBlock()
	}
}

func (z *inflater) trailer() {
	z.take(z.nbits % 8)
	var sum uint32
	for range 4 {
		sum = sum<<8 | z.take(8)
	}
	if z.over > 0 && z.over*8 > z.nbits {
		z.err = z.eofError()
		return
	}
	z.adlerWant = sum
	z.state = stateDone
}

// huffBlock decodes symbols of a Huffman block until the block ends or the
// window has less than a match's worth of room. The bit buffer and input
// position live in locals (registers) here, the hot loop of the decoder.
func (z *inflater) huffBlock() {
	out := z.out
	w := z.w
	lit, dist := z.lit, z.dist
	bits, nbits := z.bits, z.nbits
	in, p := z.in, z.p
	var err error
loop:
	for len(out)-w >= minRoom {
		if nbits < 48 {
			if p+8 <= len(in) {
				bits |= binary.LittleEndian.Uint64(in[p:]) << nbits
				p += int(63-nbits) >> 3
				nbits |= 56
			} else {
				z.bits, z.nbits, z.p = bits, nbits, p
				z.refill()
				bits, nbits, in, p = z.bits, z.nbits, z.in, z.p
			}
		}
		e := lit.prim[bits&(1<<primaryBits-1)]
		if e&0xf0 != 0 {
			e = lit.sub[(e>>16)+uint32(bits>>primaryBits)&(1<<(e>>4&15)-1)]
		}
		bits >>= e & 15
		nbits -= uint(e & 15)
		sym := e >> 16
		if sym < 256 { // a valid entry: invalid ones have symbol 0xffff
			out[w] = byte(sym)
			w++
			// At least 41 bits are left: room for another code, which
			// is most often a literal too.
			e = lit.prim[bits&(1<<primaryBits-1)]
			if e&0xf0 == 0 && e>>16 < 256 {
				bits >>= e & 15
				nbits -= uint(e & 15)
				out[w] = byte(e >> 16)
				w++
			}
			continue
		}
		if sym == 256 {
			z.endBlock()
			break loop
		}
		sym -= 257
		if sym >= 29 || e&15 == 0 {
			err = inflateError("invalid literal/length code")
			break loop
		}
		xb := lengthExtra[sym]
		length := int(lengthBase[sym]) + int(uint32(bits)&(1<<xb-1))
		bits >>= xb
		nbits -= uint(xb)
		e = dist.prim[bits&(1<<primaryBits-1)]
		if e&0xf0 != 0 {
			e = dist.sub[(e>>16)+uint32(bits>>primaryBits)&(1<<(e>>4&15)-1)]
		}
		bits >>= e & 15
		nbits -= uint(e & 15)
		ds := e >> 16
		if ds >= 30 || e&15 == 0 {
			err = inflateError("invalid distance code")
			break loop
		}
		// 56 - 15 - 5 - 15 = 21 bits are left, enough for the 13 extra.
		xb = distExtra[ds]
		d := int(distBase[ds]) + int(uint32(bits)&(1<<xb-1))
		bits >>= xb
		nbits -= uint(xb)
		if d > w {
			err = inflateError("invalid distance: before the start of the stream")
			break loop
		}
		src := w - d
		switch {
		case d >= 8:
			// Eight bytes at a time, each word read after the one
			// before it is written, so overlapping matches (period d
			// >= 8) come out right; the last word may write up to 7
			// bytes past the match, inside the room the loop keeps.
			o := out[src : w+length+7]
			for i := 0; i < length; i += 8 {
				binary.LittleEndian.PutUint64(o[d+i:], binary.LittleEndian.Uint64(o[i:]))
			}
		default:
			// A short period: the bytes repeat every d, so copy from
			// the growing prefix, doubling each time.
			for i := 0; i < length; {
				i += copy(out[w+i:w+length], out[src:w+i])
			}
		}
		w += length
	}
	z.w = w
	z.bits, z.nbits, z.in, z.p = bits, nbits, in, p
	if err != nil {
		z.err = err
	}
}

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// The order of the code length code lengths (RFC 1951 3.2.7).
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

func (z *inflater) dynamicTables() {
	nlit, ndist, nclen := int(z.take(5))+257, int(z.take(5))+1, int(z.take(4))+4
	if nlit > 286 || ndist > 30 {
		z.err = inflateError("invalid dynamic block header")
		return
	}
	var clen [19]uint8
	for i := 0; i < nclen; i++ {
		clen[clOrder[i]] = uint8(z.take(3))
	}
	cl := &z.codeLen
	if !cl.build(clen[:]) {
		z.err = inflateError("invalid code length code")
		return
	}
	var lens [286 + 30]uint8
	for i := 0; i < nlit+ndist; {
		if z.nbits < 16 {
			z.refill()
		}
		e := cl.lookup(z.bits)
		if e&15 == 0 {
			z.err = inflateError("invalid code length")
			return
		}
		z.bits >>= e & 15
		z.nbits -= uint(e & 15)
		sym := e >> 16
		var v uint8
		var rep int
		switch {
		case sym < 16:
			lens[i] = uint8(sym)
			i++
			continue
		case sym == 16:
			if i == 0 {
				z.err = inflateError("repeat with no previous code length")
				return
			}
			v, rep = lens[i-1], 3+int(z.take(2))
		case sym == 17:
			rep = 3 + int(z.take(3))
		default:
			rep = 11 + int(z.take(7))
		}
		if i+rep > nlit+ndist {
			z.err = inflateError("code lengths overflow")
			return
		}
		for ; rep > 0; rep-- {
			lens[i] = v
			i++
		}
	}
	if lens[256] == 0 {
		z.err = inflateError("no end-of-block code")
		return
	}
	if !z.dynLit.build(lens[:nlit]) || !z.dynDist.build(lens[nlit:nlit+ndist]) {
		z.err = inflateError("invalid Huffman code")
		return
	}
	z.lit, z.dist = &z.dynLit, &z.dynDist
	z.state = stateHuff
}

// huffTable is a two-level canonical Huffman decoding table. An entry is
// symbol<<16 | sub<<4 | length: length (1..15) is the code's length in bits
// (0: no such code), and in the first level an entry with sub != 0 points
// at a second-level table of 1<<sub entries at index symbol of sub, for the
// codes longer than primaryBits.
type huffTable struct {
	prim [1 << primaryBits]uint32
	sub  []uint32
}

const primaryBits = 10

// invalidEntry is what a bit pattern without a code decodes to: a symbol
// no alphabet has, of length 0.
const invalidEntry = 0xffff << 16

// lookup returns the entry for the next code in the low bits of b.
func (h *huffTable) lookup(b uint64) uint32 {
	e := h.prim[b&(1<<primaryBits-1)]
	if e&0xf0 != 0 {
		e = h.sub[(e>>16)+uint32(b>>primaryBits)&(1<<(e>>4&15)-1)]
	}
	return e
}

// build makes the table for code lengths lens (0 = unused symbol). Codes
// that over-subscribe are refused, and so are incomplete ones except a
// single code of length 1 or none at all, as zlib and compress/flate do;
// the bit patterns no code covers decode to an invalid entry.
func (h *huffTable) build(lens []uint8) bool {
	var count [16]int
	maxLen := 0
	for _, l := range lens {
		count[l]++
		maxLen = max(maxLen, int(l))
	}
	count[0] = 0
	left := 1
	for l := 1; l <= 15; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return false // over-subscribed
		}
	}
	if left > 0 && !(maxLen == 0 || maxLen == 1 && count[1] == 1) {
		return false // incomplete
	}
	// Canonical codes (RFC 1951 3.2.2), bit-reversed since deflate reads
	// codes from the most significant bit.
	var next [16]int
	code := 0
	for l := 1; l <= 15; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	// Each symbol's code, bit-reversed, packed as code<<4 | length.
	var buf [288]uint32
	codes := buf[:len(lens)]
	for s, l := range lens {
		if l != 0 {
			c := next[l]
			next[l]++
			codes[s] = uint32(bits.Reverse16(uint16(c))>>(16-l))<<4 | uint32(l)
		}
	}
	for i := range h.prim {
		h.prim[i] = invalidEntry
	}
	h.sub = h.sub[:0]
	if maxLen > primaryBits {
		h.buildSub(codes)
	}
	for s, c := range codes {
		l := c & 15
		if l == 0 || l > primaryBits {
			continue
		}
		e := uint32(s)<<16 | l
		for i := c >> 4; i < 1<<primaryBits; i += 1 << l {
			h.prim[i] = e
		}
	}
	return true
}

// buildSub makes the second-level tables: one per primary prefix of the
// codes longer than primaryBits, sized for the longest code under it.
func (h *huffTable) buildSub(codes []uint32) {
	var subBits [1 << primaryBits]uint8
	var prefixes []int
	for _, c := range codes {
		if l := int(c & 15); l > primaryBits {
			p := int(c>>4) & (1<<primaryBits - 1)
			if subBits[p] == 0 {
				prefixes = append(prefixes, p)
			}
			subBits[p] = max(subBits[p], uint8(l-primaryBits))
		}
	}
	var subStart [1 << primaryBits]uint16
	size := 0
	for _, p := range prefixes {
		subStart[p] = uint16(size)
		size += 1 << subBits[p]
	}
	if cap(h.sub) >= size {
		h.sub = h.sub[:size]
	} else {
		h.sub = make([]uint32, size)
	}
	for i := range h.sub {
		h.sub[i] = invalidEntry
	}
	for _, p := range prefixes {
		h.prim[p] = uint32(subStart[p])<<16 | uint32(subBits[p])<<4
	}
	for s, c := range codes {
		l := int(c & 15)
		if l <= primaryBits {
			continue
		}
		code := int(c >> 4)
		p := code & (1<<primaryBits - 1)
		base, sb := int(subStart[p]), int(subBits[p])
		e := uint32(s)<<16 | uint32(l)
		for i := code >> primaryBits; i < 1<<sb; i += 1 << (l - primaryBits) {
			h.sub[base+i] = e
		}
	}
}

// fixedTables are the tables of RFC 1951 3.2.6.
// They are shared: nothing builds into them after this.
var fixedTables = sync.OnceValue(func() *[2]huffTable {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	var t [2]huffTable
	t[0].build(lens[:])
	var d [32]uint8 // 30 and 31 are invalid, but take part in the code
	for i := range d {
		d[i] = 5
	}
	t[1].build(d[:])
	return &t
})

// adler32Update continues an Adler-32 checksum (RFC 1950 8.2) over p. It
// reads 16 bytes per step as two 64-bit words whose bytes it adds in
// 16-bit lanes (SWAR): per block of up to 256 steps, the lane sums give
// each byte position's total, the steps' running sums give the
// positional weights, and the modulo runs once per block. About three
// times the speed of a byte loop, which matters at the gigabytes a
// photo set inflates to.
func adler32Update(adler uint32, p []byte) uint32 {
	const (
		mod  = 65521
		even = 0x00ff00ff00ff00ff
		fold = 0x0001000100010001
	)
	s1, s2 := uint64(adler&0xffff), uint64(adler>>16)
	for len(p) >= 16 {
		m := min(len(p)/16, 256) // 256·255 still fits a 16-bit lane
		blk := p[:16*m]
		p = p[16*m:]
		// Lanes: bytes 0,2,4,6 | 1,3,5,7 | 8,10,12,14 | 9,11,13,15.
		var l0, l1, l2, l3 uint64
		var run, runs uint64 // sum of the steps so far; sum of those sums
		for q := 0; q+16 <= len(blk); q += 16 {
			x := binary.LittleEndian.Uint64(blk[q:])
			y := binary.LittleEndian.Uint64(blk[q+8:])
			xl, xh, yl, yh := x&even, x>>8&even, y&even, y>>8&even
			l0, l1, l2, l3 = l0+xl, l1+xh, l2+yl, l3+yh
			run += (xl + xh + yl + yh) * fold >> 48
			runs += run
		}
		// Over the block, s2 gains len·s1 plus each byte times the
		// bytes from it to the end: 16·runs counts 16 per step, less
		// each byte's position within its step.
		var pos uint64
		for lane := range 4 {
			sh := 16 * uint(lane)
			pos += 2*uint64(lane)*(l0>>sh&0xffff) + (2*uint64(lane)+1)*(l1>>sh&0xffff) +
				(8+2*uint64(lane))*(l2>>sh&0xffff) + (9+2*uint64(lane))*(l3>>sh&0xffff)
		}
		s2 += uint64(len(blk))*s1 + 16*runs - pos
		s1 += run
		s1 %= mod
		s2 %= mod
	}
	for _, c := range p {
		s1 += uint64(c)
		s2 += s1
	}
	return uint32(s2%mod)<<16 | uint32(s1%mod)
}
