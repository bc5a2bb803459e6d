package webpdec

import (
	"context"
	"iter"
)

// alphaRows delivers a lossy frame's alpha channel, unfiltered, sixteen
// rows (a macroblock row) at a time, so that it is never held whole.
type alphaRows struct {
	w, h   int
	filter byte
	window []byte // rows y0 to y0+15 of the plane
	y0     int
	rows   int                    // rows unfiltered so far
	next   func(dst []byte) error // the next row, still filtered
	end    func() error           // after the last row: the stream's verdict
	stop   func()                 // ends a producer early
	prev   []byte                 // the last row unfiltered
}

// decodeAlpha starts decoding an ALPH payload (RFC 9649 section 2.7.1.2)
// for a w×h frame: one header byte (reserved, pre-processing, filter and
// compression, two bits each), then the samples, raw or as a VP8L image
// stream without header whose green channel carries them. Like libwebp it
// refuses reserved bits, an unknown pre-processing or compression, and raw
// data shorter than the plane; the pre-processing (level reduction) is a
// hint it ignores. The caller must call stop.
func decodeAlpha(ctx context.Context, p []byte, w, h int) (*alphaRows, error) {
	hdr := p[0]
	method, filter, pre := hdr&3, (hdr>>2)&3, (hdr>>4)&3
	switch {
	case hdr>>6 != 0:
		return nil, FormatError("ALPH reserved bits are set")
	case method > 1:
		return nil, FormatError("ALPH compression method is unknown")
	case pre > 1:
		return nil, FormatError("ALPH pre-processing is unknown")
	}
	a := &alphaRows{w: w, h: h, filter: filter, window: make([]byte, 16*w), y0: -16, prev: make([]byte, w), stop: func() {}, end: func() error { return nil }}
	data := p[1:]
	if method == 0 {
		if len(data) < w*h {
			return nil, truncatedError("raw alpha is shorter than the image")
		}
		a.next = func(dst []byte) error {
			copy(dst, data[a.rows*w:(a.rows+1)*w])
			return nil
		}
		return a, nil
	}
	// A VP8L image stream without header, the samples in green, pulled a
	// row at a time from the streaming decoder.
	var failed error
	rows := func(yield func([]uint32) bool) {
		failed = vp8lImage(ctx, data, false, w, h, func(_ int, row []uint32) error {
			if !yield(row) {
				return context.Canceled // stopped by the consumer
			}
			return nil
		})
	}
	pull, stop := iter.Pull(iter.Seq[[]uint32](rows))
	a.stop = stop
	a.next = func(dst []byte) error {
		row, ok := pull()
		if !ok {
			if failed == nil {
				failed = FormatError("alpha bitstream ends early")
			}
			return failed
		}
		for x, c := range row {
			dst[x] = uint8(c >> 8)
		}
		return nil
	}
	// The decoder yields the last row before it checks that the last
	// pixel was inside the data: let it finish.
	a.end = func() error {
		if _, ok := pull(); ok {
			return FormatError("alpha bitstream has more rows than the image")
		}
		return failed
	}
	return a, nil
}

// load makes the window hold macroblock row mby's rows (those inside the
// frame), undoing the prediction filter (RFC 9649 section 2.7.1.2): 1
// predicts from the left, 2 from above, 3 from the gradient left + above -
// above-left clipped to 0-255. The first row always predicts from the
// left and the first column from above; the top-left sample is as stored.
func (a *alphaRows) load(mby int) error {
	a.y0 = 16 * mby
	w := a.w
	for y := a.y0; y < min(a.y0+16, a.h); y++ {
		row := a.window[(y-a.y0)*w:][:w]
		if err := a.next(row); err != nil {
			return err
		}
		prev := a.prev
		switch {
		case a.filter == 0:
		case y == 0:
			for x := 1; x < w; x++ {
				row[x] += row[x-1]
			}
		default:
			row[0] += prev[0]
			switch a.filter {
			case 1:
				for x := 1; x < w; x++ {
					row[x] += row[x-1]
				}
			case 2:
				for x := 1; x < w; x++ {
					row[x] += prev[x]
				}
			case 3:
				for x := 1; x < w; x++ {
					row[x] += clip255(int32(row[x-1]) + int32(prev[x]) - int32(prev[x-1]))
				}
			}
		}
		copy(prev, row)
		a.rows++
	}
	if a.rows == a.h {
		return a.end()
	}
	return nil
}

// at is the alpha of pixel (x, y) of the current macroblock row, 0 outside
// the frame.
func (a *alphaRows) at(x, y int) uint32 {
	if x >= a.w || y >= a.h {
		return 0
	}
	return uint32(a.window[(y-a.y0)*a.w+x])
}

// emitAlpha writes the current macroblock at 1/s with alpha: each output
// sample is the alpha-weighted mean of the samples it replaces (so that
// colour under transparent pixels, which encoders leave arbitrary, does not
// bleed into visible ones), and the alpha plane gets the plain mean.
// Samples beyond the image (padding of the last macroblocks) weigh nothing.
func (d *decoder) emitAlpha(mbx, mby int) {
	a, s, ws := d.alpha, d.scale, d.ws[:]
	x0, y0 := 16*mbx, 16*mby
	alphaAt := a.at
	n := 16 / s
	for oy := range n {
		for ox := range n {
			var sum, sumA, plain, cnt uint32
			for j := range s {
				for i := range s {
					x, y := x0+ox*s+i, y0+oy*s+j
					v := uint32(d.ylut[ws[yOff+(oy*s+j)*bps+ox*s+i]])
					al := alphaAt(x, y)
					sum += v * al
					sumA += al
					plain += v
					if x < a.w && y < a.h {
						cnt++
					}
				}
			}
			d.y[(mby*n+oy)*d.ystride+mbx*n+ox] = weighted(sum, sumA, plain, uint32(s*s))
			if ax, ay := mbx*n+ox, mby*n+oy; cnt > 0 && ax < d.astride && ay*d.astride < len(d.aout) {
				d.aout[ay*d.astride+ax] = uint8((sumA + cnt/2) / cnt)
			}
		}
	}
	n = 8 / s
	for oy := range n {
		for ox := range n {
			var su, sv, pu, pv, sumA uint32
			for j := range s {
				for i := range s {
					cx, cy := 8*mbx+ox*s+i, 8*mby+oy*s+j
					al := alphaAt(2*cx, 2*cy) + alphaAt(2*cx+1, 2*cy) + alphaAt(2*cx, 2*cy+1) + alphaAt(2*cx+1, 2*cy+1)
					o := (oy*s+j)*bps + ox*s + i
					u, v := uint32(d.clut[ws[uOff+o]]), uint32(d.clut[ws[vOff+o]])
					su += u * al
					sv += v * al
					pu += u
					pv += v
					sumA += al
				}
			}
			ci := (mby*n+oy)*d.cstride + mbx*n + ox
			d.u[ci] = weighted(su, sumA, pu, uint32(s*s))
			d.v[ci] = weighted(sv, sumA, pv, uint32(s*s))
		}
	}
}

// weighted is sum/sumA rounded, or the plain mean plain/n where all the
// weights are zero.
func weighted(sum, sumA, plain, n uint32) uint8 {
	if sumA == 0 {
		return uint8((plain + n/2) / n)
	}
	return uint8((sum + sumA/2) / sumA)
}
