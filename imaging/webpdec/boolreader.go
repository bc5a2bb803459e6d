package webpdec

import (
	"encoding/binary"
	"math/bits"
)

// boolReader is VP8's boolean entropy decoder (RFC 6386 section 7). It keeps
// up to 56 unread bits in value, refilled seven bytes at a time, so most
// bits cost a multiply, a compare and a shift.
//
// value >> nbits is the window the split is compared with; rng is the range
// minus one (127 to 254 between calls). Reading past the end supplies zero
// bytes, as libvpx and libwebp do; eof records that the first of them was
// needed, which is when libwebp declares the partition truncated.
type boolReader struct {
	buf   []byte
	pos   int
	value uint64
	nbits int // bits of value below the window; negative: refill first
	rng   uint32
	eof   bool
}

func (br *boolReader) init(buf []byte) {
	*br = boolReader{buf: buf, rng: 255 - 1, nbits: -8}
	br.load()
}

// load refills value; it is called when nbits has gone negative.
func (br *boolReader) load() {
	if br.pos+8 <= len(br.buf) {
		in := binary.BigEndian.Uint64(br.buf[br.pos:]) >> 8
		br.pos += 7
		br.value = br.value<<56 | in
		br.nbits += 56
		return
	}
	if br.pos < len(br.buf) {
		br.value = br.value<<8 | uint64(br.buf[br.pos])
		br.pos++
		br.nbits += 8
		return
	}
	if !br.eof {
		br.value <<= 8
		br.nbits += 8
		br.eof = true
		return
	}
	br.nbits = 0 // keep supplying zeros without overflowing value
}

// refill is load for a caller that keeps value and nbits in locals.
func (br *boolReader) refill(value uint64, nbits int) (uint64, int) {
	br.value, br.nbits = value, nbits
	br.load()
	return br.value, br.nbits
}

// boolStep decodes one bit whose probability of being 0 is prob/256 from
// a reader's state, which must hold a window (nbits >= 0), and returns the
// bit as a mask (all ones for 1, zero for 0) and the new state. It has no
// branch (the caller's test of the bit is the only one that can be
// mispredicted) and is small enough to be inlined, so the hot loops keep
// the state in registers.
func boolStep(value uint64, nbits int, rng uint32, prob uint8) (uint32, uint64, int, uint32) {
	sh := uint(nbits) & 63 // masked: tells the compiler the shift is in range
	split := (rng * uint32(prob)) >> 8
	mask := uint32(int32(split-uint32(value>>sh)) >> 31) // the window is above split
	// The new range is rng-split for a 1 and split+1 for a 0 (range minus
	// one as rng keeps it: the 1s get the top of the interval).
	r := uint8(split + 1 + (mask & (rng - 2*split - 1)))
	value -= uint64((split+1)&mask) << sh
	return mask, value, nbits - int(normShift[r]), uint32(normRange[r])
}

// normShift[r] is how far a range r (1 to 255) is shifted to normalise it to
// 128-255, and normRange[r] the normalised range minus one.
var normShift, normRange = func() (s, r [256]uint8) {
	for i := 1; i < 256; i++ {
		n := uint8(7 ^ (bits.Len8(uint8(i)) - 1))
		s[i], r[i] = n, uint8(i<<n-1)
	}
	return s, r
}()

// readBit decodes one bit whose probability of being 0 is prob/256.
func (br *boolReader) readBit(prob uint8) bool {
	if br.nbits < 0 {
		br.load()
	}
	var bit uint32
	bit, br.value, br.nbits, br.rng = boolStep(br.value, br.nbits, br.rng, prob)
	return bit != 0
}

// readFlag is readBit at probability 1/2.
func (br *boolReader) readFlag() bool { return br.readBit(128) }

// readLiteral reads an n-bit unsigned value, most significant bit first, at
// probability 1/2 (RFC 6386 section 8.1, L(n)).
func (br *boolReader) readLiteral(n int) int {
	v := 0
	for ; n > 0; n-- {
		v <<= 1
		if br.readFlag() {
			v |= 1
		}
	}
	return v
}

// readSigned reads an n-bit magnitude followed by a sign bit.
func (br *boolReader) readSigned(n int) int {
	v := br.readLiteral(n)
	if br.readFlag() {
		return -v
	}
	return v
}

// readOptionalSigned reads a flag and, if it is set, a signed n-bit value;
// otherwise the value is 0.
func (br *boolReader) readOptionalSigned(n int) int {
	if !br.readFlag() {
		return 0
	}
	return br.readSigned(n)
}
