// Package ycc converts 8-bit RGB rows to JFIF Y'CbCr with 4:2:0 chroma
// (each chroma sample the mean of a 2×2 block), the layout imaging's
// thumbnails are resized and encoded in. Rows stream in order, so a
// decoder can convert as it goes without holding the RGB image.
// Averaging RGB and then converting equals converting and then averaging,
// because the JFIF conversion is affine.
package ycc

import "image"

// Writer fills the planes of a w×h image from its RGB rows, given in
// order by Row.
type Writer struct {
	img  *image.YCbCr
	y    int
	even []byte // the last even row, until its odd partner comes
	bpp  int    // bytes per pixel of even
}

// NewWriter returns a Writer for a w×h image.
func NewWriter(w, h int) *Writer {
	return &Writer{img: image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)}
}

// Image is the image, complete once every row has been given.
func (w *Writer) Image() *image.YCbCr { return w.img }

// Row converts the next row: w pixels of R, G, B, bpp bytes apart (3, or
// 4 to skip an alpha byte). px may be reused after Row returns.
func (w *Writer) Row(px []byte, bpp int) {
	m := w.img
	width := m.Rect.Dx()
	y := w.y
	w.y++
	ly := m.Y[y*m.YStride : y*m.YStride+width]
	for x := range ly {
		p := px[bpp*x : bpp*x+3 : bpp*x+3]
		ly[x] = Luma(int32(p[0]), int32(p[1]), int32(p[2]))
	}
	last := y == m.Rect.Dy()-1
	if y%2 == 0 && !last {
		w.even = append(w.even[:0], px[:bpp*width]...)
		w.bpp = bpp
		return
	}
	r0, b0 := px, bpp // a last even row pairs with itself
	if y%2 == 1 {
		r0, b0 = w.even, w.bpp
	}
	ci := (y / 2) * m.CStride
	cb, cr := m.Cb[ci:ci+(width+1)/2], m.Cr[ci:ci+(width+1)/2]
	for cx := range cb {
		var rs, gs, bs, cnt int32
		for x := 2 * cx; x < min(2*cx+2, width); x++ {
			p, q := r0[b0*x:b0*x+3:b0*x+3], px[bpp*x:bpp*x+3:bpp*x+3]
			rs += int32(p[0]) + int32(q[0])
			gs += int32(p[1]) + int32(q[1])
			bs += int32(p[2]) + int32(q[2])
			cnt += 2
		}
		cb[cx] = Chroma(-11056*rs-21712*gs+32768*bs, cnt)
		cr[cx] = Chroma(32768*rs-27440*gs-5328*bs, cnt)
	}
}

// Luma is JFIF Y' from 8-bit R'G'B' (16.16 fixed point, as in
// color.RGBToYCbCr).
func Luma(r, g, b int32) uint8 { return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16) }

// Chroma turns the sum of cnt weighted samples (16.16 coefficients) into a
// Cb or Cr byte, rounded and clamped.
func Chroma(sum, cnt int32) uint8 {
	d := cnt << 16
	v := sum + d*128 + d/2
	if v < 0 {
		return 0
	}
	return uint8(min(v/d, 255))
}
