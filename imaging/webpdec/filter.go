package webpdec

// The loop filter (RFC 6386 section 15), applied at full scale only. Each
// function filters the n segments straddling one edge: the samples p3 p2
// p1 p0 | q0 q1 q2 q3 lie at pix[i-4·step .. i+3·step], and successive
// segments are next apart. For a vertical edge step is 1 and next the
// stride; for a horizontal edge the other way round.

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// sclamp clamps to a signed byte.
func sclamp(x int32) int32 { return min(max(x, -128), 127) }

// u8 clamps to an unsigned byte.
func u8(x int32) uint8 { return clip255(x) }

// adjust is common_adjust of RFC 6386 section 15.2: p0 and q0 move towards
// each other, by an amount taken from p1 and q1 too when outer is set. It
// returns the amount q0 moved by, which the subblock filter reuses.
func adjust(pix []byte, i, step int, outer bool) int32 {
	p1, p0 := int32(pix[i-2*step]), int32(pix[i-step])
	q0, q1 := int32(pix[i]), int32(pix[i+step])
	a := 3 * (q0 - p0)
	if outer {
		a += sclamp(p1 - q1)
	}
	a = sclamp(a)
	f := sclamp(a+4) >> 3
	pix[i] = u8(q0 - f)
	pix[i-step] = u8(p0 + sclamp(a+3)>>3)
	return f
}

// edgeOK is the common edge test: 2·|p0-q0| + |p1-q1|/2 <= limit.
func edgeOK(pix []byte, i, step int, limit int32) bool {
	p1, p0 := int32(pix[i-2*step]), int32(pix[i-step])
	q0, q1 := int32(pix[i]), int32(pix[i+step])
	return 4*abs(p0-q0)+abs(p1-q1) <= 2*limit+1
}

// interiorOK is the normal filter's extra test: every step between the
// samples on the same side differs by at most ilimit.
func interiorOK(pix []byte, i, step int, ilimit int32) bool {
	p3, p2, p1, p0 := int32(pix[i-4*step]), int32(pix[i-3*step]), int32(pix[i-2*step]), int32(pix[i-step])
	q0, q1, q2, q3 := int32(pix[i]), int32(pix[i+step]), int32(pix[i+2*step]), int32(pix[i+3*step])
	return abs(p3-p2) <= ilimit && abs(p2-p1) <= ilimit && abs(p1-p0) <= ilimit &&
		abs(q3-q2) <= ilimit && abs(q2-q1) <= ilimit && abs(q1-q0) <= ilimit
}

// hev reports high edge variance: |p1-p0| or |q1-q0| above thresh.
func hev(pix []byte, i, step int, thresh int32) bool {
	p1, p0 := int32(pix[i-2*step]), int32(pix[i-step])
	q0, q1 := int32(pix[i]), int32(pix[i+step])
	return abs(p1-p0) > thresh || abs(q1-q0) > thresh
}

func simpleEdge(pix []byte, i, step, next, n int, limit int32) {
	for k := 0; k < n; k, i = k+1, i+next {
		if edgeOK(pix, i, step, limit) {
			adjust(pix, i, step, true)
		}
	}
}

// normalOK runs the normal filter's tests on a segment and reports whether
// the caller's filter applies; with high edge variance it applies the
// common adjustment itself and reports false.
func normalOK(pix []byte, i, step int, limit, ilimit, hevT int32) bool {
	if !edgeOK(pix, i, step, limit) || !interiorOK(pix, i, step, ilimit) {
		return false
	}
	if hev(pix, i, step, hevT) {
		adjust(pix, i, step, true)
		return false
	}
	return true
}

// mbEdge filters n segments across a macroblock edge with the normal filter.
func mbEdge(pix []byte, i, step, next, n int, limit, ilimit, hevT int32) {
	for k := 0; k < n; k, i = k+1, i+next {
		if !normalOK(pix, i, step, limit, ilimit, hevT) {
			continue
		}
		p2, p1, p0 := int32(pix[i-3*step]), int32(pix[i-2*step]), int32(pix[i-step])
		q0, q1, q2 := int32(pix[i]), int32(pix[i+step]), int32(pix[i+2*step])
		w := sclamp(sclamp(p1-q1) + 3*(q0-p0))
		a := (27*w + 63) >> 7
		pix[i], pix[i-step] = u8(q0-a), u8(p0+a)
		a = (18*w + 63) >> 7
		pix[i+step], pix[i-2*step] = u8(q1-a), u8(p1+a)
		a = (9*w + 63) >> 7
		pix[i+2*step], pix[i-3*step] = u8(q2-a), u8(p2+a)
	}
}

// innerEdge filters n segments across a subblock edge with the normal filter.
func innerEdge(pix []byte, i, step, next, n int, limit, ilimit, hevT int32) {
	for k := 0; k < n; k, i = k+1, i+next {
		if !normalOK(pix, i, step, limit, ilimit, hevT) {
			continue
		}
		p1, q1 := int32(pix[i-2*step]), int32(pix[i+step])
		a := (adjust(pix, i, step, false) + 1) >> 1
		pix[i+step], pix[i-2*step] = u8(q1-a), u8(p1+a)
	}
}

// filterMB applies the loop filter to the macroblock at (mbx, mby) of the
// full-scale planes, in the order of RFC 6386 section 15.1: the left
// macroblock edge, the vertical subblock edges, the top macroblock edge,
// the horizontal subblock edges.
func (d *decoder) filterMB(mbx, mby int, f filterInfo) {
	if f.limit == 0 {
		return
	}
	ys, cs := d.ystride, d.cstride
	yi := mby*16*ys + mbx*16
	ci := mby*8*cs + mbx*8
	limit, ilimit, hevT := int32(f.limit), int32(f.ilevel), int32(f.hev)
	if d.filterType == filterSimple {
		if mbx > 0 {
			simpleEdge(d.y, yi, 1, ys, 16, limit+4)
		}
		if f.inner {
			for x := 4; x < 16; x += 4 {
				simpleEdge(d.y, yi+x, 1, ys, 16, limit)
			}
		}
		if mby > 0 {
			simpleEdge(d.y, yi, ys, 1, 16, limit+4)
		}
		if f.inner {
			for y := 4; y < 16; y += 4 {
				simpleEdge(d.y, yi+y*ys, ys, 1, 16, limit)
			}
		}
		return
	}
	if mbx > 0 {
		mbEdge(d.y, yi, 1, ys, 16, limit+4, ilimit, hevT)
		mbEdge(d.u, ci, 1, cs, 8, limit+4, ilimit, hevT)
		mbEdge(d.v, ci, 1, cs, 8, limit+4, ilimit, hevT)
	}
	if f.inner {
		for x := 4; x < 16; x += 4 {
			innerEdge(d.y, yi+x, 1, ys, 16, limit, ilimit, hevT)
		}
		innerEdge(d.u, ci+4, 1, cs, 8, limit, ilimit, hevT)
		innerEdge(d.v, ci+4, 1, cs, 8, limit, ilimit, hevT)
	}
	if mby > 0 {
		mbEdge(d.y, yi, ys, 1, 16, limit+4, ilimit, hevT)
		mbEdge(d.u, ci, cs, 1, 8, limit+4, ilimit, hevT)
		mbEdge(d.v, ci, cs, 1, 8, limit+4, ilimit, hevT)
	}
	if f.inner {
		for y := 4; y < 16; y += 4 {
			innerEdge(d.y, yi+y*ys, ys, 1, 16, limit, ilimit, hevT)
		}
		innerEdge(d.u, ci+4*cs, cs, 1, 8, limit, ilimit, hevT)
		innerEdge(d.v, ci+4*cs, cs, 1, 8, limit, ilimit, hevT)
	}
}
