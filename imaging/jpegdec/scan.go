package jpegdec

import (
	"bytes"
	"image"
	"math/bits"
)

// scanComp is one component of a scan.
type scanComp struct {
	c      *component
	dc, ac *huffTable
	td, ta uint8 // table selectors
	q      *[64]int32
}

// decode reads every scan up to EOI (d.pos is at the first SOS marker) and
// builds the image.
func (d *decoder) decode() (image.Image, error) {
	cs, err := d.colorSpace()
	if err != nil {
		return nil, err
	}
	if cs == YCbCr {
		if _, ok := d.subsampling(); !ok {
			return nil, UnsupportedError("chroma subsampling")
		}
	}
	d.skipFrom = 64
	if d.progressive && d.ncoef < 64 {
		d.skipFrom = d.planSkips()
	}
	for {
		m, seg, err := d.nextSegment()
		if err != nil {
			return nil, err
		}
		switch m {
		case mEOI:
			if !d.allocated {
				return nil, FormatError("no image data")
			}
			if d.progressive {
				if err := d.reconstruct(); err != nil {
					return nil, err
				}
			}
			return d.output(cs), nil
		case mSOS:
			if err := d.scan(seg); err != nil {
				return nil, err
			}
		default:
			if err := d.segment(m, seg); err != nil {
				return nil, err
			}
		}
	}
}

// allocate makes the output planes (and, for a progressive frame, the
// coefficient store) once the limits have been checked.
func (d *decoder) allocate() error {
	if d.maxPixels > 0 && int64(d.width)*int64(d.height) > d.maxPixels {
		return ErrTooManyPixels
	}
	for i := 0; i < d.ncomp; i++ {
		c := &d.comp[i]
		c.stride = c.bw * d.bs
		c.plane = make([]byte, c.stride*c.bh*d.bs)
		if d.progressive {
			c.coef = make([]int16, c.bw*c.bh*d.ncoef)
			c.nz = make([]uint64, c.bw*c.bh)
		}
	}
	d.allocated = true
	return nil
}

// scan decodes one scan whose header is seg; d.pos is at its entropy-coded
// data and is left after it.
func (d *decoder) scan(seg []byte) error {
	if len(seg) < 1 {
		return FormatError("short SOS segment")
	}
	ns := int(seg[0])
	if ns < 1 || ns > d.ncomp || len(seg) != 4+2*ns {
		return FormatError("bad SOS segment")
	}
	var comps [4]scanComp
	for i := 0; i < ns; i++ {
		id, tables := seg[1+2*i], seg[2+2*i]
		var c *component
		for j := 0; j < d.ncomp; j++ {
			if d.comp[j].id == id {
				c = &d.comp[j]
			}
		}
		if c == nil {
			return FormatError("unknown component in scan")
		}
		for j := 0; j < i; j++ {
			if comps[j].c == c {
				return FormatError("repeated component in scan")
			}
		}
		td, ta := tables>>4, tables&15
		if td > 3 || ta > 3 {
			return FormatError("bad Huffman table selector")
		}
		comps[i] = scanComp{c: c, dc: d.huff[0][td], ac: d.huff[1][ta], td: td, ta: ta, q: &d.quant[c.tq]}
		if !d.qset[c.tq] {
			return FormatError("missing quantization table")
		}
	}
	p := seg[1+2*ns:]
	ss, se, ah, al := int(p[0]), int(p[1]), uint(p[2]>>4), uint(p[2]&15)
	if d.progressive {
		if ss == 0 && se != 0 || ss > se || se > 63 || ah > 13 || al > 13 {
			return FormatError("bad progressive scan parameters")
		}
		if ss > 0 && ns != 1 {
			return FormatError("interleaved AC scan")
		}
	} else if ss != 0 || se != 63 || ah != 0 || al != 0 {
		// Baseline encoders write 0, 63, 0; anything else is invalid, but
		// libjpeg only warns, and so we decode a full block regardless.
		ss, se, ah, al = 0, 63, 0, 0
	}
	// The Huffman tables this scan uses must exist.
	for i := 0; i < ns; i++ {
		sc := comps[i]
		if (ss == 0 && ah == 0) && !d.hset[0][sc.td] || ss > 0 && !d.hset[1][sc.ta] ||
			!d.progressive && !d.hset[1][sc.ta] {
			return FormatError("missing Huffman table")
		}
	}
	if !d.allocated {
		if err := d.allocate(); err != nil {
			return err
		}
	}
	// A progressive AC scan of frequencies the scale does not need is
	// skipped without entropy decoding (see planSkips).
	if d.progressive && ss >= d.skipFrom {
		d.skipEntropyData()
		return nil
	}
	d.br = bitReader{src: d.src}
	d.br.reset(d.pos)
	d.eobrun = 0
	for i := 0; i < ns; i++ {
		comps[i].c.dcPred = 0
		comps[i].c.scanned = true
	}

	// Blocks per MCU and the MCU count: an interleaved scan goes MCU by
	// MCU; a single-component scan goes block by block over the blocks
	// that the component really has (T.81 A.2).
	nmcu := d.mcusX * d.mcusY
	if ns == 1 {
		c := comps[0].c
		nmcu = c.cw * c.ch
	}
	var (
		rst  = 0 // index of the next expected RSTn
		left = d.ri
	)
	perRow := d.mcusX
	if ns == 1 {
		perRow = comps[0].c.cw
	}
	for mcu := 0; mcu < nmcu; mcu++ {
		if mcu%perRow == 0 {
			if err := d.ctx.Err(); err != nil {
				return err
			}
		}
		if d.ri > 0 && left == 0 {
			if err := d.restart(rst); err != nil {
				return err
			}
			rst = (rst + 1) & 7
			left = d.ri
			for i := 0; i < ns; i++ {
				comps[i].c.dcPred = 0
			}
		}
		left--
		if ns == 1 {
			sc := &comps[0]
			bx, by := mcu%sc.c.cw, mcu/sc.c.cw
			if err := d.block(sc, bx, by, ss, se, ah, al); err != nil {
				return err
			}
		} else {
			mx, my := mcu%d.mcusX, mcu/d.mcusX
			for i := 0; i < ns; i++ {
				sc := &comps[i]
				for y := 0; y < sc.c.v; y++ {
					for x := 0; x < sc.c.h; x++ {
						if err := d.block(sc, mx*sc.c.h+x, my*sc.c.v+y, ss, se, ah, al); err != nil {
							return err
						}
					}
				}
			}
		}
		if d.br.overrun() {
			return d.overrunError()
		}
	}
	d.pos = d.br.pos
	return nil
}

// overrunError reports a scan that needed more entropy-coded data than
// there was: truncated input, or corrupt data.
func (d *decoder) overrunError() error {
	if d.br.pos >= len(d.src) {
		return truncatedError("scan data")
	}
	return FormatError("scan data ends early")
}

// restart handles the restart marker expected before the next MCU: the bit
// buffer is dropped (its remaining bits are padding) and the marker must be
// RSTn with n = want.
func (d *decoder) restart(want int) error {
	if d.br.overrun() {
		return d.overrunError()
	}
	p := d.br.pos
	if !d.br.marker {
		// The bit reader stopped before the marker; the rest should be
		// padding, but skip anything up to the marker as libjpeg does.
		for p < len(d.src) && !(d.src[p] == 0xff && p+1 < len(d.src) && d.src[p+1] != 0) {
			p++
		}
	}
	for p < len(d.src) && d.src[p] == 0xff {
		p++
	}
	if p >= len(d.src) {
		return truncatedError("restart marker")
	}
	if d.src[p] != byte(mRST0+want) {
		return FormatError("bad restart marker")
	}
	d.br.reset(p + 1)
	d.eobrun = 0
	return nil
}

// planSkips returns the first zigzag position from which progressive AC
// scans can be skipped entirely. The scale needs coefficients below
// d.ncoef, but parsing a refinement scan needs to know which coefficients of
// its whole band are already nonzero, so a refinement scan that starts below
// the threshold pulls it up past its band. It walks the remaining scan
// headers (skipping entropy-coded data, which is cheap) without decoding.
func (d *decoder) planSkips() int {
	type band struct{ ss, se int }
	var refines []band
	save := d.pos
	defer func() { d.pos = save }()
	for {
		m, seg, err := d.nextSegment()
		if err != nil || m == mEOI {
			break
		}
		if m != mSOS || len(seg) < 1 || len(seg) != 4+2*int(seg[0]) {
			continue
		}
		p := seg[1+2*int(seg[0]):]
		if ss, se, ah := int(p[0]), int(p[1]), p[2]>>4; ss > 0 && ah > 0 {
			refines = append(refines, band{ss, se})
		}
		d.skipEntropyData()
	}
	need := d.ncoef
	for changed := true; changed; {
		changed = false
		for _, b := range refines {
			if b.ss < need && b.se+1 > need {
				need, changed = b.se+1, true
			}
		}
	}
	return need
}

// skipEntropyData moves d.pos past a scan's entropy-coded data, to the next
// marker that is neither a stuffed byte nor a restart marker.
func (d *decoder) skipEntropyData() {
	p := d.pos
	for {
		i := bytes.IndexByte(d.src[p:], 0xff)
		if i < 0 || p+i+1 >= len(d.src) {
			d.pos = len(d.src)
			return
		}
		p += i + 1
		if m := d.src[p]; m != 0 && !(m >= mRST0 && m <= mRST7) && m != 0xff {
			d.pos = p - 1
			return
		}
	}
}

// block decodes one block of a scan.
func (d *decoder) block(sc *scanComp, bx, by, ss, se int, ah, al uint) error {
	if !d.progressive {
		return d.baselineBlock(sc, bx, by)
	}
	c := sc.c
	bi := by*c.bw + bx
	coef := c.coef[bi*d.ncoef : (bi+1)*d.ncoef]
	if ss == 0 {
		return d.dcBlock(sc, coef, &c.nz[bi], ah, al)
	}
	if ah == 0 {
		return d.acFirst(sc, coef, &c.nz[bi], ss, se, al)
	}
	return d.acRefine(sc, coef, &c.nz[bi], ss, se, al)
}

// baselineBlock decodes the 64 coefficients of a sequential block (T.81
// F.2.2) and reconstructs it at the output scale.
//
// This is the hottest loop of a baseline decode, so the bit buffer lives in
// locals (acc, nb) and is written back to d.br around the rare calls that
// need it (refill, long codes), and short codes with their extra bits are
// decoded with one load from the table's fast map.
func (d *decoder) baselineBlock(sc *scanComp, bx, by int) error {
	br := &d.br
	if br.n < 32 {
		br.fill()
	}
	t, ok := br.decode(sc.dc)
	if !ok {
		return FormatError("bad Huffman code")
	}
	if t > 15 {
		return FormatError("bad DC magnitude")
	}
	c := sc.c
	c.dcPred += br.receiveExtend(uint(t))
	q := sc.q
	blk := &d.blk
	blk[0] = c.dcPred * q[0]
	n := d.ncoef
	ac := false
	fast := &sc.ac.fast
	acc, nb := br.acc, br.n
	for k := 1; k < 64; k++ {
		if nb < 32 {
			br.acc, br.n = acc, nb
			br.fill()
			acc, nb = br.acc, br.n
		}
		if f := fast[acc>>(64-lutBits)]; f != 0 {
			l := uint(f & 15)
			acc <<= l
			nb -= l
			k += int(f >> 4 & 15)
			if k > 63 {
				return FormatError("too many coefficients")
			}
			if k < n {
				blk[unzig[k]] = (f >> 8) * q[k]
				ac = true
			}
			continue
		}
		br.acc, br.n = acc, nb
		rs, ok := br.decode(sc.ac)
		if !ok {
			return FormatError("bad Huffman code")
		}
		r, s := int(rs>>4), uint(rs&15)
		if s == 0 {
			acc, nb = br.acc, br.n
			if r != 15 {
				break
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return FormatError("too many coefficients")
		}
		v := br.receiveExtend(s)
		acc, nb = br.acc, br.n
		if k < n {
			blk[unzig[k]] = v * q[k]
			ac = true
		}
	}
	br.acc, br.n = acc, nb
	d.reconstructBlock(c, bx, by, ac)
	return nil
}

// reconstructBlock runs the inverse DCT of d.blk into block (bx, by) of c's
// plane and clears d.blk. ac reports whether any coefficient but the DC
// may be nonzero.
func (d *decoder) reconstructBlock(c *component, bx, by int, ac bool) {
	blk := &d.blk
	if checkRange {
		for _, v := range blk {
			if v > 8*1024 || v < -8*1024 {
				d.wild = true
			}
		}
	}
	bs := d.bs
	off := by*bs*c.stride + bx*bs
	dst := c.plane[off:]
	if !ac {
		// A flat block: every sample is the mean.
		v := clamp8((int(blk[0])+4)>>3 + 128)
		blk[0] = 0
		for y := 0; y < bs; y++ {
			row := dst[y*c.stride : y*c.stride+bs]
			for x := range row {
				row[x] = v
			}
		}
		return
	}
	switch bs {
	case 8:
		idct8(blk, dst, c.stride)
	case 4:
		idct4(blk, dst, c.stride)
	case 2:
		idct2(blk, dst, c.stride)
	default:
		idct1(blk, dst, c.stride)
	}
	// One 256-byte clear is cheaper than clearing the ncoef entries one
	// by one, which are scattered over most of the block anyway.
	*blk = [64]int32{}
}

// dcBlock decodes the DC coefficient of a progressive block: a first scan
// (ah = 0) or one refinement bit (T.81 G.1.2.1).
func (d *decoder) dcBlock(sc *scanComp, coef []int16, nz *uint64, ah, al uint) error {
	br := &d.br
	if br.n < 32 {
		br.fill()
	}
	if ah != 0 {
		if br.bits(1) != 0 {
			coef[0] |= 1 << al
			*nz |= 1
		}
		return nil
	}
	t, ok := br.decode(sc.dc)
	if !ok {
		return FormatError("bad Huffman code")
	}
	if t > 15 {
		return FormatError("bad DC magnitude")
	}
	c := sc.c
	c.dcPred += br.receiveExtend(uint(t))
	coef[0] = int16(c.dcPred << al)
	if coef[0] != 0 {
		*nz |= 1
	}
	return nil
}

// acFirst decodes the first scan of a spectral band of a progressive block
// (T.81 G.1.2.2). Coefficients beyond those kept (len(coef)) are parsed and
// only their nonzero bit is recorded.
func (d *decoder) acFirst(sc *scanComp, coef []int16, nz *uint64, ss, se int, al uint) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	br := &d.br
	for k := ss; k <= se; k++ {
		if br.n < 32 {
			br.fill()
		}
		rs, ok := br.decode(sc.ac)
		if !ok {
			return FormatError("bad Huffman code")
		}
		r, s := int(rs>>4), uint(rs&15)
		if s == 0 {
			if r != 15 {
				d.eobrun = 1<<r - 1
				if r > 0 {
					d.eobrun += br.bits(uint(r))
				}
				break
			}
			k += 15
			continue
		}
		k += r
		if k > se {
			return FormatError("too many coefficients")
		}
		v := br.receiveExtend(s) << al
		if k < len(coef) {
			coef[k] = int16(v)
		}
		*nz |= 1 << uint(k)
	}
	return nil
}

// acRefine decodes a refinement scan of a spectral band (T.81 G.1.2.3):
// one correction bit for every coefficient already nonzero, and newly
// nonzero coefficients of magnitude 1<<al.
func (d *decoder) acRefine(sc *scanComp, coef []int16, nz *uint64, ss, se int, al uint) error {
	br := &d.br
	p1 := int16(1) << al
	refine := func(k int) {
		if br.n < 32 {
			br.fill()
		}
		if br.bits(1) != 0 && k < len(coef) {
			if v := coef[k]; v&p1 == 0 {
				if v >= 0 {
					coef[k] = v + p1
				} else {
					coef[k] = v - p1
				}
			}
		}
	}
	k := ss
	if d.eobrun == 0 {
		for ; k <= se; k++ {
			if br.n < 32 {
				br.fill()
			}
			rs, ok := br.decode(sc.ac)
			if !ok {
				return FormatError("bad Huffman code")
			}
			r, s := int(rs>>4), uint(rs&15)
			var val int16
			if s != 0 {
				if s != 1 {
					return FormatError("bad refinement magnitude")
				}
				if br.bits(1) != 0 {
					val = p1
				} else {
					val = -p1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += br.bits(uint(r))
				}
				break
			}
			// Skip r zero-history coefficients, refining the nonzero
			// ones met on the way, then place val. Through the masks:
			// the target is the (r+1)-th zero-history position from k.
			rest := ^uint64(0) >> (63 - uint(se)) &^ (1<<uint(k) - 1) // [k, se]
			zeros := ^*nz & rest
			for ; r > 0 && zeros != 0; r-- {
				zeros &= zeros - 1
			}
			end := se + 1 // no target: refine to the end of the band
			if zeros != 0 {
				end = bits.TrailingZeros64(zeros)
			}
			for b := *nz & rest & (1<<uint(end) - 1); b != 0; b &= b - 1 { // [k, end)
				refine(bits.TrailingZeros64(b))
			}
			k = end
			if zeros != 0 && val != 0 {
				if k < len(coef) {
					coef[k] = val
				}
				*nz |= 1 << uint(k)
			}
		}
	}
	if d.eobrun > 0 {
		// Only the coefficients already nonzero in [k, se] get a bit:
		// visit them through the mask rather than position by position
		// (most blocks of a late refinement scan are in an EOB run).
		band := ^uint64(0) >> (63 - uint(se)) &^ (1<<uint(k) - 1)
		m := *nz & band
		kept := m
		if len(coef) < 64 {
			kept &= 1<<uint(len(coef)) - 1
		}
		for b := kept; b != 0; b &= b - 1 {
			refine(bits.TrailingZeros64(b))
		}
		// The bits of coefficients not kept are read and dropped.
		for skip := uint(bits.OnesCount64(m &^ kept)); skip > 0; {
			if br.n < 32 {
				br.fill()
			}
			c := min(skip, 16)
			br.bits(c)
			skip -= c
		}
		d.eobrun--
	}
	return nil
}

// reconstruct runs the inverse DCT over every block of a progressive frame.
func (d *decoder) reconstruct() error {
	for i := 0; i < d.ncomp; i++ {
		c := &d.comp[i]
		q := &d.quant[c.tq]
		keep := ^uint64(0) >> (64 - d.ncoef) // the coefficients kept
		for by := 0; by < c.bh; by++ {
			if err := d.ctx.Err(); err != nil {
				return err
			}
			for bx := 0; bx < c.bw; bx++ {
				bi := by*c.bw + bx
				coef := c.coef[bi*d.ncoef : (bi+1)*d.ncoef]
				// Only the coefficients the nonzero mask marks (a
				// superset of the nonzero ones) are visited.
				m := c.nz[bi] & keep
				for b := m; b != 0; b &= b - 1 {
					k := bits.TrailingZeros64(b)
					d.blk[unzig[k]] = int32(coef[k]) * q[k]
				}
				d.reconstructBlock(c, bx, by, m > 1)
			}
		}
	}
	return nil
}
