package webpdec

import "context"

// VP8L's transforms (RFC 9649 section 4), undone a row at a time in the
// reverse of the order the bitstream lists them.

const (
	tPredictor = iota
	tColor
	tSubtractGreen
	tColorIndexing
)

// ltransform is one transform: its kind, the width of the image it
// produces, its block size (1<<bits) or pixel packing, its data (the
// sub-image of predictor modes or colour multipliers, or the colour
// table), and for the predictor the row it produced last.
type ltransform struct {
	kind int
	w    int
	bits uint
	data []uint32
	prev []uint32
}

// vp8lImage decodes a VP8L image stream of w×h (with its 5-byte header
// when header is set, as in a VP8L chunk; without, as in an ALPH chunk),
// calling sink with each finished row of ARGB pixels, in order. It checks
// ctx between rows. Memory is the transforms' data (a sixteenth of the
// pixels or less), a window of at most 2^21 coded pixels and a few rows.
func vp8lImage(ctx context.Context, p []byte, header bool, w, h int, sink func(y int, row []uint32) error) error {
	br := &lbits{buf: p}
	if header {
		br.read(8) // signature, size, alpha hint and version: see vp8lSize
		br.read(32)
	}
	var ts []*ltransform
	var seen [4]bool
	xsize := w
	for br.flag() {
		t := &ltransform{kind: int(br.read(2)), w: xsize}
		if seen[t.kind] {
			return FormatError("VP8L transform used twice")
		}
		seen[t.kind] = true
		switch t.kind {
		case tPredictor, tColor:
			t.bits = uint(br.read(3)) + 2
			var err error
			if t.data, err = readSubImage(ctx, br, subSize(xsize, t.bits), subSize(h, t.bits)); err != nil {
				return err
			}
			if t.kind == tPredictor {
				t.prev = make([]uint32, xsize)
			}
		case tColorIndexing:
			n := int(br.read(8)) + 1
			table, err := readSubImage(ctx, br, n, 1)
			if err != nil {
				return err
			}
			t.data = make([]uint32, 256) // indexes past the table are transparent black
			t.data[0] = table[0]
			for i := 1; i < n; i++ { // stored as differences, per channel
				t.data[i] = addPixels(t.data[i-1], table[i])
			}
			switch {
			case n <= 2:
				t.bits = 3
			case n <= 4:
				t.bits = 2
			case n <= 16:
				t.bits = 1
			}
			xsize = subSize(xsize, t.bits)
		}
		ts = append(ts, t)
	}
	s, err := readStream(ctx, br, xsize, h, true)
	if err != nil {
		return err
	}
	total, mask := xsize*h, -1 // -1: the whole image fits, indexes need no wrap
	if n := ringSize(xsize); n < total {
		total, mask = n, n-1
	}
	ring := make([]uint32, total)
	// One row buffer per stage: coded, then each transform's output.
	rows := make([][]uint32, len(ts)+1)
	rows[len(ts)] = make([]uint32, xsize)
	for i := len(ts) - 1; i >= 0; i-- {
		if t := ts[i]; t.kind == tSubtractGreen || t.kind == tColor {
			rows[i] = rows[i+1] // in place: same width
		} else {
			rows[i] = make([]uint32, t.w)
		}
	}
	return s.decode(ctx, ring, mask, func(y, start int) error {
		coded := rows[len(ts)]
		n := copy(coded, ring[start:])
		copy(coded[n:], ring)
		for i := len(ts) - 1; i >= 0; i-- {
			ts[i].inverse(y, rows[i+1], rows[i])
		}
		return sink(y, rows[0])
	})
}

// inverse undoes the transform on row y: in holds its input (of the width
// the next transform produces), out receives the result (t.w wide).
func (t *ltransform) inverse(y int, in, out []uint32) {
	switch t.kind {
	case tSubtractGreen:
		for x, p := range in {
			g := p >> 8 & 0xff
			out[x] = p&0xff00ff00 | (p&0x00ff00ff+(g<<16|g))&0x00ff00ff
		}
	case tColor:
		tw := subSize(t.w, t.bits)
		codes := t.data[(y>>t.bits)*tw:]
		var g2r, g2b, r2b int32
		for x, p := range in {
			if x&(1<<t.bits-1) == 0 {
				c := codes[x>>t.bits]
				g2r, g2b, r2b = int32(int8(c)), int32(int8(c>>8)), int32(int8(c>>16))
			}
			g := int32(int8(p >> 8))
			r := uint32(int32(p>>16) + g2r*g>>5)
			b := int32(p) + g2b*g>>5 + r2b*int32(int8(r))>>5
			out[x] = p&0xff00ff00 | (r&0xff)<<16 | uint32(b)&0xff
		}
	case tColorIndexing:
		if t.bits == 0 {
			for x := range out {
				out[x] = t.data[in[x]>>8&0xff]
			}
			return
		}
		bpp := uint(8 >> t.bits)
		per, vmask := 1<<t.bits-1, uint32(1)<<bpp-1
		for x := range out {
			v := in[x>>t.bits] >> 8 >> (uint(x&per) * bpp)
			out[x] = t.data[v&vmask]
		}
	case tPredictor:
		t.predict(y, in, out)
	}
}

// predict undoes the predictor transform (RFC 9649 section 4.1) on row y:
// each pixel is its residual plus the prediction its block's mode makes
// from its neighbours in this transform's output (left, top-left, top and
// top-right; the rightmost pixel's top-right is the row's first).
func (t *ltransform) predict(y int, in, out []uint32) {
	top := t.prev
	if y == 0 {
		out[0] = addPixels(in[0], 0xff000000)
		for x := 1; x < len(out); x++ {
			out[x] = addPixels(in[x], out[x-1])
		}
		copy(top, out)
		return
	}
	tw := subSize(t.w, t.bits)
	modes := t.data[(y>>t.bits)*tw:]
	out[0] = addPixels(in[0], top[0])
	mode := uint32(0)
	for x := 1; x < len(out); x++ {
		if x&(1<<t.bits-1) == 0 || x == 1 {
			mode = modes[x>>t.bits] >> 8 & 0xf
		}
		L, T, TL := out[x-1], top[x], top[x-1]
		TR := out[0]
		if x+1 < len(out) {
			TR = top[x+1]
		}
		var pred uint32
		switch mode {
		case 1:
			pred = L
		case 2:
			pred = T
		case 3:
			pred = TR
		case 4:
			pred = TL
		case 5:
			pred = average2(average2(L, TR), T)
		case 6:
			pred = average2(L, TL)
		case 7:
			pred = average2(L, T)
		case 8:
			pred = average2(TL, T)
		case 9:
			pred = average2(T, TR)
		case 10:
			pred = average2(average2(L, TL), average2(T, TR))
		case 11:
			pred = selectPixel(L, T, TL)
		case 12:
			pred = clampAddSubtractFull(L, T, TL)
		case 13:
			pred = clampAddSubtractHalf(average2(L, T), TL)
		default: // 0, and 14 and 15, which libwebp treats as 0
			pred = 0xff000000
		}
		out[x] = addPixels(in[x], pred)
	}
	copy(top, out)
}

// addPixels adds two ARGB pixels channel by channel, modulo 256.
func addPixels(a, b uint32) uint32 {
	return (a&0xff00ff00+b&0xff00ff00)&0xff00ff00 | (a&0x00ff00ff+b&0x00ff00ff)&0x00ff00ff
}

// average2 is the channel-wise mean, rounded down.
func average2(a, b uint32) uint32 { return ((a^b)&0xfefefefe)>>1 + a&b }

// selectPixel predicts L or T, whichever is closer (in the sum of the
// channels' differences) to the gradient estimate L + T - TL.
func selectPixel(L, T, TL uint32) uint32 {
	var pl, pt int32 // distances of the estimate to L and to T
	for sh := uint(0); sh < 32; sh += 8 {
		l, t, tl := int32(L>>sh&0xff), int32(T>>sh&0xff), int32(TL>>sh&0xff)
		pl += abs(t - tl)
		pt += abs(l - tl)
	}
	if pl < pt {
		return L
	}
	return T
}

func clampAddSubtractFull(a, b, c uint32) uint32 {
	var out uint32
	for sh := uint(0); sh < 32; sh += 8 {
		v := int32(a>>sh&0xff) + int32(b>>sh&0xff) - int32(c>>sh&0xff)
		out |= uint32(clip255(v)) << sh
	}
	return out
}

func clampAddSubtractHalf(a, b uint32) uint32 {
	var out uint32
	for sh := uint(0); sh < 32; sh += 8 {
		x, y := int32(a>>sh&0xff), int32(b>>sh&0xff)
		out |= uint32(clip255(x+(x-y)/2)) << sh
	}
	return out
}
