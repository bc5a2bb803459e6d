package webpdec

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/draw"
	"io"

	"golang.org/x/image/vp8l"
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

// decodeLossless decodes a VP8L payload with golang.org/x/image/vp8l (which
// decodes it correctly; it is not the bottleneck of any format we serve
// often) and reduces it to 1/scale.
func decodeLossless(ctx context.Context, p []byte, scale int) (image.Image, error) {
	m, err := vp8l.Decode(bytes.NewReader(p))
	if err != nil {
		return nil, losslessError(err)
	}
	nrgba, ok := m.(*image.NRGBA)
	if !ok {
		return nil, FormatError("VP8L decoder returned an unexpected image")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if scale == 1 {
		return nrgba, nil
	}
	return reduceNRGBA(nrgba, scale), nil
}

// losslessError maps x/image/vp8l's errors: its truncation errors wrap
// io.ErrUnexpectedEOF (or are io.EOF), everything else is invalid data.
func losslessError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return truncatedError("VP8L bitstream is cut short")
	}
	return FormatError(err.Error())
}

// reduceNRGBA averages s×s pixels into one, weighting colour by alpha
// (colour under transparent pixels is arbitrary and must not bleed into
// visible ones). Cells at the right and bottom edges average what the
// image has.
func reduceNRGBA(src *image.NRGBA, s int) *image.NRGBA {
	b := src.Rect
	w, h := b.Dx(), b.Dy()
	dst := image.NewNRGBA(image.Rect(0, 0, (w+s-1)/s, (h+s-1)/s))
	for oy := 0; oy < dst.Rect.Dy(); oy++ {
		out := dst.Pix[oy*dst.Stride:]
		for ox := 0; ox < dst.Rect.Dx(); ox++ {
			var c, plain [3]uint32
			var sumA, n uint32
			for y := oy * s; y < min(oy*s+s, h); y++ {
				row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
				for x := ox * s; x < min(ox*s+s, w); x++ {
					px := row[4*x : 4*x+4 : 4*x+4]
					a := uint32(px[3])
					for k := range 3 {
						c[k] += uint32(px[k]) * a
						plain[k] += uint32(px[k])
					}
					sumA += a
					n++
				}
			}
			px := out[4*ox : 4*ox+4 : 4*ox+4]
			for k := range 3 {
				px[k] = weighted(c[k], sumA, plain[k], n)
			}
			px[3] = uint8((sumA + n/2) / n)
		}
	}
	return dst
}

// placeOnCanvas puts the first frame of an animation at its offset on a
// transparent canvas of w×h, all at 1/scale.
func placeOnCanvas(img image.Image, f *frame, w, h, scale int) image.Image {
	canvas := image.NewNRGBA(image.Rect(0, 0, (w+scale-1)/scale, (h+scale-1)/scale))
	at := image.Pt(f.x/scale, f.y/scale)
	draw.Draw(canvas, img.Bounds().Add(at), img, image.Point{}, draw.Src)
	return canvas
}
