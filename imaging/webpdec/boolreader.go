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
// a reader's state, which must hold a window (nbits >= 0), and returns
// the bit and the new state. It is small enough to be inlined, so the hot
// loops keep the state in registers.
func boolStep(value uint64, nbits int, rng uint32, prob uint8) (bool, uint64, int, uint32) {
	// The shifts are masked to tell the compiler they are in range.
	split := (rng * uint32(prob)) >> 8
	v := uint32(value >> (uint(nbits) & 63))
	r := split + 1
	bit := v > split
	if bit {
		r = rng - split
		value -= uint64(split+1) << (uint(nbits) & 63)
	}
	shift := 7 ^ (bits.Len32(r) - 1) // normalise the range to [128, 255]
	return bit, value, nbits - shift, r<<(uint(shift)&7) - 1
}

// readBit decodes one bit whose probability of being 0 is prob/256.
func (br *boolReader) readBit(prob uint8) bool {
	if br.nbits < 0 {
		br.load()
	}
	var bit bool
	bit, br.value, br.nbits, br.rng = boolStep(br.value, br.nbits, br.rng, prob)
	return bit
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
