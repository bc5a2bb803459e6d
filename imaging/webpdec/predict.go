package webpdec

// Intra prediction (RFC 6386 section 12) and the inverse transforms (section
// 14), working in the macroblock workspace.
//
// The workspace holds one macroblock's samples with their prediction edges,
// bps bytes a row: luma at yOff with the row above it and the column to its
// left (and, right of the row above, the four above-right samples that
// subblock prediction reads), the two chroma blocks at uOff and vOff with
// theirs. Every edge sample is unfiltered: VP8 predicts from reconstructed
// samples before the loop filter runs.
const (
	bps    = 32
	yOff   = bps*1 + 8
	uOff   = bps*18 + 8
	vOff   = bps*18 + 24
	wsSize = bps * 26
)

func clip255(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

func avg2(a, b uint8) uint8    { return uint8((uint32(a) + uint32(b) + 1) >> 1) }
func avg3(a, b, c uint8) uint8 { return uint8((uint32(a) + 2*uint32(b) + uint32(c) + 2) >> 2) }

// fill sets an n×n block to v.
func fill(ws []byte, off, n int, v uint8) {
	for j := 0; j < n; j++ {
		row := ws[off+j*bps : off+j*bps+n]
		for i := range row {
			row[i] = v
		}
	}
}

// dcPred is the DC prediction of an n×n block (16 or 8): the mean of the
// edges that lie inside the frame, 128 when neither does.
func dcPred(ws []byte, off, n int, top, left bool) uint8 {
	sum, shift := 0, 0
	if top {
		for _, v := range ws[off-bps : off-bps+n] {
			sum += int(v)
		}
		shift++
	}
	if left {
		for j := 0; j < n; j++ {
			sum += int(ws[off+j*bps-1])
		}
		shift++
	}
	if shift == 0 {
		return 128
	}
	log := 3 // n == 8
	if n == 16 {
		log = 4
	}
	shift += log - 1
	return uint8((sum + 1<<(shift-1)) >> shift)
}

// predBlock applies a 16×16 luma or 8×8 chroma mode (DC, TM, VE, HE) at off.
// top and left say whether those edges lie inside the frame; DC uses only
// the edges that do (RFC 6386 section 12.2), the other modes read the edge
// values the workspace holds there (127 above the frame, 129 left of it).
func predBlock(ws []byte, off, n int, mode uint8, top, left bool) {
	switch mode {
	case bDC:
		fill(ws, off, n, dcPred(ws, off, n, top, left))
	case bTM:
		above := ws[off-bps : off-bps+n]
		p := int32(ws[off-bps-1])
		for j := 0; j < n; j++ {
			l := int32(ws[off+j*bps-1]) - p
			row := ws[off+j*bps : off+j*bps+n]
			for i := range row {
				row[i] = clip255(l + int32(above[i]))
			}
		}
	case bVE:
		above := ws[off-bps : off-bps+n]
		for j := 0; j < n; j++ {
			copy(ws[off+j*bps:off+j*bps+n], above)
		}
	case bHE:
		for j := 0; j < n; j++ {
			v := ws[off+j*bps-1]
			row := ws[off+j*bps : off+j*bps+n]
			for i := range row {
				row[i] = v
			}
		}
	}
}

// pred4 applies a subblock mode to the 4×4 block at off (RFC 6386 section
// 12.3). A[0..7] are the samples above and above-right, L[0..3] those to
// the left, P the one above-left.
func pred4(ws []byte, off int, mode uint8) {
	t := ws[off-bps-1 : off-bps+8 : off-bps+8]
	P := t[0]
	A := t[1:9:9]
	L := [4]uint8{ws[off-1], ws[off+bps-1], ws[off+2*bps-1], ws[off+3*bps-1]}
	var b [4][4]uint8 // b[row][col]
	switch mode {
	case bDC:
		s := uint32(4)
		for i := range 4 {
			s += uint32(A[i]) + uint32(L[i])
		}
		v := uint8(s >> 3)
		for r := range b {
			b[r] = [4]uint8{v, v, v, v}
		}
	case bTM:
		for r := range 4 {
			l := int32(L[r]) - int32(P)
			for c := range 4 {
				b[r][c] = clip255(l + int32(A[c]))
			}
		}
	case bVE:
		row := [4]uint8{avg3(P, A[0], A[1]), avg3(A[0], A[1], A[2]), avg3(A[1], A[2], A[3]), avg3(A[2], A[3], A[4])}
		for r := range b {
			b[r] = row
		}
	case bHE:
		v := [4]uint8{avg3(P, L[0], L[1]), avg3(L[0], L[1], L[2]), avg3(L[1], L[2], L[3]), avg3(L[2], L[3], L[3])}
		for r := range b {
			b[r] = [4]uint8{v[r], v[r], v[r], v[r]}
		}
	case bLD:
		// Down-left: each anti-diagonal r+c is one value from the row above.
		var d [7]uint8
		for k := range 6 {
			d[k] = avg3(A[k], A[k+1], A[k+2])
		}
		d[6] = avg3(A[6], A[7], A[7])
		for r := range 4 {
			for c := range 4 {
				b[r][c] = d[r+c]
			}
		}
	case bRD, bVR, bHD:
		// These read the edge as one line E, from the bottom-left sample
		// up the left column, through the corner, along the row above.
		E := [9]uint8{L[3], L[2], L[1], L[0], P, A[0], A[1], A[2], A[3]}
		e3 := func(i int) uint8 { return avg3(E[i-1], E[i], E[i+1]) }
		e2 := func(i int) uint8 { return avg2(E[i], E[i+1]) }
		switch mode {
		case bRD: // down-right: each diagonal c-r is one value
			for r := range 4 {
				for c := range 4 {
					b[r][c] = e3(4 - r + c)
				}
			}
		case bVR: // vertical-right
			b[3][0] = e3(2)
			b[2][0] = e3(3)
			b[3][1], b[1][0] = e3(4), e3(4)
			b[2][1], b[0][0] = e2(4), e2(4)
			b[3][2], b[1][1] = e3(5), e3(5)
			b[2][2], b[0][1] = e2(5), e2(5)
			b[3][3], b[1][2] = e3(6), e3(6)
			b[2][3], b[0][2] = e2(6), e2(6)
			b[1][3] = e3(7)
			b[0][3] = e2(7)
		case bHD: // horizontal-down
			b[3][0] = e2(0)
			b[3][1] = e3(1)
			b[2][0], b[3][2] = e2(1), e2(1)
			b[2][1], b[3][3] = e3(2), e3(2)
			b[2][2], b[1][0] = e2(2), e2(2)
			b[2][3], b[1][1] = e3(3), e3(3)
			b[1][2], b[0][0] = e2(3), e2(3)
			b[1][3], b[0][1] = e3(4), e3(4)
			b[0][2] = e3(5)
			b[0][3] = e3(6)
		}
	case bVL: // vertical-left
		b[0][0] = avg2(A[0], A[1])
		b[1][0] = avg3(A[0], A[1], A[2])
		b[2][0], b[0][1] = avg2(A[1], A[2]), avg2(A[1], A[2])
		b[1][1], b[3][0] = avg3(A[1], A[2], A[3]), avg3(A[1], A[2], A[3])
		b[2][1], b[0][2] = avg2(A[2], A[3]), avg2(A[2], A[3])
		b[3][1], b[1][2] = avg3(A[2], A[3], A[4]), avg3(A[2], A[3], A[4])
		b[2][2], b[0][3] = avg2(A[3], A[4]), avg2(A[3], A[4])
		b[3][2], b[1][3] = avg3(A[3], A[4], A[5]), avg3(A[3], A[4], A[5])
		b[2][3] = avg3(A[4], A[5], A[6])
		b[3][3] = avg3(A[5], A[6], A[7])
	case bHU: // horizontal-up
		b[0][0] = avg2(L[0], L[1])
		b[0][1] = avg3(L[0], L[1], L[2])
		b[0][2], b[1][0] = avg2(L[1], L[2]), avg2(L[1], L[2])
		b[0][3], b[1][1] = avg3(L[1], L[2], L[3]), avg3(L[1], L[2], L[3])
		b[1][2], b[2][0] = avg2(L[2], L[3]), avg2(L[2], L[3])
		b[1][3], b[2][1] = avg3(L[2], L[3], L[3]), avg3(L[2], L[3], L[3])
		b[2][2], b[2][3], b[3][0], b[3][1], b[3][2], b[3][3] = L[3], L[3], L[3], L[3], L[3], L[3]
	}
	for r := range 4 {
		copy(ws[off+r*bps:off+r*bps+4], b[r][:])
	}
}

// The inverse DCT's multipliers (RFC 6386 section 14.3): mul1(x) is
// x·√2·cos(π/8) and mul2(x) is x·√2·sin(π/8), in 16-bit fixed point.
func mul1(x int32) int32 { return x + (x*20091)>>16 }
func mul2(x int32) int32 { return (x * 35468) >> 16 }

// idct adds the inverse DCT of the 16 coefficients in c (natural order) to
// the 4×4 block at off.
func idct(c []int16, ws []byte, off int) {
	c = c[:16:16]
	var t [16]int32 // t[4*col + row]: the vertical pass, column by column
	for i := range 4 {
		i0, i1, i2, i3 := int32(c[i]), int32(c[4+i]), int32(c[8+i]), int32(c[12+i])
		a, b := i0+i2, i0-i2
		cc, d := mul2(i1)-mul1(i3), mul1(i1)+mul2(i3)
		t[4*i], t[4*i+1], t[4*i+2], t[4*i+3] = a+d, b+cc, b-cc, a-d
	}
	for r := range 4 {
		i0, i1, i2, i3 := t[r]+4, t[4+r], t[8+r], t[12+r]
		a, b := i0+i2, i0-i2
		cc, d := mul2(i1)-mul1(i3), mul1(i1)+mul2(i3)
		row := ws[off+r*bps : off+r*bps+4 : off+r*bps+4]
		row[0] = clip255(int32(row[0]) + (a+d)>>3)
		row[1] = clip255(int32(row[1]) + (b+cc)>>3)
		row[2] = clip255(int32(row[2]) + (b-cc)>>3)
		row[3] = clip255(int32(row[3]) + (a-d)>>3)
	}
}

// idctAC3 is idct for a block whose only nonzero coefficients are the first
// three in zigzag order (0, 1 and 4 in natural order); the result is the
// same.
func idctAC3(c []int16, ws []byte, off int) {
	a := int32(c[0]) + 4
	c4, d4 := mul2(int32(c[4])), mul1(int32(c[4]))
	c1, d1 := mul2(int32(c[1])), mul1(int32(c[1]))
	for r, dc := range [4]int32{a + d4, a + c4, a - c4, a - d4} {
		row := ws[off+r*bps : off+r*bps+4 : off+r*bps+4]
		row[0] = clip255(int32(row[0]) + (dc+d1)>>3)
		row[1] = clip255(int32(row[1]) + (dc+c1)>>3)
		row[2] = clip255(int32(row[2]) + (dc-c1)>>3)
		row[3] = clip255(int32(row[3]) + (dc-d1)>>3)
	}
}

// idctDC is idct for a block whose only nonzero coefficient is the DC.
func idctDC(c []int16, ws []byte, off int) {
	dc := (int32(c[0]) + 4) >> 3
	for r := range 4 {
		row := ws[off+r*bps : off+r*bps+4 : off+r*bps+4]
		row[0] = clip255(int32(row[0]) + dc)
		row[1] = clip255(int32(row[1]) + dc)
		row[2] = clip255(int32(row[2]) + dc)
		row[3] = clip255(int32(row[3]) + dc)
	}
}

// addResidual adds a block's residual, choosing the transform by its
// nonzero code (0: nothing, 1: DC only, 2: first three coefficients, 3: any).
func addResidual(code uint32, c []int16, ws []byte, off int) {
	switch code {
	case 3:
		idct(c, ws, off)
	case 2:
		idctAC3(c, ws, off)
	case 1:
		idctDC(c, ws, off)
	}
}

// iwht is the inverse Walsh-Hadamard transform of the Y2 block (RFC 6386
// section 14.3): it yields the DC coefficient of each of the 16 luma
// blocks, written to out[16·k].
func iwht(in *[16]int16, out []int16) {
	var t [16]int32
	for i := range 4 {
		a0 := int32(in[i]) + int32(in[12+i])
		a1 := int32(in[4+i]) + int32(in[8+i])
		a2 := int32(in[4+i]) - int32(in[8+i])
		a3 := int32(in[i]) - int32(in[12+i])
		t[i], t[8+i], t[4+i], t[12+i] = a0+a1, a0-a1, a3+a2, a3-a2
	}
	for i := range 4 {
		dc := t[4*i] + 3
		a0 := dc + t[4*i+3]
		a1 := t[4*i+1] + t[4*i+2]
		a2 := t[4*i+1] - t[4*i+2]
		a3 := dc - t[4*i+3]
		o := out[64*i:]
		o[0] = int16((a0 + a1) >> 3)
		o[16] = int16((a3 + a2) >> 3)
		o[32] = int16((a0 - a1) >> 3)
		o[48] = int16((a3 - a2) >> 3)
	}
}
