package pngdec

import (
	"image"

	"github.com/rampartdev/rampart/imaging/internal/ycc"
)

// output is the decoded image being built: 1 channel (grey) or 4
// (premultiplied RGBA) of 8 bits, reduced by k in each direction while rows
// arrive. A plain image accumulates one output row at a time from k stored
// rows; an interlaced one accumulates the whole reduced image, since Adam7's
// passes revisit every block.
type output struct {
	ch, w, h, k int
	ow, oh      int
	pix         []byte
	interlaced  bool
	acc         []uint32
	accRows     int // stored rows in acc (plain images)

	// With ycc, the output is Y'CbCr: each reduced RGBA row (in pix, one
	// row long) converts as it is made.
	ycc *ycc.Writer
}

func newOutput(w, h, k int, gray, interlaced, ycbcr bool) *output {
	o := &output{ch: 4, w: w, h: h, k: k, interlaced: interlaced}
	if gray {
		o.ch = 1
	}
	o.ow, o.oh = (w+k-1)/k, (h+k-1)/k
	if ycbcr {
		o.ycc = ycc.NewWriter(o.ow, o.oh)
		o.pix = make([]byte, o.ch*o.ow)
	} else {
		o.pix = make([]byte, o.ch*o.ow*o.oh)
	}
	switch {
	case k > 1 && interlaced:
		o.acc = make([]uint32, o.ch*o.ow*o.oh)
	case k > 1:
		o.acc = make([]uint32, o.ch*o.ow)
	}
	return o
}

func (o *output) image() image.Image {
	if o.ycc != nil {
		return o.ycc.Image()
	}
	r := image.Rect(0, 0, o.ow, o.oh)
	if o.ch == 1 {
		return &image.Gray{Pix: o.pix, Stride: o.ow, Rect: r}
	}
	return &image.RGBA{Pix: o.pix, Stride: 4 * o.ow, Rect: r}
}

// row is output row y, for a plain image at full size to be written
// directly.
func (o *output) row(y int) []byte { return o.pix[y*o.ch*o.ow : (y+1)*o.ch*o.ow] }

// add takes the converted pixels px of stored row y, which sit at x0,
// x0+dx, x0+2dx, ... (dx is 1 except in Adam7's passes).
func (o *output) add(x0, dx, y int, px []byte) {
	ch, k := o.ch, o.k
	n := len(px) / ch
	switch {
	case k == 1: // interlaced at full size: scatter
		row := o.row(y)
		for i := 0; i < n; i++ {
			copy(row[(x0+i*dx)*ch:(x0+i*dx)*ch+ch], px[i*ch:i*ch+ch])
		}
	case o.interlaced:
		acc := o.acc[(y/k)*o.ow*ch : (y/k+1)*o.ow*ch]
		for i := 0; i < n; i++ {
			a := acc[(x0+i*dx)/k*ch:]
			for c := 0; c < ch; c++ {
				a[c] += uint32(px[i*ch+c])
			}
		}
	default:
		o.addRow(px)
		o.accRows++
		if o.accRows == k || y == o.h-1 {
			o.flushRow(y / k)
		}
	}
}

// addRGB accumulates one stored row of opaque 8-bit RGB straight from the
// image data, skipping the conversion to RGBA (the common case: photos and
// screenshots).
func (o *output) addRGB(src []byte, y int) {
	k, acc := o.k, o.acc
	if k == 2 {
		full := o.w / 2
		s := src[:6*full]
		a := acc[:4*full]
		for bx, j := 0, 0; bx < len(a); bx, j = bx+4, j+6 {
			p := s[j : j+6 : j+6]
			q := a[bx : bx+4 : bx+4]
			q[0] += uint32(p[0]) + uint32(p[3])
			q[1] += uint32(p[1]) + uint32(p[4])
			q[2] += uint32(p[2]) + uint32(p[5])
			q[3] += 2 * 255
		}
		if o.w%2 == 1 {
			p, q := src[6*full:], acc[4*full:]
			q[0] += uint32(p[0])
			q[1] += uint32(p[1])
			q[2] += uint32(p[2])
			q[3] += 255
		}
	} else {
		for bx := 0; bx < o.ow; bx++ {
			x1 := min((bx+1)*k, o.w)
			s := src[bx*k*3 : x1*3]
			var r, g, b uint32
			for i := 0; i+2 < len(s); i += 3 {
				r += uint32(s[i])
				g += uint32(s[i+1])
				b += uint32(s[i+2])
			}
			q := acc[4*bx : 4*bx+4 : 4*bx+4]
			q[0] += r
			q[1] += g
			q[2] += b
			q[3] += 255 * uint32(len(s)/3)
		}
	}
	o.accRows++
	if o.accRows == k || y == o.h-1 {
		o.flushRow(y / k)
	}
}

// addRow accumulates one full stored row into the row accumulators.
func (o *output) addRow(px []byte) {
	ch, k := o.ch, o.k
	acc := o.acc
	if ch == 4 {
		for bx := 0; bx < o.ow; bx++ {
			x1 := min((bx+1)*k, o.w)
			s := px[bx*k*4 : x1*4]
			var r, g, b, a uint32
			for i := 0; i+3 < len(s); i += 4 {
				r += uint32(s[i])
				g += uint32(s[i+1])
				b += uint32(s[i+2])
				a += uint32(s[i+3])
			}
			d := acc[4*bx : 4*bx+4 : 4*bx+4]
			d[0] += r
			d[1] += g
			d[2] += b
			d[3] += a
		}
		return
	}
	for bx := 0; bx < o.ow; bx++ {
		x1 := min((bx+1)*k, o.w)
		var v uint32
		for _, p := range px[bx*k : x1] {
			v += uint32(p)
		}
		acc[bx] += v
	}
}

// flushRow writes the accumulated block means to output row oy.
func (o *output) flushRow(oy int) {
	if o.ycc != nil {
		o.divide(o.pix, o.acc, o.accRows)
		o.ycc.Row(o.pix, 4)
		clear(o.acc)
		o.accRows = 0
		return
	}
	out := o.row(oy)
	o.divide(out, o.acc, o.accRows)
	clear(o.acc)
	o.accRows = 0
}

// divide writes acc's means into out, for blocks of rows stored rows: k
// columns each, fewer in the last. Dividing by a multiply with a rounded-up
// reciprocal is exact here: the sums are below 256n, and n < 4096.
func (o *output) divide(out []byte, acc []uint32, rows int) {
	ch, k := o.ch, o.k
	full := uint32(rows * k)
	if full >= 4096 {
		for bx := 0; bx < o.ow; bx++ {
			n := full
			if bx == o.ow-1 {
				n = uint32(rows * (o.w - bx*k))
			}
			for c := 0; c < ch; c++ {
				out[bx*ch+c] = uint8((acc[bx*ch+c] + n/2) / n)
			}
		}
		return
	}
	last := o.ow - 1
	if o.w%k == 0 {
		last = o.ow // every block is full
	}
	m, half := (uint64(1)<<32+uint64(full)-1)/uint64(full), full/2
	a, d := acc[:last*ch], out[:last*ch]
	for i, v := range a {
		d[i] = uint8((uint64(v+half) * m) >> 32)
	}
	if last < o.ow {
		n := uint32(rows * (o.w - last*k))
		for c := 0; c < ch; c++ {
			out[last*ch+c] = uint8((acc[last*ch+c] + n/2) / n)
		}
	}
}

// finish turns an interlaced image's accumulators into block means.
func (o *output) finish() {
	if !o.interlaced || o.k == 1 {
		return
	}
	stride := o.ch * o.ow
	for oy := 0; oy < o.oh; oy++ {
		o.divide(o.pix[oy*stride:(oy+1)*stride], o.acc[oy*stride:(oy+1)*stride], min(o.k, o.h-oy*o.k))
	}
	o.acc = nil
}

// rowConverter turns a stored, unfiltered row of n pixels into 8-bit grey
// (1 byte per pixel) or premultiplied RGBA (4 bytes per pixel) in dst.
type rowConverter func(dst, src []byte, n int)

// converter returns the row converter for the image's colour type, bit
// depth and transparency.
func converter(c *Config) rowConverter {
	d := c.BitDepth
	switch c.ColorType {
	case Gray:
		if !c.hasTRNS {
			switch d {
			case 8:
				return func(dst, src []byte, n int) { copy(dst[:n], src[:n]) }
			case 16:
				return func(dst, src []byte, n int) {
					for i := range dst[:n] {
						dst[i] = to8(src[2*i], src[2*i+1])
					}
				}
			}
			scale := uint8(255 / (1<<d - 1))
			return func(dst, src []byte, n int) {
				for i := range dst[:n] {
					dst[i] = sample(src, i, d) * scale
				}
			}
		}
		if d == 16 {
			t := uint16(c.trns[0])<<8 | uint16(c.trns[1])
			return func(dst, src []byte, n int) {
				for i := 0; i < n; i++ {
					v := uint16(src[2*i])<<8 | uint16(src[2*i+1])
					g := to8(src[2*i], src[2*i+1])
					setRGBA(dst[4*i:], g, g, g, 255, v == t)
				}
			}
		}
		// image/png compares the low byte of the tRNS sample with the
		// stored sample at depths up to 8.
		t := c.trns[1]
		scale := uint8(255 / (1<<d - 1))
		return func(dst, src []byte, n int) {
			for i := 0; i < n; i++ {
				v := sample(src, i, d)
				g := v * scale
				setRGBA(dst[4*i:], g, g, g, 255, v == t)
			}
		}
	case Paletted:
		lut := &c.palette
		return func(dst, src []byte, n int) {
			for i := 0; i < n; i++ {
				p := lut[sample(src, i, d)]
				copy(dst[4*i:4*i+4], p[:])
			}
		}
	case GrayAlpha:
		if d == 8 {
			return func(dst, src []byte, n int) {
				for i := 0; i < n; i++ {
					a := src[2*i+1]
					g := mul8(src[2*i], a)
					dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = g, g, g, a
				}
			}
		}
		return func(dst, src []byte, n int) {
			for i := 0; i < n; i++ {
				a := be16(src[4*i+2:])
				g := premul16(be16(src[4*i:]), a)
				dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = g, g, g, to8(src[4*i+2], src[4*i+3])
			}
		}
	case RGB:
		if d == 8 {
			if !c.hasTRNS {
				return func(dst, src []byte, n int) {
					dst, src = dst[:4*n], src[:3*n]
					for i, j := 0, 0; i < len(dst); i, j = i+4, j+3 {
						s := src[j : j+3 : j+3]
						d := dst[i : i+4 : i+4]
						d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 255
					}
				}
			}
			tr, tg, tb := c.trns[1], c.trns[3], c.trns[5]
			return func(dst, src []byte, n int) {
				for i := 0; i < n; i++ {
					r, g, b := src[3*i], src[3*i+1], src[3*i+2]
					setRGBA(dst[4*i:], r, g, b, 255, c.hasTRNS && r == tr && g == tg && b == tb)
				}
			}
		}
		t := [3]uint16{be16(c.trns[0:]), be16(c.trns[2:]), be16(c.trns[4:])}
		return func(dst, src []byte, n int) {
			for i := 0; i < n; i++ {
				s := src[6*i : 6*i+6]
				key := c.hasTRNS && be16(s) == t[0] && be16(s[2:]) == t[1] && be16(s[4:]) == t[2]
				setRGBA(dst[4*i:], to8(s[0], s[1]), to8(s[2], s[3]), to8(s[4], s[5]), 255, key)
			}
		}
	}
	// RGBA
	if d == 8 {
		return func(dst, src []byte, n int) {
			dst, src = dst[:4*n], src[:4*n]
			for i := 0; i < len(dst); i += 4 {
				s := src[i : i+4 : i+4]
				d := dst[i : i+4 : i+4]
				a := s[3]
				if a == 255 {
					d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 255
					continue
				}
				d[0], d[1], d[2], d[3] = mul8(s[0], a), mul8(s[1], a), mul8(s[2], a), a
			}
		}
	}
	return func(dst, src []byte, n int) {
		for i := 0; i < n; i++ {
			s := src[8*i : 8*i+8]
			a := be16(s[6:])
			dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = premul16(be16(s), a), premul16(be16(s[2:]), a), premul16(be16(s[4:]), a), to8(s[6], s[7])
		}
	}
}

// setRGBA writes an opaque pixel, or a fully transparent one when key is set
// (the tRNS colour).
func setRGBA(d []byte, r, g, b, a uint8, key bool) {
	if key {
		r, g, b, a = 0, 0, 0, 0
	}
	d[0], d[1], d[2], d[3] = r, g, b, a
}

// sample returns the i-th d-bit sample of a packed row (d = 1, 2, 4, 8).
func sample(src []byte, i, d int) uint8 {
	if d == 8 {
		return src[i]
	}
	per := 8 / d
	shift := uint(8 - d - (i%per)*d)
	return src[i/per] >> shift & (1<<d - 1)
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// to8 rounds a 16-bit sample (hi, lo) to 8 bits: v/257.
func to8(hi, lo uint8) uint8 {
	v := uint32(hi)<<8 | uint32(lo)
	return uint8((v*255 + 32895) >> 16)
}

// premul16 is c·a/65535 at 16 bits, rounded, then rounded to 8 bits.
// (t + t>>16) >> 16 with t = c·a + 32768 is c·a/65535 rounded, without a
// division.
func premul16(c, a uint16) uint8 {
	p := uint32(c)
	if a != 0xffff {
		t := p*uint32(a) + 32768
		p = (t + t>>16) >> 16
	}
	return uint8((p*255 + 32895) >> 16)
}
