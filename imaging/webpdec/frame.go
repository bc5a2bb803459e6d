package webpdec

import (
	"context"
	"encoding/binary"
	"image"
)

// decoder decodes the macroblocks of one VP8 key frame, row by row, into
// planes at 1/scale of the frame's size.
//
// Each macroblock is predicted and reconstructed in a small workspace (ws)
// from unfiltered edges: the bottom rows of the macroblock row above
// (yTop, uTop, vTop) and the right column of the macroblock to the left,
// which stays in the workspace. At full scale the reconstructed samples go
// to the output planes and each finished macroblock row is loop-filtered in
// place. At a reduced scale the loop filter is skipped (it is a
// post-process in a key frame: nothing is predicted from its output) and
// each macroblock is averaged down into the output as soon as it is
// reconstructed, so memory is the output planes plus a few rows of edges.
type decoder struct {
	*vp8Header
	ctx   context.Context
	scale int

	// Prediction contexts: the subblock modes along the bottom of the
	// macroblock row above (4 per column) and along the right of the
	// macroblock to the left; which blocks above and to the left had
	// coefficients (bits 0-3 luma columns or rows, 4-5 U, 6-7 V) and whether
	// the Y2 block did.
	topModes         []uint8
	leftModes        [4]uint8
	topNZ, topNZDC   []uint8
	leftNZ, leftNZDC uint8

	// bandProbs[t][n] are the token probabilities of block type t at
	// coefficient position n (through its band); n = 16 is a sentinel.
	bandProbs [numTypes][17]*[numCtx][numProbs]uint8

	// The macroblock being decoded.
	coeffs  [384]int16 // 16 luma, 4 U and 4 V blocks of 16, natural order
	nzY     uint32     // transform code of luma block n in bits 2n, 2n+1
	nzUV    uint32     // the same for U (n = 0-3) and V (4-7)
	isI4    bool
	flatY   bool // luma reconstructed by flat (reduced, DC only): emitted
	flatC   bool // the same for chroma
	ymode   uint8
	uvmode  uint8
	imodes  [16]uint8
	segment int

	ws               [wsSize]byte
	yTop, uTop, vTop []byte

	finfo []filterInfo // full scale with filtering: the current row's strengths

	// Output planes at 1/scale, padded to whole macroblocks.
	y, u, v          []byte
	ystride, cstride int
	doneY, doneC     int         // rows already converted to full range
	ylut, clut       *[256]uint8 // lumaRange and chromaRange

	stats *decodeStats // tests only

	alpha   *alphaRows // the frame's alpha channel, or nil
	aout    []byte     // alpha at 1/scale, ⌈w/s⌉ × ⌈h/s⌉
	astride int
}

// setAlpha attaches a frame's alpha channel.
func (d *decoder) setAlpha(a *alphaRows) {
	d.alpha = a
	s := d.scale
	d.astride = (a.w + s - 1) / s
	d.aout = make([]byte, d.astride*((a.h+s-1)/s))
}

func newDecoder(ctx context.Context, h *vp8Header, scale int, filter bool) *decoder {
	d := &decoder{vp8Header: h, ctx: ctx, scale: scale, ylut: &lumaRange, clut: &chromaRange}
	d.topModes = make([]uint8, 4*h.mbw)
	d.topNZ = make([]uint8, h.mbw)
	d.topNZDC = make([]uint8, h.mbw)
	d.yTop = make([]byte, 16*h.mbw)
	d.uTop = make([]byte, 8*h.mbw)
	d.vTop = make([]byte, 8*h.mbw)
	if scale == 1 && filter && h.filterType != filterNone {
		d.finfo = make([]filterInfo, h.mbw)
	}
	for t := range d.bandProbs {
		for n := range 17 {
			d.bandProbs[t][n] = &h.probs[t][coeffBands[n]]
		}
	}
	d.ystride = h.mbw * 16 / scale
	d.cstride = h.mbw * 8 / scale
	d.y = make([]byte, d.ystride*h.mbh*16/scale)
	d.u = make([]byte, d.cstride*h.mbh*8/scale)
	d.v = make([]byte, d.cstride*h.mbh*8/scale)
	return d
}

// coeffBands maps a coefficient position to its band (RFC 6386 section
// 13.3); position 16 is a sentinel for the probabilities after the last.
var coeffBands = [17]uint8{0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0}

// zigzag maps a coefficient's position in the bitstream to its place in
// the 4×4 block, row by row (RFC 6386 section 13.3).
var zigzag = [16]uint8{0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15}

// bmodeTree is the subblock mode tree (RFC 6386 section 11.2) in libwebp's
// layout: from node n (whose probability is the n-th), bit b leads to
// bmodeTree[2n+b], a further node if positive, else minus a mode.
var bmodeTree = [18]int8{
	-bDC, 1, -bTM, 2, -bVE, 3, 4, 6, -bHE, 5, -bRD, -bVR, -bLD, 7, -bVL, 8, -bHD, -bHU,
}

// cat3456 are the probabilities of the extra bits of the DCT_CAT3 to
// DCT_CAT6 tokens (RFC 6386 section 13.2), zero-terminated.
var cat3456 = [4][12]uint8{
	{173, 148, 140},
	{176, 155, 140, 135},
	{180, 157, 141, 134, 130},
	{254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129},
}

// decodeFrame decodes every macroblock, checking ctx between rows, and
// returns the planes as a full-range *image.YCbCr of ⌈w/s⌉ × ⌈h/s⌉.
func (d *decoder) decodeFrame() (*image.YCbCr, error) {
	for mby := 0; mby < d.mbh; mby++ {
		if err := d.ctx.Err(); err != nil {
			return nil, err
		}
		if d.alpha != nil {
			if err := d.alpha.load(mby); err != nil {
				return nil, err
			}
			if d.scale == 1 {
				a := d.alpha
				copy(d.aout[a.y0*a.w:], a.window[:(min(a.y0+16, a.h)-a.y0)*a.w])
			}
		}
		tokens := &d.parts[mby&(d.nparts-1)]
		d.leftModes = [4]uint8{}
		d.leftNZ, d.leftNZDC = 0, 0
		for mbx := 0; mbx < d.mbw; mbx++ {
			skip := d.parseMB(mbx, tokens)
			if d.finfo != nil {
				f := d.fstrength[d.segment][b2i(d.isI4)]
				f.inner = f.inner || !skip
				d.finfo[mbx] = f
			}
			d.reconstructMB(mbx, mby)
			d.emit(mbx, mby)
		}
		if d.first.eof {
			return nil, truncatedError("first partition ends inside the macroblock modes")
		}
		if tokens.eof {
			return nil, truncatedError("token partition ends inside the macroblock data")
		}
		if d.finfo != nil {
			for mbx, f := range d.finfo {
				d.filterMB(mbx, mby, f)
			}
		}
		d.toFullRange(mby)
	}
	w := (d.width + d.scale - 1) / d.scale
	h := (d.height + d.scale - 1) / d.scale
	return &image.YCbCr{
		Y: d.y, Cb: d.u, Cr: d.v,
		YStride: d.ystride, CStride: d.cstride,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// parseMB reads a macroblock's header from the first partition (segment,
// skip flag, intra modes: RFC 6386 sections 10, 11.2-11.4, 19.3) and its
// coefficients from tokens. It reports whether the macroblock has no
// nonzero coefficient.
func (d *decoder) parseMB(mbx int, tokens *boolReader) (skip bool) {
	br := &d.first
	if d.updateMap {
		if !br.readBit(d.segProbs[0]) {
			d.segment = b2i(br.readBit(d.segProbs[1]))
		} else {
			d.segment = 2 + b2i(br.readBit(d.segProbs[2]))
		}
	}
	if d.useSkip {
		skip = br.readBit(d.skipProb)
	}
	d.isI4 = !br.readBit(145)
	top := d.topModes[4*mbx : 4*mbx+4 : 4*mbx+4]
	if !d.isI4 {
		var m uint8
		switch {
		case !br.readBit(156):
			m = bDC
			if br.readBit(163) {
				m = bVE
			}
		case !br.readBit(128):
			m = bHE
		default:
			m = bTM
		}
		d.ymode = m
		top[0], top[1], top[2], top[3] = m, m, m, m
		d.leftModes = [4]uint8{m, m, m, m}
	} else {
		// The subblock modes, 16 trees a macroblock: the reader's state in
		// locals, as in getCoeffs.
		value, nbits, rng := br.value, br.nbits, br.rng
		for j := range 4 {
			l := d.leftModes[j]
			for i := range 4 {
				p := &bmodeProbs[top[i]][l]
				n := int8(0)
				for {
					if nbits < 0 {
						value, nbits = br.refill(value, nbits)
					}
					var bit uint32
					bit, value, nbits, rng = boolStep(value, nbits, rng, p[n])
					if n = bmodeTree[2*int(n)+int(bit&1)]; n <= 0 {
						break
					}
				}
				m := uint8(-n)
				d.imodes[4*j+i] = m
				top[i], l = m, m
			}
			d.leftModes[j] = l
		}
		br.value, br.nbits, br.rng = value, nbits, rng
	}
	switch {
	case !br.readBit(142):
		d.uvmode = bDC
	case !br.readBit(114):
		d.uvmode = bVE
	case !br.readBit(183):
		d.uvmode = bHE
	default:
		d.uvmode = bTM
	}
	if skip {
		d.topNZ[mbx], d.leftNZ = 0, 0
		if !d.isI4 {
			d.topNZDC[mbx], d.leftNZDC = 0, 0
		}
		d.nzY, d.nzUV = 0, 0
		return true
	}
	return d.parseResiduals(mbx, tokens)
}

// parseResiduals reads the coefficients of the current macroblock (RFC 6386
// section 13), dequantized, and the transform each block needs.
func (d *decoder) parseResiduals(mbx int, br *boolReader) (skip bool) {
	q := &d.dq[d.segment]
	c := d.coeffs[:]
	first, typ := 0, typeYWithDC
	if !d.isI4 {
		var dc [16]int16
		nz := getCoeffs(br, &d.bandProbs[typeY2], int(d.topNZDC[mbx]+d.leftNZDC), q.y2, 0, dc[:])
		f := b2u8(nz > 0)
		d.topNZDC[mbx], d.leftNZDC = f, f
		if nz > 1 {
			iwht(&dc, c)
		} else {
			dc0 := int16((int32(dc[0]) + 3) >> 3)
			for i := 0; i < 256; i += 16 {
				c[i] = dc0
			}
		}
		first, typ = 1, typeYAfterY2
	}
	tnz, lnz := d.topNZ[mbx], d.leftNZ
	var nzY uint32
	for y := range 4 {
		l := (lnz >> y) & 1
		for x := range 4 {
			n := 4*y + x
			blk := c[16*n : 16*n+16 : 16*n+16]
			nz := getCoeffs(br, &d.bandProbs[typ], int(l+(tnz>>x)&1), q.y1, first, blk)
			l = b2u8(nz > first)
			tnz = tnz&^(1<<x) | l<<x
			nzY |= nzCode(nz, blk[0]) << (2 * n)
		}
		lnz = lnz&^(1<<y) | l<<y
	}
	var nzUV uint32
	for ch := range 2 {
		sh := 4 + 2*ch
		for y := range 2 {
			l := (lnz >> (sh + y)) & 1
			for x := range 2 {
				n := 4*ch + 2*y + x
				blk := c[256+16*n : 256+16*n+16 : 256+16*n+16]
				nz := getCoeffs(br, &d.bandProbs[typeUV], int(l+(tnz>>(sh+x))&1), q.uv, 0, blk)
				l = b2u8(nz > 0)
				tnz = tnz&^(1<<(sh+x)) | l<<(sh+x)
				nzUV |= nzCode(nz, blk[0]) << (2 * n)
			}
			lnz = lnz&^(1<<(sh+y)) | l<<(sh+y)
		}
	}
	d.topNZ[mbx], d.leftNZ = tnz, lnz
	d.nzY, d.nzUV = nzY, nzUV
	return nzY|nzUV == 0
}

// nzCode picks a block's transform from the position after its last
// decoded coefficient and its DC value: 3 the full inverse DCT, 2 the one
// for the first three coefficients, 1 DC only, 0 nothing.
func nzCode(nz int, dc int16) uint32 {
	switch {
	case nz > 3:
		return 3
	case nz > 1:
		return 2
	case dc != 0:
		return 1
	}
	return 0
}

// getCoeffs decodes the tokens of one block from position n (1 for luma
// blocks whose DC is in Y2) with context ctx (how many of the blocks above
// and to the left had coefficients), writing the dequantized coefficients
// to out in natural order. It returns the position after the last token
// read: n itself when the block has none.
func getCoeffs(br *boolReader, prob *[17]*[numCtx][numProbs]uint8, ctx int, dq [2]int32, n int, out []int16) int {
	out = out[:16:16]
	// The reader's state lives in locals here, the hottest loop of the
	// decoder; largeValue, rarer, works on the reader itself.
	value, nbits, rng := br.value, br.nbits, br.rng
	var bit uint32
	p := &prob[n][ctx]
	for ; n < 16; n++ {
		if nbits < 0 {
			value, nbits = br.refill(value, nbits)
		}
		if bit, value, nbits, rng = boolStep(value, nbits, rng, p[0]); bit == 0 {
			break // end of block
		}
		for { // zeros; no end-of-block may follow one
			if nbits < 0 {
				value, nbits = br.refill(value, nbits)
			}
			if bit, value, nbits, rng = boolStep(value, nbits, rng, p[1]); bit != 0 {
				break
			}
			if n++; n == 16 {
				br.value, br.nbits, br.rng = value, nbits, rng
				return 16
			}
			p = &prob[n][0]
		}
		next := prob[n+1]
		if nbits < 0 {
			value, nbits = br.refill(value, nbits)
		}
		var v int32
		if bit, value, nbits, rng = boolStep(value, nbits, rng, p[2]); bit == 0 {
			v = 1
			p = &next[1]
		} else {
			br.value, br.nbits, br.rng = value, nbits, rng
			v = largeValue(br, p)
			value, nbits, rng = br.value, br.nbits, br.rng
			p = &next[2]
		}
		if nbits < 0 {
			value, nbits = br.refill(value, nbits)
		}
		// The sign, at probability 1/2, applied without a branch: it is
		// as likely one way as the other.
		bit, value, nbits, rng = boolStep(value, nbits, rng, 128)
		v = (v ^ int32(bit)) - int32(bit)
		q := dq[1]
		if n == 0 {
			q = dq[0]
		}
		// Stored as 16 bits, as libwebp and libvpx do: hostile streams can
		// overflow it, real ones stay far below.
		out[zigzag[n]] = int16(v * q)
	}
	br.value, br.nbits, br.rng = value, nbits, rng
	return n
}

// largeValue decodes a token of magnitude 2 or more (RFC 6386 section 13.2).
func largeValue(br *boolReader, p *[numProbs]uint8) int32 {
	if !br.readBit(p[3]) {
		if !br.readBit(p[4]) {
			return 2
		}
		return 3 + int32(b2i(br.readBit(p[5])))
	}
	if !br.readBit(p[6]) {
		if !br.readBit(p[7]) {
			return 5 + int32(b2i(br.readBit(159))) // DCT_CAT1
		}
		v := 7 + 2*int32(b2i(br.readBit(165))) // DCT_CAT2
		return v + int32(b2i(br.readBit(145)))
	}
	b1 := b2i(br.readBit(p[8]))
	b0 := b2i(br.readBit(p[9+b1]))
	cat := 2*b1 + b0
	v := int32(0)
	for _, pr := range cat3456[cat] {
		if pr == 0 {
			break
		}
		v += v + int32(b2i(br.readBit(pr)))
	}
	return v + 3 + 8<<cat
}

// reconstructMB predicts the current macroblock and adds its residual in
// the workspace, then stores its bottom row for the row below.
func (d *decoder) reconstructMB(mbx, mby int) {
	if d.stats != nil {
		for _, c := range d.coeffs {
			if c > 2048 || c < -2048 {
				d.stats.wild = true
			}
		}
	}
	ws := d.ws[:]
	if mbx == 0 {
		for j := range 16 {
			ws[yOff-1+j*bps] = 129
		}
		for j := range 8 {
			ws[uOff-1+j*bps] = 129
			ws[vOff-1+j*bps] = 129
		}
		if mby > 0 {
			ws[yOff-bps-1], ws[uOff-bps-1], ws[vOff-bps-1] = 129, 129, 129
		} else {
			// Above the frame: 127, corner and above-right included. No
			// later macroblock of the row overwrites it.
			for i := -1; i < 20; i++ {
				ws[yOff-bps+i] = 127
			}
			for i := -1; i < 8; i++ {
				ws[uOff-bps+i] = 127
				ws[vOff-bps+i] = 127
			}
		}
	} else {
		// The right column of the previous macroblock, with the sample
		// above it, becomes the left column and corner.
		for j := -1; j < 16; j++ {
			ws[yOff-1+j*bps] = ws[yOff+15+j*bps]
		}
		for j := -1; j < 8; j++ {
			ws[uOff-1+j*bps] = ws[uOff+7+j*bps]
			ws[vOff-1+j*bps] = ws[vOff+7+j*bps]
		}
	}
	if mby > 0 {
		copy(ws[yOff-bps:yOff-bps+16], d.yTop[16*mbx:])
		copy(ws[uOff-bps:uOff-bps+8], d.uTop[8*mbx:])
		copy(ws[vOff-bps:vOff-bps+8], d.vTop[8*mbx:])
	}
	c := d.coeffs[:]
	d.flatY = false
	if d.isI4 {
		tr := ws[yOff-bps+16 : yOff-bps+20 : yOff-bps+20]
		if mby > 0 {
			if mbx < d.mbw-1 {
				copy(tr, d.yTop[16*mbx+16:])
			} else {
				v := d.yTop[16*mbx+15]
				tr[0], tr[1], tr[2], tr[3] = v, v, v, v
			}
		}
		// Subblocks on the right read the macroblock's above-right samples,
		// not those of the subblock above-right (which is not decoded yet).
		for r := 3; r < 12; r += 4 {
			copy(ws[yOff+r*bps+16:yOff+r*bps+20], tr)
		}
		for n := range 16 {
			off := yOff + (n>>2)*4*bps + (n&3)*4
			pred4(ws, off, d.imodes[n])
			if code := (d.nzY >> (2 * n)) & 3; code != 0 {
				addResidual(code, c[16*n:], ws, off)
				clear(c[16*n : 16*n+16])
			}
		}
	} else if d.flatY = d.scale > 1 && d.alpha == nil && d.ymode == bDC && d.nzY&0xaaaaaaaa == 0; d.flatY {
		d.flat(c, yOff, 16, 4, dcPred(ws, yOff, 16, mby > 0, mbx > 0), d.nzY, d.y[mby*16/d.scale*d.ystride+mbx*16/d.scale:], d.ystride, d.ylut)
	} else {
		predBlock(ws, yOff, 16, d.ymode, mby > 0, mbx > 0)
		if d.nzY != 0 {
			for n := range 16 {
				if code := (d.nzY >> (2 * n)) & 3; code != 0 {
					addResidual(code, c[16*n:], ws, yOff+(n>>2)*4*bps+(n&3)*4)
					clear(c[16*n : 16*n+16])
				}
			}
		}
	}
	if d.flatC = d.scale > 1 && d.alpha == nil && d.uvmode == bDC && d.nzUV&0xaaaa == 0; d.flatC {
		ci := mby*8/d.scale*d.cstride + mbx*8/d.scale
		d.flat(c[256:], uOff, 8, 2, dcPred(ws, uOff, 8, mby > 0, mbx > 0), d.nzUV, d.u[ci:], d.cstride, d.clut)
		d.flat(c[320:], vOff, 8, 2, dcPred(ws, vOff, 8, mby > 0, mbx > 0), d.nzUV>>8, d.v[ci:], d.cstride, d.clut)
	} else {
		predBlock(ws, uOff, 8, d.uvmode, mby > 0, mbx > 0)
		predBlock(ws, vOff, 8, d.uvmode, mby > 0, mbx > 0)
	}
	if d.nzUV != 0 && !d.flatC {
		for n := range 8 {
			if code := (d.nzUV >> (2 * n)) & 3; code != 0 {
				off := uOff
				if n >= 4 {
					off = vOff
				}
				off += ((n&3)>>1)*4*bps + (n&1)*4
				addResidual(code, c[256+16*n:], ws, off)
				clear(c[256+16*n : 256+16*n+16])
			}
		}
	}
	if mby < d.mbh-1 {
		copy(d.yTop[16*mbx:16*mbx+16], ws[yOff+15*bps:])
		copy(d.uTop[8*mbx:8*mbx+8], ws[uOff+7*bps:])
		copy(d.vTop[8*mbx:8*mbx+8], ws[vOff+7*bps:])
	}
}

// emit writes the reconstructed macroblock to the output planes: copied at
// full scale, averaged over s×s samples at 1/s, converted to full range.
func (d *decoder) emit(mbx, mby int) {
	ws := d.ws[:]
	s := d.scale
	if s == 1 {
		yi := mby*16*d.ystride + mbx*16
		for j := range 16 {
			copy(d.y[yi+j*d.ystride:yi+j*d.ystride+16], ws[yOff+j*bps:])
		}
		ci := mby*8*d.cstride + mbx*8
		for j := range 8 {
			copy(d.u[ci+j*d.cstride:ci+j*d.cstride+8], ws[uOff+j*bps:])
			copy(d.v[ci+j*d.cstride:ci+j*d.cstride+8], ws[vOff+j*bps:])
		}
		return
	}
	if d.alpha != nil {
		d.emitAlpha(mbx, mby)
		return
	}
	if !d.flatY {
		n := 16 / s
		reduce(ws, yOff, s, n, d.y[mby*n*d.ystride+mbx*n:], d.ystride, d.ylut)
	}
	if !d.flatC {
		n := 8 / s
		ci := mby*n*d.cstride + mbx*n
		reduce(ws, uOff, s, n, d.u[ci:], d.cstride, d.clut)
		reduce(ws, vOff, s, n, d.v[ci:], d.cstride, d.clut)
	}
}

// flat reconstructs a DC-predicted block of n×n samples (k×k 4×4 blocks,
// nz their transform codes) whose residual is DC only, at a reduced scale:
// each 4×4 block is one value, the prediction plus its DC, so its cells
// are that value (at 1/8 the mean of four of them) and only the edges the
// next macroblocks predict from (the right column and bottom row) need
// writing to the workspace. The output is what reconstructing and
// averaging every sample would give.
func (d *decoder) flat(c []int16, off, n, k int, pred uint8, nz uint32, dst []byte, stride int, lut *[256]uint8) {
	var v [16]uint8
	for b := range k * k {
		dc := int32(0)
		if (nz>>(2*b))&3 != 0 {
			dc = (int32(c[16*b]) + 4) >> 3
			c[16*b] = 0
		}
		v[b] = clip255(int32(pred) + dc)
	}
	ws := d.ws[:]
	for by := range k { // the right column, four rows a block
		val := v[by*k+k-1]
		i := off + 4*by*bps + n - 1
		ws[i], ws[i+bps], ws[i+2*bps], ws[i+3*bps] = val, val, val, val
	}
	last := off + (n-1)*bps // the bottom row, four samples a block
	for bx := range k {
		binary.LittleEndian.PutUint32(ws[last+4*bx:], uint32(v[(k-1)*k+bx])*0x01010101)
	}
	switch d.scale {
	case 2: // 2×2 samples a block
		for by := range k {
			r0, r1 := dst[2*by*stride:][:2*k], dst[(2*by+1)*stride:][:2*k]
			for bx := range k {
				val := uint16(lut[v[by*k+bx]]) * 0x0101
				binary.LittleEndian.PutUint16(r0[2*bx:], val)
				binary.LittleEndian.PutUint16(r1[2*bx:], val)
			}
		}
	case 4: // a sample a block
		for by := range k {
			row := dst[by*stride:][:k]
			for bx := range row {
				row[bx] = lut[v[by*k+bx]]
			}
		}
	default: // 2×2 blocks a sample
		for oy := range k / 2 {
			for ox := range k / 2 {
				b := 2*oy*k + 2*ox
				sum := uint32(v[b]) + uint32(v[b+1]) + uint32(v[b+k]) + uint32(v[b+k+1])
				dst[oy*stride+ox] = lut[(sum+2)>>2]
			}
		}
	}
}

// reduce averages the n·s × n·s block at off in s×s cells into n×n output
// samples, mapped through lut. For s = 2 and 4 it sums eight samples at a
// time in the lanes of a 64-bit word.
func reduce(ws []byte, off, s, n int, dst []byte, stride int, lut *[256]uint8) {
	const lanes16, lanes32 = 0x00ff00ff00ff00ff, 0x0000ffff0000ffff
	switch s {
	case 2:
		for oy := range n {
			d := dst[oy*stride:][:n]
			for ox := 0; ox < n; ox += 4 {
				i := off + 2*oy*bps + 2*ox
				r0 := binary.LittleEndian.Uint64(ws[i:])
				r1 := binary.LittleEndian.Uint64(ws[i+bps:])
				// Four sums of 2×2 in 16-bit lanes, rounded and halved twice.
				v := r0&lanes16 + r0>>8&lanes16 + r1&lanes16 + r1>>8&lanes16 + 0x0002000200020002
				v = v >> 2 & lanes16
				o := d[ox : ox+4 : ox+4]
				o[0], o[1], o[2], o[3] = lut[uint8(v)], lut[uint8(v>>16)], lut[uint8(v>>32)], lut[uint8(v>>48)]
			}
		}
	case 4:
		for oy := range n {
			d := dst[oy*stride:][:n]
			for ox := 0; ox < n; ox += 2 {
				i := off + 4*oy*bps + 4*ox
				var v uint64
				for j := range 4 {
					r := binary.LittleEndian.Uint64(ws[i+j*bps:])
					p := r&lanes16 + r>>8&lanes16  // pairs in 16-bit lanes
					v += p&lanes32 + p>>16&lanes32 // fours in 32-bit lanes
				}
				v = (v + 0x0000000800000008) >> 4
				o := d[ox : ox+2 : ox+2]
				o[0], o[1] = lut[uint8(v)], lut[uint8(v>>32)]
			}
		}
	default: // 8
		for oy := range n {
			d := dst[oy*stride:][:n]
			for ox := range d {
				sum := uint32(0)
				for j := range 8 {
					r := ws[off+(8*oy+j)*bps+8*ox:][:8]
					sum += uint32(r[0]) + uint32(r[1]) + uint32(r[2]) + uint32(r[3]) +
						uint32(r[4]) + uint32(r[5]) + uint32(r[6]) + uint32(r[7])
				}
				d[ox] = lut[(sum+32)>>6]
			}
		}
	}
}

// toFullRange converts the output rows that no later filtering will touch
// from VP8's limited range to full range (at reduced scale emit already
// did).
func (d *decoder) toFullRange(mby int) {
	if d.scale != 1 {
		return
	}
	endY, endC := 16*(mby+1), 8*(mby+1)
	if mby < d.mbh-1 && d.finfo != nil {
		// The next row's filter reads up to 4 rows above its top edge
		// and writes 3.
		endY -= 4
		endC -= 4
	}
	convert(d.y[d.doneY*d.ystride:endY*d.ystride], d.ylut)
	convert(d.u[d.doneC*d.cstride:endC*d.cstride], d.clut)
	convert(d.v[d.doneC*d.cstride:endC*d.cstride], d.clut)
	d.doneY, d.doneC = endY, endC
}

func convert(b []byte, lut *[256]uint8) {
	for i, v := range b {
		b[i] = lut[v]
	}
}
