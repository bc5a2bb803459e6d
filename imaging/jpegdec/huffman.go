package jpegdec

// lutBits is the width of the Huffman lookahead: codes up to this many bits
// (nearly all codes in practice) decode with one table load.
const lutBits = 9

// huffTable is a decoding table built from a DHT segment (T.81 Annex C and
// F.2.2.3).
type huffTable struct {
	// lut maps the next lutBits bits of input to length<<8 | value for
	// codes of at most lutBits bits; 0 means "longer code".
	lut [1 << lutBits]uint16
	// fast maps the next lutBits bits of input, when they hold a whole
	// code with a nonzero magnitude category s and its s extra bits, to
	// value<<8 | run<<4 | bits: the signed (extended) value, the run
	// (the high nibble of the symbol: zero coefficients to skip, for an AC
	// table) and the bits used by code and value together. 0 means "take
	// the general path". It merges DECODE and RECEIVE/EXTEND (T.81 F.2.2)
	// for the short codes that make up most of a scan.
	fast [1 << lutBits]int32
	// maxCode[l] is the largest code of length l, or -1 if there is none.
	maxCode [17]int32
	// valPtr[l] is the index in vals of the value of code 0 of length l
	// (the first code of length l minus its index).
	valPtr [17]int32
	vals   [256]uint8
}

// build fills t from the code counts per length (counts[l-1] codes of length
// l) and the values in code order.
func (t *huffTable) build(counts *[16]uint8, vals []uint8) error {
	*t = huffTable{}
	copy(t.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if n == 0 {
			t.maxCode[l] = -1
		} else {
			// libjpeg's rule (jdhuff.c): the codes of one length must not
			// reach the all-ones code, which T.81 C reserves.
			if code+n >= 1<<l {
				return FormatError("bad Huffman table")
			}
			t.valPtr[l] = k - code
			for i := int32(0); i < n; i++ {
				if l <= lutBits {
					// Every lutBits-bit string starting with this code.
					shift := uint(lutBits - l)
					base := (code + i) << shift
					sym := vals[k+i]
					entry := uint16(l)<<8 | uint16(sym)
					size := uint(sym & 15)
					for j := int32(0); j < 1<<shift; j++ {
						t.lut[base+j] = entry
						if size != 0 && uint(l)+size <= lutBits {
							extra := int32(j >> (shift - size)) // the s bits after the code
							t.fast[base+j] = extend(extra, size)<<8 | int32(sym>>4)<<4 | int32(uint(l)+size)
						}
					}
				}
			}
			code += n
			k += n
			t.maxCode[l] = code - 1
		}
		code <<= 1
	}
	return nil
}

// bitReader reads the entropy-coded segment of a scan MSB first, removing
// stuffed zero bytes. At a marker (or the end of input) it stops and feeds
// zero bits, counting them in pad, so that lookahead past the end of a
// segment is harmless; consuming them is an error, detected by overrun.
type bitReader struct {
	src    []byte
	pos    int    // next byte of src to read
	acc    uint64 // bits, MSB first; the low 64-n bits are zero
	n      uint   // valid bits in acc
	pad    uint   // how many of the n bits (the last ones) are padding
	marker bool   // a marker (or the end of input) was reached
}

// reset starts reading at pos, dropping buffered bits.
func (b *bitReader) reset(pos int) {
	b.pos, b.acc, b.n, b.pad, b.marker = pos, 0, 0, 0, false
}

// fill tops acc up to at least 56 bits.
func (b *bitReader) fill() {
	// Fast path: when the next 8 bytes hold no 0xFF, take as many whole
	// bytes of them as fit.
	if !b.marker && b.pos+8 <= len(b.src) {
		s := b.src[b.pos : b.pos+8 : b.pos+8]
		w := uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
			uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7])
		// A 0xFF byte in w is a zero byte in ^w (the classic haszero test).
		x := ^w
		if (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			nb := (63 - b.n) >> 3 // whole bytes that fit
			b.acc |= (w >> (64 - 8*nb)) << (64 - 8*nb - b.n)
			b.n += 8 * nb
			b.pos += int(nb)
			return
		}
	}
	for b.n <= 56 {
		var c byte
		if b.marker || b.pos >= len(b.src) {
			b.marker = true
			b.pad += 8
		} else {
			c = b.src[b.pos]
			if c == 0xff {
				if b.pos+1 < len(b.src) && b.src[b.pos+1] == 0 {
					b.pos += 2
				} else {
					b.marker = true
					b.pad += 8
					c = 0
				}
			} else {
				b.pos++
			}
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether padding bits have been consumed: the scan needed
// more data than its segment holds.
func (b *bitReader) overrun() bool { return b.pad > b.n }

// bits reads n (0..16) bits as an unsigned number. The caller has ensured
// enough bits are buffered.
func (b *bitReader) bits(n uint) int32 {
	v := int32(b.acc >> 1 >> (63 - n))
	b.acc <<= n
	b.n -= n
	return v
}

// receiveExtend reads an s-bit magnitude category value (T.81 F.2.2.1,
// EXTEND) and returns it signed. s is 0..16.
func (b *bitReader) receiveExtend(s uint) int32 {
	if s == 0 {
		return 0
	}
	v := int32(b.acc >> (64 - s))
	b.acc <<= s
	b.n -= s
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// extend turns an s-bit magnitude category value into a signed value
// (T.81 F.2.2.1, EXTEND).
func extend(v int32, s uint) int32 {
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// decode reads one Huffman-coded value with t. At least 16 bits must be
// buffered.
func (b *bitReader) decode(t *huffTable) (uint8, bool) {
	if e := t.lut[b.acc>>(64-lutBits)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(e), true
	}
	return b.decodeSlow(t)
}

func (b *bitReader) decodeSlow(t *huffTable) (uint8, bool) {
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(b.acc >> (64 - l))
		if code <= t.maxCode[l] {
			b.acc <<= l
			b.n -= l
			return t.vals[uint8(t.valPtr[l]+code)], true
		}
	}
	return 0, false
}
