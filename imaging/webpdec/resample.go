package webpdec

import "image"

// Area averaging to an exact size, the last step of a decode with
// Options.Width and Height: each output sample is the mean of the source
// area it covers, as libwebp's scaled decoding (WebPRescaler) computes it.
// The lossy decoder has already averaged s×s cells; this step works on
// those cells with the exact geometry of the source, including the last
// row and column of cells, which cover only what is left of the image.

// weightBits is the fixed point of the averaging weights.
const weightBits = 14

// taps are the averaging weights for one axis: output i reads n[i] samples
// from start[i], with weights w[i*stride:], summing to 1<<weightBits.
type taps struct {
	start, n []int
	w        []int32
	stride   int
	identity bool // every output is exactly one sample: a copy
}

// areaTaps maps samples that each cover unit source pixels (the last one
// clipped to the source's length src) onto dst outputs of an image that
// spans the same source, each output covering v pixels of a dstFull-pixel
// grid (v is 2 for chroma, whose samples cover two luma pixels; the last
// output may cover only what is left of dstFull).
func areaTaps(src, unit, samples, dst, dstFull, v int) taps {
	// In units of 1/dstFull source pixels, so that everything is an
	// integer: sample j covers [j·unit, (j+1)·unit)·dstFull, output i
	// covers [i·v, (i+1)·v)·src.
	S, D := int64(src), int64(dstFull)
	stride := 2
	for i := 0; i < dst; i++ {
		lo, hi := int64(i*v)*S, int64(min((i+1)*v, dstFull))*S
		first, last := int(lo/(int64(unit)*D)), int((hi-1)/(int64(unit)*D))
		stride = max(stride, last-first+1)
	}
	t := taps{start: make([]int, dst), n: make([]int, dst), w: make([]int32, dst*stride), stride: stride}
	for i := 0; i < dst; i++ {
		lo, hi := int64(i*v)*S, int64(min((i+1)*v, dstFull))*S
		first := int(lo / (int64(unit) * D))
		last := min(int((hi-1)/(int64(unit)*D)), samples-1)
		ws := t.w[i*stride : i*stride+last-first+1]
		var total int32
		big := 0
		for k := range ws {
			j := int64(first + k)
			a, b := max(lo, j*int64(unit)*D), min(hi, min((j+1)*int64(unit), S)*D)
			ws[k] = int32((max(b-a, 0)<<weightBits + (hi-lo)/2) / (hi - lo))
			total += ws[k]
			if ws[k] > ws[big] {
				big = k
			}
		}
		ws[big] += 1<<weightBits - total // flat areas stay flat
		t.start[i], t.n[i] = first, len(ws)
	}
	t.identity = dst == samples
	for i := range dst {
		t.identity = t.identity && t.n[i] == 1 && t.start[i] == i
	}
	return t
}

// fixed3 returns the taps as exactly three per output (zero weights added,
// the window moved left at the end so it stays inside the samples), or
// false when some output needs more than three or there are fewer than
// three samples. Three suffice whenever each output covers at most two
// samples: every reduction below 2, which is what follows the decoder's.
func (t taps) fixed3(samples int) (f taps, ok bool) {
	if samples < 3 {
		return t, false
	}
	f = taps{start: make([]int, len(t.n)), n: make([]int, len(t.n)), w: make([]int32, 3*len(t.n)), stride: 3}
	for i, n := range t.n {
		if n > 3 {
			return t, false
		}
		lo := min(t.start[i], samples-3)
		copy(f.w[3*i+t.start[i]-lo:], t.w[i*t.stride:i*t.stride+n])
		f.start[i], f.n[i] = lo, 3
	}
	return f, true
}

// resample averages a w×h plane of samples (rows stride apart) to
// len(hx.n) × len(vy.n), vertically first.
func resample(pix []byte, stride, w, h int, hx, vy taps) []byte {
	dw, dh := len(hx.n), len(vy.n)
	if hx.identity && vy.identity {
		out := make([]byte, dw*dh)
		for y := range dh {
			copy(out[y*dw:(y+1)*dw], pix[y*stride:])
		}
		return out
	}
	const round = 1 << (weightBits - 1)
	rows := make([]byte, w*dh)
	if f, ok := vy.fixed3(h); ok {
		for y := range dh {
			s, wt := f.start[y], f.w[3*y:3*y+3:3*y+3]
			w0, w1, w2 := wt[0], wt[1], wt[2]
			r0, r1, r2 := pix[s*stride:][:w], pix[(s+1)*stride:][:w], pix[(s+2)*stride:][:w]
			out := rows[y*w:][:w]
			for x := range out {
				out[x] = uint8((w0*int32(r0[x]) + w1*int32(r1[x]) + w2*int32(r2[x]) + round) >> weightBits)
			}
		}
	} else {
		acc := make([]int32, w)
		for y := range dh {
			clear(acc)
			s := vy.start[y]
			for k, wt := range vy.w[y*vy.stride : y*vy.stride+vy.n[y]] {
				for x, v := range pix[(s+k)*stride:][:w] {
					acc[x] += wt * int32(v)
				}
			}
			out := rows[y*w:][:w]
			for x, v := range acc {
				out[x] = uint8((v + round) >> weightBits)
			}
		}
	}
	out := make([]byte, dw*dh)
	f, fixed := hx.fixed3(w)
	var starts []int
	var wts []int32
	if fixed {
		starts, wts = f.start[:dw], f.w[:3*dw]
	}
	for y := range dh {
		in := rows[y*w:][:w]
		o := out[y*dw:][:dw]
		if fixed {
			for x, s := range starts {
				wt := wts[3*x : 3*x+3 : 3*x+3]
				px := in[s : s+3 : s+3]
				o[x] = uint8((wt[0]*int32(px[0]) + wt[1]*int32(px[1]) + wt[2]*int32(px[2]) + round) >> weightBits)
			}
			continue
		}
		for x := range o {
			s := hx.start[x]
			var sum int32
			for k, wt := range hx.w[x*hx.stride : x*hx.stride+hx.n[x]] {
				sum += wt * int32(in[s+k])
			}
			o[x] = uint8((sum + round) >> weightBits)
		}
	}
	return out
}

// areaResize averages img, decoded at 1/scale from a srcW×srcH image, to
// exactly dw×dh.
func areaResize(img image.Image, srcW, srcH, scale, dw, dh int) image.Image {
	lx := areaTaps(srcW, scale, img.Bounds().Dx(), dw, dw, 1)
	ly := areaTaps(srcH, scale, img.Bounds().Dy(), dh, dh, 1)
	switch m := img.(type) {
	case *image.YCbCr:
		return resizeYCbCr(m, srcW, srcH, scale, dw, dh, lx, ly)
	case *image.NYCbCrA:
		return resizeNYCbCrA(m, srcW, srcH, scale, dw, dh, lx, ly)
	case *image.NRGBA:
		return resizeNRGBA(m, lx, ly)
	}
	return img
}

// chromaTaps are the taps for the chroma planes of a 4:2:0 image.
func chromaTaps(src, scale, samples, dst int) taps {
	return areaTaps(src, 2*scale, samples, (dst+1)/2, dst, 2)
}

func resizeYCbCr(m *image.YCbCr, srcW, srcH, scale, dw, dh int, lx, ly taps) *image.YCbCr {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	cx, cy := chromaTaps(srcW, scale, cw, dw), chromaTaps(srcH, scale, ch, dh)
	return &image.YCbCr{
		Y:       resample(m.Y, m.YStride, w, h, lx, ly),
		Cb:      resample(m.Cb, m.CStride, cw, ch, cx, cy),
		Cr:      resample(m.Cr, m.CStride, cw, ch, cx, cy),
		YStride: dw, CStride: (dw + 1) / 2,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, dw, dh),
	}
}

// resizeNYCbCrA averages colour weighted by alpha (as the reduced decode
// does): luma and chroma are premultiplied, as the flattening onto a
// background will have them (Y·a, and chroma's distance from 128 times the
// alpha of the 2×2 pixels it covers), averaged as bytes, and divided by the
// averaged alpha.
func resizeNYCbCrA(m *image.NYCbCrA, srcW, srcH, scale, dw, dh int, lx, ly taps) *image.NYCbCrA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	cx, cy := chromaTaps(srcW, scale, cw, dw), chromaTaps(srcH, scale, ch, dh)
	ya := make([]byte, w*h)
	for y := range h {
		for x := range w {
			ya[y*w+x] = premultiply(m.Y[y*m.YStride+x], m.A[y*m.AStride+x])
		}
	}
	ca, ua, va := make([]byte, cw*ch), make([]byte, cw*ch), make([]byte, cw*ch)
	for y := range ch {
		for x := range cw {
			var s, n uint32
			for _, p := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				if lx, ly := 2*x+p[0], 2*y+p[1]; lx < w && ly < h {
					s += uint32(m.A[ly*m.AStride+lx])
					n++
				}
			}
			a := uint8((s + n/2) / n)
			ca[y*cw+x] = a
			ua[y*cw+x] = premultiplyChroma(m.Cb[y*m.CStride+x], a)
			va[y*cw+x] = premultiplyChroma(m.Cr[y*m.CStride+x], a)
		}
	}
	out := &image.NYCbCrA{
		YCbCr: image.YCbCr{
			Y:       resample(ya, w, w, h, lx, ly),
			Cb:      resample(ua, cw, cw, ch, cx, cy),
			Cr:      resample(va, cw, cw, ch, cx, cy),
			YStride: dw, CStride: (dw + 1) / 2,
			SubsampleRatio: image.YCbCrSubsampleRatio420,
			Rect:           image.Rect(0, 0, dw, dh),
		},
		A:       resample(m.A, m.AStride, w, h, lx, ly),
		AStride: dw,
	}
	for i, a := range out.A {
		out.Y[i] = unpremultiply(out.Y[i], a)
	}
	for i, a := range resample(ca, cw, cw, ch, cx, cy) {
		out.Cb[i] = unpremultiplyChroma(out.Cb[i], a)
		out.Cr[i] = unpremultiplyChroma(out.Cr[i], a)
	}
	return out
}

// resizeNRGBA averages colour weighted by alpha, premultiplied as bytes
// (an opaque image, the common case, as it is).
func resizeNRGBA(m *image.NRGBA, lx, ly taps) *image.NRGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dw, dh := len(lx.n), len(ly.n)
	opaque := true
	var chans [4][]byte
	for c := range chans {
		chans[c] = make([]byte, w*h)
	}
	for y := range h {
		row := m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y+y):]
		for x := range w {
			a := row[4*x+3]
			opaque = opaque && a == 255
			for c := range 3 {
				chans[c][y*w+x] = premultiply(row[4*x+c], a)
			}
			chans[3][y*w+x] = a
		}
	}
	out := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	ra := resample(chans[3], w, w, h, lx, ly)
	for c := range 3 {
		rc := resample(chans[c], w, w, h, lx, ly)
		for i, a := range ra {
			if opaque {
				out.Pix[4*i+c] = rc[i]
			} else {
				out.Pix[4*i+c] = unpremultiply(rc[i], a)
			}
		}
	}
	for i, a := range ra {
		out.Pix[4*i+3] = a
	}
	return out
}

// premultiply is v·a/255, rounded; unpremultiply undoes it (a colour
// under zero alpha, which nothing shows, comes out as 0).
func premultiply(v, a uint8) uint8 { return uint8((uint32(v)*uint32(a) + 127) / 255) }

func unpremultiply(p, a uint8) uint8 {
	if a == 0 {
		return 0
	}
	return uint8(min(255, (uint32(p)*255+uint32(a)/2)/uint32(a)))
}

// premultiplyChroma scales chroma's distance from 128 by a/255.
func premultiplyChroma(c, a uint8) uint8 {
	return uint8(128 + (int32(c)-128)*int32(a)/255)
}

func unpremultiplyChroma(p, a uint8) uint8 {
	if a == 0 {
		return 128
	}
	return clip255(128 + (int32(p)-128)*255/int32(a))
}
