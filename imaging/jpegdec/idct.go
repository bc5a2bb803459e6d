package jpegdec

import "math"

// The inverse DCTs turn a block of dequantized coefficients (natural order,
// row-major, coef[v*8+u] for horizontal frequency u) into samples with the
// level shift applied (T.81 A.3.3). idct8 reconstructs the full 8×8 block;
// the reduced ones reconstruct 4×4, 2×2 and 1×1 blocks from the lowest
// frequencies only, which is what a 1/2, 1/4 or 1/8 scaled decode needs:
// each output sample is the 8-point inverse DCT evaluated at the centre of
// the 2×2, 4×4 or 8×8 group of samples it stands for (as libjpeg's scaled
// IDCTs do), and the higher frequencies are never touched.

// Fixed-point constants of the Loeffler–Ligtenberg–Moschytz 8-point IDCT,
// scaled by 2^13: fix(x) = round(x * 8192).
const (
	constBits = 13
	pass1Bits = 2

	fix0298631336 = 2446
	fix0390180644 = 3196
	fix0541196100 = 4433
	fix0765366865 = 6270
	fix0899976223 = 7373
	fix1175875602 = 9633
	fix1501321110 = 12299
	fix1847759065 = 15137
	fix1961570560 = 16069
	fix2053119869 = 16819
	fix2562915447 = 20995
	fix3072711026 = 25172
)

// clamp8 limits a level-shifted sample to 0..255.
func clamp8(v int) uint8 {
	if uint(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// idct8 is the separable LLM inverse DCT (the algorithm of libjpeg's
// jidctint.c, T.81 A.3.3 to within rounding), columns then rows, writing 8×8
// samples to dst with the given stride.
func idct8(coef *[64]int32, dst []byte, stride int) {
	var ws [64]int
	for x := 0; x < 8; x++ {
		c := coef[x:]
		if c[8] == 0 && c[16] == 0 && c[24] == 0 && c[32] == 0 && c[40] == 0 && c[48] == 0 && c[56] == 0 {
			dc := int(c[0]) << pass1Bits
			for y := 0; y < 8; y++ {
				ws[y*8+x] = dc
			}
			continue
		}
		o0, o1, o2, o3, o4, o5, o6, o7 := idct1d(int(c[0]), int(c[8]), int(c[16]), int(c[24]), int(c[32]), int(c[40]), int(c[48]), int(c[56]), constBits-pass1Bits)
		ws[x], ws[8+x], ws[16+x], ws[24+x], ws[32+x], ws[40+x], ws[48+x], ws[56+x] = o0, o1, o2, o3, o4, o5, o6, o7
	}
	const shift = constBits + pass1Bits + 3
	for y := 0; y < 8; y++ {
		w := ws[y*8 : y*8+8 : y*8+8]
		d := dst[y*stride : y*stride+8 : y*stride+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := clamp8((w[0]+(1<<(pass1Bits+2)))>>(pass1Bits+3) + 128)
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = v, v, v, v, v, v, v, v
			continue
		}
		o0, o1, o2, o3, o4, o5, o6, o7 := idct1d(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], shift)
		d[0] = clamp8(o0 + 128)
		d[1] = clamp8(o1 + 128)
		d[2] = clamp8(o2 + 128)
		d[3] = clamp8(o3 + 128)
		d[4] = clamp8(o4 + 128)
		d[5] = clamp8(o5 + 128)
		d[6] = clamp8(o6 + 128)
		d[7] = clamp8(o7 + 128)
	}
}

// idct1d is one 8-point LLM pass; outputs are descaled by shift bits with
// rounding.
func idct1d(i0, i1, i2, i3, i4, i5, i6, i7 int, shift uint) (o0, o1, o2, o3, o4, o5, o6, o7 int) {
	// Even part.
	z1 := (i2 + i6) * fix0541196100
	t2 := z1 - i6*fix1847759065
	t3 := z1 + i2*fix0765366865
	t0 := (i0 + i4) << constBits
	t1 := (i0 - i4) << constBits
	t10, t13 := t0+t3, t0-t3
	t11, t12 := t1+t2, t1-t2

	// Odd part.
	a0, a1, a2, a3 := i7, i5, i3, i1
	z1 = a0 + a3
	z2 := a1 + a2
	z3 := a0 + a2
	z4 := a1 + a3
	z5 := (z3 + z4) * fix1175875602
	a0 *= fix0298631336
	a1 *= fix2053119869
	a2 *= fix3072711026
	a3 *= fix1501321110
	z1 *= -fix0899976223
	z2 *= -fix2562915447
	z3 = z3*-fix1961570560 + z5
	z4 = z4*-fix0390180644 + z5
	a0 += z1 + z3
	a1 += z2 + z4
	a2 += z2 + z3
	a3 += z1 + z4

	r := 1 << (shift - 1)
	o0 = (t10 + a3 + r) >> shift
	o7 = (t10 - a3 + r) >> shift
	o1 = (t11 + a2 + r) >> shift
	o6 = (t11 - a2 + r) >> shift
	o2 = (t12 + a1 + r) >> shift
	o5 = (t12 - a1 + r) >> shift
	o3 = (t13 + a0 + r) >> shift
	o4 = (t13 - a0 + r) >> shift
	return
}

// Reduced IDCT weights: red4[x][u] and red2[x][u] are
// 2^13 · C(u)/2 · cos((2p+1)uπ/16) where p is the centre, in full-size
// sample coordinates, of output sample x (p = 2x+0.5 for 4×4, 4x+1.5 for
// 2×2) and C(0) = 1/√2, C(u) = 1 otherwise.
var red4, red2 = reducedWeights(4), reducedWeights(2)

func reducedWeights(n int) (w [4][4]int) {
	f := 8 / n
	for x := 0; x < n; x++ {
		p := float64(f*x) + float64(f-1)/2
		for u := 0; u < n; u++ {
			c := 0.5
			if u == 0 {
				c = 0.5 / math.Sqrt2
			}
			w[x][u] = int(math.Round(8192 * c * math.Cos((2*p+1)*float64(u)*math.Pi/16)))
		}
	}
	return w
}

// idct4 reconstructs a 4×4 block from the 4×4 lowest frequencies. The
// sample centres are symmetric about the block's middle, so red4[3-x][u] =
// (-1)^u red4[x][u]: each 4-point pass is an even and an odd half of two
// products each, and samples x and 3-x are their sum and difference (half
// the multiplies of the direct sums, the same results).
func idct4(coef *[64]int32, dst []byte, stride int) {
	w0, w1 := &red4[0], &red4[1]
	var ws [16]int // ws[v*4+x]: horizontal pass, scaled by 2^pass1Bits
	for v := 0; v < 4; v++ {
		c := coef[v*8 : v*8+4 : v*8+4]
		c0, c1, c2, c3 := int(c[0]), int(c[1]), int(c[2]), int(c[3])
		if c0|c1|c2|c3 == 0 {
			continue // higher vertical frequencies are often all zero
		}
		const r, sh = 1 << (constBits - pass1Bits - 1), constBits - pass1Bits
		e0, e1 := c0*w0[0]+c2*w0[2]+r, c0*w1[0]+c2*w1[2]+r
		o0, o1 := c1*w0[1]+c3*w0[3], c1*w1[1]+c3*w1[3]
		row := ws[v*4 : v*4+4 : v*4+4]
		row[0], row[3] = (e0+o0)>>sh, (e0-o0)>>sh
		row[1], row[2] = (e1+o1)>>sh, (e1-o1)>>sh
	}
	const r, sh = 1<<(constBits+pass1Bits-1) + 128<<(constBits+pass1Bits), constBits + pass1Bits
	d0 := dst[0*stride : 0*stride+4 : 0*stride+4]
	d1 := dst[1*stride : 1*stride+4 : 1*stride+4]
	d2 := dst[2*stride : 2*stride+4 : 2*stride+4]
	d3 := dst[3*stride : 3*stride+4 : 3*stride+4]
	for x := 0; x < 4; x++ {
		c0, c1, c2, c3 := ws[x], ws[4+x], ws[8+x], ws[12+x]
		e0, e1 := c0*w0[0]+c2*w0[2]+r, c0*w1[0]+c2*w1[2]+r
		o0, o1 := c1*w0[1]+c3*w0[3], c1*w1[1]+c3*w1[3]
		d0[x], d3[x] = clamp8((e0+o0)>>sh), clamp8((e0-o0)>>sh)
		d1[x], d2[x] = clamp8((e1+o1)>>sh), clamp8((e1-o1)>>sh)
	}
}

// idct2 reconstructs a 2×2 block from the 2×2 lowest frequencies.
func idct2(coef *[64]int32, dst []byte, stride int) {
	c00, c01, c10, c11 := int(coef[0]), int(coef[1]), int(coef[8]), int(coef[9])
	const shift = 2 * constBits
	for y := 0; y < 2; y++ {
		wy := &red2[y]
		r0 := c00*wy[0] + c10*wy[1] // u = 0
		r1 := c01*wy[0] + c11*wy[1] // u = 1
		d := dst[y*stride : y*stride+2 : y*stride+2]
		for x := 0; x < 2; x++ {
			wx := &red2[x]
			d[x] = clamp8((r0*wx[0]+r1*wx[1]+1<<(shift-1))>>shift + 128)
		}
	}
}

// idct1 reconstructs a 1×1 block: the mean of the 8×8 samples, DC/8.
func idct1(coef *[64]int32, dst []byte, _ int) {
	dst[0] = clamp8((int(coef[0])+4)>>3 + 128)
}
