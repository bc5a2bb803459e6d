package webpdec

import (
	"context"
	"image"
	"image/draw"
)

// vp8lSize reads the VP8L header (RFC 9649 section 3.2): the signature
// 0x2f, then 14 bits of width-1, 14 of height-1, the alpha hint and a
// 3-bit version, which must be 0.
func vp8lSize(p []byte) (w, h int, err error) {
	if len(p) < 5 {
		return 0, 0, truncatedError("VP8L header is cut short")
	}
	if p[0] != 0x2f {
		return 0, 0, FormatError("VP8L signature missing")
	}
	bits := uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16 | uint32(p[4])<<24
	if bits>>29 != 0 {
		return 0, 0, FormatError("VP8L version is not 0")
	}
	return 1 + int(bits&0x3fff), 1 + int(bits>>14&0x3fff), nil
}

// decodeLossless decodes a VP8L payload at 1/scale: at full scale into an
// *image.NRGBA, reduced by averaging s×s pixels (colour weighted by alpha)
// as the rows arrive, so the full-size image never exists.
func decodeLossless(ctx context.Context, p []byte, scale int) (image.Image, error) {
	w, h, err := vp8lSize(p)
	if err != nil {
		return nil, err
	}
	if scale == 1 {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		err := vp8lImage(ctx, p, true, w, h, func(y int, row []uint32) error {
			out := img.Pix[y*img.Stride:][:4*w]
			for x, c := range row {
				o := out[4*x : 4*x+4 : 4*x+4]
				o[0], o[1], o[2], o[3] = uint8(c>>16), uint8(c>>8), uint8(c), uint8(c>>24)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return img, nil
	}
	r := newReducer(w, h, scale)
	if err := vp8lImage(ctx, p, true, w, h, r.add); err != nil {
		return nil, err
	}
	return r.img, nil
}

// reducer averages rows of ARGB pixels in s×s cells into an NRGBA image,
// colour weighted by alpha.
type reducer struct {
	img  *image.NRGBA
	s, h int
	acc  []uint32 // per output column: Σc·a for 3 channels, Σc for 3, Σa, n
}

func newReducer(w, h, s int) *reducer {
	ow := (w + s - 1) / s
	return &reducer{img: image.NewNRGBA(image.Rect(0, 0, ow, (h+s-1)/s)), s: s, h: h, acc: make([]uint32, 8*ow)}
}

func (r *reducer) add(y int, row []uint32) error {
	for x, c := range row {
		a, red, green, blue := c>>24, c>>16&0xff, c>>8&0xff, c&0xff
		acc := r.acc[8*(x/r.s):][:8:8]
		acc[0] += red * a
		acc[1] += green * a
		acc[2] += blue * a
		acc[3] += red
		acc[4] += green
		acc[5] += blue
		acc[6] += a
		acc[7]++
	}
	if (y+1)%r.s != 0 && y+1 != r.h {
		return nil
	}
	out := r.img.Pix[(y/r.s)*r.img.Stride:]
	for ox := range r.img.Rect.Dx() {
		acc := r.acc[8*ox:][:8]
		px := out[4*ox : 4*ox+4 : 4*ox+4]
		for k := range 3 {
			px[k] = weighted(acc[k], acc[6], acc[3+k], acc[7])
		}
		px[3] = uint8((acc[6] + acc[7]/2) / acc[7])
		clear(acc)
	}
	return nil
}

// placeOnCanvas puts the first frame of an animation at its offset on a
// transparent canvas of w×h, all at 1/scale.
func placeOnCanvas(img image.Image, f *frame, w, h, scale int) image.Image {
	canvas := image.NewNRGBA(image.Rect(0, 0, (w+scale-1)/scale, (h+scale-1)/scale))
	at := image.Pt(f.x/scale, f.y/scale)
	draw.Draw(canvas, img.Bounds().Add(at), img, image.Point{}, draw.Src)
	return canvas
}
