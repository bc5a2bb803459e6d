package imaging

import (
	"math"
	"math/bits"
)

// A baseline JPEG encoder (ITU-T T.81) for the two layouts thumbnails come
// in: greyscale, and luma with 4:2:0 chroma planes as resizePicture makes
// them. It reads the planes directly (no image.Image, no per-pixel colour
// lookups), uses a floating-point AAN forward DCT with the quantization
// folded into its output scaling (one multiply per coefficient, as libjpeg's
// jfdctflt.c and jcdctmgr.c do) and the Huffman tables of T.81 Annex K.3,
// with a 64-bit bit buffer. The output is what image/jpeg writes for the
// same quality (same quantization and Huffman tables, plus a JFIF APP0
// segment) to within DCT rounding, at a fraction of the cost: image/jpeg's
// encoder fetches every sample through image.YCbCr's accessors and divides
// every coefficient.

// Quantization tables of T.81 Annex K.1 (luminance, chrominance), in zigzag
// order, for quality 50.
var baseQuant = [2][64]uint8{
	{
		16, 11, 12, 14, 12, 10, 16, 14,
		13, 14, 18, 17, 16, 19, 24, 40,
		26, 24, 22, 22, 24, 49, 35, 37,
		29, 40, 58, 51, 61, 60, 57, 51,
		56, 55, 64, 72, 92, 78, 64, 68,
		87, 69, 55, 56, 80, 109, 81, 87,
		95, 98, 103, 104, 103, 62, 77, 113,
		121, 112, 100, 120, 92, 101, 103, 99,
	},
	{
		17, 18, 18, 24, 21, 24, 47, 26,
		26, 47, 99, 66, 56, 66, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
	},
}

// huffSpec is a Huffman table as a DHT segment carries it: the number of
// codes of each length 1..16, then the symbols in code order.
type huffSpec struct {
	counts [16]uint8
	vals   []uint8
}

// The typical tables of T.81 Annex K.3: luminance DC, luminance AC,
// chrominance DC, chrominance AC.
var stdHuffman = [4]huffSpec{
	{[16]uint8{0, 1, 5, 1, 1, 1, 1, 1, 1}, []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
	{[16]uint8{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d}, []uint8{
		0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
		0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
		0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
		0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
		0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
		0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
		0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
		0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
		0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa,
	}},
	{[16]uint8{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
	{[16]uint8{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77}, []uint8{
		0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
		0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
		0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
		0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
		0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
		0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
		0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
		0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
		0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
		0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa,
	}},
}

// huffCode is one symbol's code: len<<16 | code (len 0: not in the table).
type huffCodes [256]uint32

func makeCodes(s huffSpec) (c huffCodes) {
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for range s.counts[l-1] {
			c[s.vals[k]] = uint32(l)<<16 | code
			code++
			k++
		}
		code <<= 1
	}
	return c
}

var stdCodes = [4]huffCodes{makeCodes(stdHuffman[0]), makeCodes(stdHuffman[1]), makeCodes(stdHuffman[2]), makeCodes(stdHuffman[3])}

// zigzag maps natural (row-major) order to zigzag order; unzigzag the
// reverse (T.81 Figure A.6).
var unzigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// aanScale are the AAN DCT's per-frequency output scale factors:
// cos(kπ/16)·√2 for k > 0, 1 for k = 0.
var aanScale = [8]float32{1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.541196100, 0.275899379}

// quantTables returns the quantization tables for quality (1..100) in
// zigzag order, scaled as libjpeg and image/jpeg scale them, and the
// multipliers that turn the AAN DCT's outputs (natural order) into
// quantized coefficients.
func quantTables(quality int) (q [2][64]uint8, mul [2][64]float32) {
	scale := 200 - 2*quality
	if quality < 50 {
		scale = 5000 / quality
	}
	for t := range q {
		for k, b := range baseQuant[t] {
			q[t][k] = uint8(min(max((int(b)*scale+50)/100, 1), 255))
		}
		for k, z := range unzigzag {
			mul[t][z] = 1 / (float32(q[t][k]) * aanScale[z>>3] * aanScale[z&7] * 8)
		}
	}
	return q, mul
}

// fdct computes the forward DCT of the level-shifted 8×8 block b (natural
// order, in place; AAN, as libjpeg's jfdctflt.c). The outputs are scaled by
// 8·aanScale[v]·aanScale[u], which quantTables folds into its multipliers.
func fdct(b *[64]float32) {
	for i := 0; i < 64; i += 8 { // rows
		r := b[i : i+8 : i+8]
		r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = aan8(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
	}
	for i := 0; i < 8; i++ { // columns
		c := b[i : i+57 : i+57]
		c[0], c[8], c[16], c[24], c[32], c[40], c[48], c[56] = aan8(c[0], c[8], c[16], c[24], c[32], c[40], c[48], c[56])
	}
}

// aan8 is the one-dimensional 8-point AAN DCT (Arai, Agui, Nakajima), its
// outputs scaled by aanScale.
func aan8(d0, d1, d2, d3, d4, d5, d6, d7 float32) (o0, o1, o2, o3, o4, o5, o6, o7 float32) {
	t0, t7 := d0+d7, d0-d7
	t1, t6 := d1+d6, d1-d6
	t2, t5 := d2+d5, d2-d5
	t3, t4 := d3+d4, d3-d4
	t10, t13 := t0+t3, t0-t3
	t11, t12 := t1+t2, t1-t2
	o0, o4 = t10+t11, t10-t11
	z1 := (t12 + t13) * 0.707106781
	o2, o6 = t13+z1, t13-z1
	t10, t11, t12 = t4+t5, t5+t6, t6+t7
	z5 := (t10 - t12) * 0.382683433
	z2 := 0.541196100*t10 + z5
	z4 := 1.306562965*t12 + z5
	z3 := t11 * 0.707106781
	z11, z13 := t7+z3, t7-z3
	o5, o3 = z13+z2, z13-z2
	o1, o7 = z11+z4, z11-z4
	return
}

// bitWriter appends Huffman-coded bits to buf, MSB first, stuffing a zero
// byte after every 0xFF (T.81 B.1.1.5).
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits in the low n bits
	n   uint
}

// put appends the low size bits of v (size ≤ 32).
func (w *bitWriter) put(v uint32, size uint) {
	w.acc = w.acc<<size | uint64(v)&(1<<size-1)
	w.n += size
	if w.n >= 32 {
		w.n -= 32
		x := uint32(w.acc >> w.n)
		if hasFF(x) {
			for s := 24; s >= 0; s -= 8 {
				c := byte(x >> s)
				w.buf = append(w.buf, c)
				if c == 0xff {
					w.buf = append(w.buf, 0)
				}
			}
			return
		}
		w.buf = append(w.buf, byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
	}
}

// hasFF reports whether any byte of x is 0xFF.
func hasFF(x uint32) bool {
	y := ^x // a 0xFF byte of x is a zero byte of y
	return (y-0x01010101)&^y&0x80808080 != 0
}

// flush pads the last byte with one bits (T.81 F.1.2.3) and writes it out.
func (w *bitWriter) flush() {
	if pad := (8 - w.n%8) % 8; pad > 0 {
		w.put(1<<pad-1, pad)
	}
	for w.n >= 8 {
		w.n -= 8
		c := byte(w.acc >> w.n)
		w.buf = append(w.buf, c)
		if c == 0xff {
			w.buf = append(w.buf, 0)
		}
	}
}

// blockEncoder quantizes and entropy-codes blocks.
type blockEncoder struct {
	w   bitWriter
	mul [2][64]float32
	blk [64]float32
}

// load copies the 8×8 block at (x, y) of p into e.blk, level-shifted;
// samples past the plane's right or bottom edge repeat the last ones.
func (e *blockEncoder) load(p plane, x, y int) {
	for r := 0; r < 8; r++ {
		row := p.row(min(y+r, p.h-1))
		d := e.blk[r*8 : r*8+8 : r*8+8]
		if x+8 <= p.w {
			s := row[x : x+8 : x+8]
			for i := range d {
				d[i] = float32(s[i]) - 128
			}
			continue
		}
		for i := range d {
			d[i] = float32(row[min(x+i, p.w-1)]) - 128
		}
	}
}

const (
	roundMagic     = 12582912 // 1.5·2^23
	roundMagicBits = 0x4b400000
)

// encode transforms, quantizes and codes e.blk with table set t (0 luma,
// 1 chroma) and returns the new DC predictor.
func (e *blockEncoder) encode(t int, pred int32) int32 {
	fdct(&e.blk)
	mul := &e.mul[t]
	var q [64]int32 // zigzag order
	for k, z := range unzigzag {
		// Round to nearest without a branch (a sign test mispredicts
		// half the time): adding 1.5·2^23 leaves the rounded integer in
		// the low mantissa bits. |v| ≤ 2^11 here, far inside the range
		// where that is exact.
		f := e.blk[z]*mul[z] + roundMagic
		q[k] = int32(math.Float32bits(f)) - roundMagicBits
	}
	dc, ac := &stdCodes[2*t], &stdCodes[2*t+1]
	w := &e.w
	diff := q[0] - pred
	s := magnitude(diff)
	c := dc[s]
	w.put(c, uint(c>>16))
	if s > 0 {
		w.put(uint32(extra(diff)), s)
	}
	run := uint32(0)
	for k := 1; k < 64; k++ {
		v := q[k]
		if v == 0 {
			run++
			continue
		}
		for run > 15 {
			c := ac[0xf0]
			w.put(c, uint(c>>16))
			run -= 16
		}
		s := magnitude(v)
		c := ac[run<<4|uint32(s)]
		w.put(c, uint(c>>16))
		w.put(uint32(extra(v)), s)
		run = 0
	}
	if run > 0 {
		c := ac[0x00]
		w.put(c, uint(c>>16))
	}
	return q[0]
}

// magnitude is the category of v: the bit length of |v| (T.81 F.1.2.1).
func magnitude(v int32) uint {
	if v < 0 {
		v = -v
	}
	return uint(bits.Len32(uint32(v)))
}

// extra is the value bits of v: v itself if positive, v-1 (its low bits
// being the one's complement of |v|) if negative.
func extra(v int32) int32 {
	if v < 0 {
		return v - 1
	}
	return v
}

// encodePlanes writes p (grey, or luma with 4:2:0 chroma) as a baseline
// JFIF JPEG at the given quality (1..100).
func encodePlanes(p picture, quality int) []byte {
	e := &blockEncoder{}
	q, mul := quantTables(quality)
	e.mul = mul
	buf := make([]byte, 0, 1024+p.w*p.h/4)
	buf = append(buf, 0xff, 0xd8) // SOI
	// JFIF APP0: version 1.01, no density units, 1:1 aspect, no thumbnail.
	buf = append(buf, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)
	ntab := 2
	if p.gray {
		ntab = 1
	}
	buf = append(buf, 0xff, 0xdb, 0, byte(2+65*ntab)) // DQT
	for t := range ntab {
		buf = append(buf, byte(t))
		buf = append(buf, q[t][:]...)
	}
	ncomp := 3
	if p.gray {
		ncomp = 1
	}
	buf = append(buf, 0xff, 0xc0, 0, byte(8+3*ncomp), 8, byte(p.h>>8), byte(p.h), byte(p.w>>8), byte(p.w), byte(ncomp)) // SOF0
	if p.gray {
		buf = append(buf, 1, 0x11, 0)
	} else {
		buf = append(buf, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	}
	dhtLen := 2
	for i := range 2 * ntab {
		dhtLen += 17 + len(stdHuffman[i].vals)
	}
	buf = append(buf, 0xff, 0xc4, byte(dhtLen>>8), byte(dhtLen)) // DHT
	for i := range 2 * ntab {
		buf = append(buf, byte(i&1)<<4|byte(i>>1)) // class (0 DC, 1 AC), id
		buf = append(buf, stdHuffman[i].counts[:]...)
		buf = append(buf, stdHuffman[i].vals...)
	}
	buf = append(buf, 0xff, 0xda, 0, byte(6+2*ncomp), byte(ncomp)) // SOS
	if p.gray {
		buf = append(buf, 1, 0x00)
	} else {
		buf = append(buf, 1, 0x00, 2, 0x11, 3, 0x11)
	}
	buf = append(buf, 0, 63, 0)

	e.w.buf = buf
	if p.gray {
		var pred int32
		for y := 0; y < p.h; y += 8 {
			for x := 0; x < p.w; x += 8 {
				e.load(p.y, x, y)
				pred = e.encode(0, pred)
			}
		}
	} else {
		var py, pcb, pcr int32
		for y := 0; y < p.h; y += 16 {
			for x := 0; x < p.w; x += 16 {
				for i := range 4 {
					e.load(p.y, x+8*(i&1), y+8*(i>>1))
					py = e.encode(0, py)
				}
				e.load(p.cb, x/2, y/2)
				pcb = e.encode(1, pcb)
				e.load(p.cr, x/2, y/2)
				pcr = e.encode(1, pcr)
			}
		}
	}
	e.w.flush()
	return append(e.w.buf, 0xff, 0xd9) // EOI
}
