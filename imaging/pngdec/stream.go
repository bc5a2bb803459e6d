package pngdec

import (
	"context"
	"errors"
	"io"
)

// decoder streams the image data: inflate, unfilter one row at a time
// against the previous one, convert it to 8-bit pixels and hand it to the
// output, which reduces it on the fly. Nothing holds more than two stored
// rows.
type decoder struct {
	ctx  context.Context
	cfg  *Config
	idat idatReader
	out  *output
	conv rowConverter
	tmp  []byte // one converted row, when it cannot go straight to the output
	rgb  bool   // rows go to output.addRGB unconverted
}

func newDecoder(ctx context.Context, src []byte, cfg *Config, reduce int, ycbcr bool) *decoder {
	d := &decoder{ctx: ctx, cfg: cfg, idat: idatReader{src: src, next: cfg.data}}
	// Opaque 8-bit RGB reduced without interlacing goes straight from the
	// stored row into the accumulators.
	d.rgb = reduce > 1 && !cfg.Interlaced && cfg.ColorType == RGB && cfg.BitDepth == 8 && !cfg.hasTRNS
	d.out = newOutput(cfg.Width, cfg.Height, reduce, cfg.gray(), cfg.Interlaced, d.rgb && ycbcr)
	d.conv = converter(cfg)
	if (reduce > 1 || cfg.Interlaced) && !d.rgb {
		d.tmp = make([]byte, d.out.ch*cfg.Width)
	}
	return d
}

// Adam7's passes: the first pixel and the spacing of each (PNG 8.2).
var adam7 = [7]struct{ x0, y0, dx, dy int }{
	{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2},
}

// ctxEvery is how many rows are decoded between looks at the context: a
// few hundred microseconds of work on the widest rows.
const ctxEvery = 16

func (d *decoder) decode() error {
	zr := newInflater(d.idat.nextData)
	c := d.cfg
	passes := adam7[:]
	if !c.Interlaced {
		passes = []struct{ x0, y0, dx, dy int }{{0, 0, 1, 1}}
	}
	bpp := max(1, c.bitsPerPixel()/8)
	rows := 0
	cur := make([]byte, c.rowBytes(c.Width)+1)
	prev := make([]byte, len(cur))
	for _, p := range passes {
		pw, ph := (c.Width-p.x0+p.dx-1)/p.dx, (c.Height-p.y0+p.dy-1)/p.dy
		if pw <= 0 || ph <= 0 {
			continue
		}
		n := c.rowBytes(pw) + 1
		cur, prev := cur[:n], prev[:n]
		clear(prev)
		for py := 0; py < ph; py++ {
			if rows%ctxEvery == 0 {
				if err := d.ctx.Err(); err != nil {
					return err
				}
			}
			rows++
			row, kept, err := d.nextRow(zr, cur, prev, bpp, py+1 < ph)
			if err != nil {
				return err
			}
			y := p.y0 + py*p.dy
			if d.rgb {
				d.out.addRGB(row, y)
			} else {
				dst := d.tmp
				if dst == nil {
					dst = d.out.row(y)
				}
				d.conv(dst, row, pw)
				if d.tmp != nil {
					d.out.add(p.x0, p.dx, y, dst[:pw*d.out.ch])
				}
			}
			if kept {
				cur, prev = prev, cur
			}
		}
	}
	// The stream must end here, with a good checksum.
	var one [1]byte
	switch n, err := zr.Read(one[:]); {
	case n > 0:
		return FormatError("too much pixel data")
	case err != io.EOF:
		return d.inflateError(err)
	}
	d.out.finish()
	return d.trailer()
}

// nextRow returns the next row of the pass, unfiltered. A row stored
// without a filter whose successor does not refer to it (filter None or
// Sub, as far as the successor is already inflated, or no successor in
// the pass) is returned in place from the inflater's window, uncopied;
// any other is copied into cur and unfiltered there against prev, and kept
// reports that cur now holds it (the caller swaps cur and prev).
func (d *decoder) nextRow(zr *inflater, cur, prev []byte, bpp int, more bool) (row []byte, kept bool, err error) {
	raw, err := zr.view(len(cur))
	switch {
	case err == errTooLong:
		if _, err := io.ReadFull(zr, cur); err != nil {
			return nil, false, d.inflateError(err)
		}
	case err != nil:
		return nil, false, d.inflateError(err)
	default:
		if raw[0] == 0 {
			next, ok := zr.peek()
			if !more || ok && next <= 1 {
				return raw[1:], false, nil
			}
		}
		copy(cur, raw)
	}
	if err := unfilter(cur[0], cur[1:], prev[1:], bpp); err != nil {
		return nil, false, err
	}
	return cur[1:], true, nil
}

// inflateError turns what the zlib reader reported into this package's
// errors: the file ended (truncated), the IDAT chunks ended before the
// stream did, or the stream is damaged.
func (d *decoder) inflateError(err error) error {
	var fe FormatError
	var te truncatedError
	var ie inflateError
	switch {
	case errors.As(err, &fe), errors.As(err, &te):
		return err
	case d.idat.err != nil:
		return d.idat.err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return FormatError("not enough pixel data")
	case errors.As(err, &ie):
		return FormatError("invalid compressed data: " + string(ie))
	}
	return err
}

// trailer reads the chunks after the image data up to IEND, checking
// their CRCs, as image/png does; IDAT chunks after the stream's end are
// ignored.
func (d *decoder) trailer() error {
	for i := d.idat.chunkEnd(); ; {
		ch, err := readChunk(d.idat.src, i)
		if err != nil {
			return err
		}
		if ch.typ == "IEND" {
			return nil
		}
		i = ch.next
	}
}

// idatReader hands out the data of consecutive IDAT chunks, checking each
// chunk's CRC as it enters it.
type idatReader struct {
	src  []byte
	next int   // offset of the next chunk
	err  error // why the stream ended early, if it did
	done bool  // the chunk at next is not an IDAT
}

// nextData returns the data of the next IDAT chunk, or io.EOF when the
// next chunk is another (or the error reading it).
func (r *idatReader) nextData() ([]byte, error) {
	if r.done || r.err != nil {
		if r.err != nil {
			return nil, r.err
		}
		return nil, io.EOF
	}
	ch, err := readChunk(r.src, r.next)
	if err != nil {
		r.err = err
		return nil, err
	}
	if ch.typ != "IDAT" {
		r.done = true
		return nil, io.EOF
	}
	r.next = ch.next
	return ch.data, nil
}

// chunkEnd is the offset of the first chunk the stream has not entered.
func (r *idatReader) chunkEnd() int { return r.next }

// unfilter undoes the row's filter (PNG 7.3, 9.2) in place, with prev the
// previous unfiltered row of the pass (zeros for its first).
func unfilter(ft byte, cur, prev []byte, bpp int) error {
	prev = prev[:len(cur)]
	switch ft {
	case 0:
	case 1: // Sub
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up
		for i, p := range prev {
			cur[i] += p
		}
	case 3: // Average
		for i := 0; i < bpp && i < len(cur); i++ {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth
		paeth(cur, prev, bpp)
	default:
		return FormatError("bad filter type")
	}
	return nil
}

// paeth undoes the Paeth filter. The predictor picks whichever of left
// (a), up (b) and upper left (c) is closest to a + b - c, preferring a,
// then b.
func paeth(cur, prev []byte, bpp int) {
	for i := 0; i < bpp && i < len(cur); i++ {
		cur[i] += prev[i] // a = c = 0: the predictor is b
	}
	if bpp == 3 || bpp == 4 {
		// The common cases, one channel at a time with its own a and c.
		for ch := 0; ch < bpp; ch++ {
			a, c := int(cur[ch]), int(prev[ch])
			for i := ch + bpp; i < len(cur); i += bpp {
				b := int(prev[i])
				pa, pb := b-c, a-c
				pc := pa + pb
				pa, pb, pc = abs(pa), abs(pb), abs(pc)
				pred := a
				if pb < pa && pb <= pc {
					pred = b
				} else if pc < pa && pc < pb {
					pred = c
				}
				a = int(cur[i]+uint8(pred)) & 0xff
				cur[i] = uint8(a)
				c = b
			}
		}
		return
	}
	for i := bpp; i < len(cur); i++ {
		a, b, c := int(cur[i-bpp]), int(prev[i]), int(prev[i-bpp])
		pa, pb := b-c, a-c
		pc := pa + pb
		pa, pb, pc = abs(pa), abs(pb), abs(pc)
		pred := a
		if pb < pa && pb <= pc {
			pred = b
		} else if pc < pa && pc < pb {
			pred = c
		}
		cur[i] += uint8(pred)
	}
}

func abs(x int) int {
	m := x >> 63
	return (x ^ m) - m
}
