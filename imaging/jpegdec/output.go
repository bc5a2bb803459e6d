package jpegdec

import (
	"image"
	"image/color"
)

// output wraps the planes as the image type for the colour space. Gray and
// YCbCr use the planes in place; RGB and CMYK are interleaved at the output
// scale, upsampling subsampled components by replication (as image/jpeg
// does).
func (d *decoder) output(cs ColorSpace) image.Image {
	w := (d.width + d.scale - 1) / d.scale
	h := (d.height + d.scale - 1) / d.scale
	r := image.Rect(0, 0, w, h)
	c := &d.comp
	switch cs {
	case Gray:
		return &image.Gray{Pix: c[0].plane, Stride: c[0].stride, Rect: r}
	case YCbCr:
		ratio, _ := d.subsampling()
		return &image.YCbCr{
			Y: c[0].plane, Cb: c[1].plane, Cr: c[2].plane,
			YStride: c[0].stride, CStride: c[1].stride,
			SubsampleRatio: ratio, Rect: r,
		}
	case RGB:
		img := image.NewRGBA(r)
		d.interleave(img.Pix, img.Stride, w, h, func(px []byte, s [4]byte) {
			px[0], px[1], px[2], px[3] = s[0], s[1], s[2], 255
		})
		return img
	case CMYK:
		// Adobe stores CMYK inverted (0 = full ink).
		img := image.NewCMYK(r)
		d.interleave(img.Pix, img.Stride, w, h, func(px []byte, s [4]byte) {
			px[0], px[1], px[2], px[3] = 255-s[0], 255-s[1], 255-s[2], 255-s[3]
		})
		return img
	default:
		// YCCK: the YCbCr part converts to RGB, which libjpeg inverts to
		// Adobe's inverted CMY; undoing that inversion leaves R, G, B as
		// the ink amounts. K is stored inverted.
		img := image.NewCMYK(r)
		d.interleave(img.Pix, img.Stride, w, h, func(px []byte, s [4]byte) {
			r, g, b := color.YCbCrToRGB(s[0], s[1], s[2])
			px[0], px[1], px[2], px[3] = r, g, b, 255-s[3]
		})
		return img
	}
}

// interleave calls set for every output pixel with its component samples,
// sampling each component at its own resolution (nearest neighbour).
func (d *decoder) interleave(pix []byte, stride, w, h int, set func(px []byte, s [4]byte)) {
	var xs [4][]int // per component: plane column for each output column
	for i := 0; i < d.ncomp; i++ {
		c := &d.comp[i]
		xs[i] = make([]int, w)
		for x := range xs[i] {
			xs[i][x] = x * c.h / d.hmax
		}
	}
	var rows [4][]byte
	for y := 0; y < h; y++ {
		for i := 0; i < d.ncomp; i++ {
			c := &d.comp[i]
			sy := y * c.v / d.vmax
			rows[i] = c.plane[sy*c.stride:]
		}
		row := pix[y*stride : y*stride+4*w]
		var s [4]byte
		for x := 0; x < w; x++ {
			for i := 0; i < d.ncomp; i++ {
				s[i] = rows[i][xs[i][x]]
			}
			set(row[4*x:4*x+4], s)
		}
	}
}
