package imaging

import (
	"image"
	"image/color"

	"github.com/rampartdev/rampart/imaging/internal/icc"
	"github.com/rampartdev/rampart/imaging/internal/ycc"
)

// plane is one channel of 8-bit samples, w×h, rows stride bytes apart.
type plane struct {
	pix    []byte
	stride int
	w, h   int
}

func newPlane(w, h int) plane { return plane{pix: make([]byte, w*h), stride: w, w: w, h: h} }

func (p plane) row(y int) []byte { return p.pix[y*p.stride : y*p.stride+p.w] }

// picture is an opaque image as planes: luma only (gray) or luma plus two
// chroma planes subsampled by fx, fy (luma samples per chroma sample, as in
// JPEG). Resizing works plane by plane, so a decoded JPEG is resized in its
// own YCbCr planes without ever being expanded to RGBA. YCbCr is an affine
// function of gamma-encoded RGB, so filtering the planes is filtering the
// sRGB values (what libvips and sharp do by default).
type picture struct {
	w, h   int
	gray   bool
	y      plane
	cb, cr plane
	fx, fy int
}

// ycbcrFactors maps a subsample ratio to luma samples per chroma sample.
func ycbcrFactors(r image.YCbCrSubsampleRatio) (fx, fy int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// toPicture turns a decoded image into planes. JPEG's *image.YCbCr and
// *image.Gray are used in place (no copy); everything else is converted once
// to luma plus 4:2:0 chroma, flattening any transparency onto white and
// converting CMYK to sRGB with cmyk (nil: libvips' default CMYK profile).
func toPicture(img image.Image, cmyk *icc.Transform) picture {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.YCbCr:
		if fx, fy, ok := ycbcrFactors(m.SubsampleRatio); ok && b.Min == (image.Point{}) {
			cw, ch := (w+fx-1)/fx, (h+fy-1)/fy
			return picture{w: w, h: h, fx: fx, fy: fy,
				y:  plane{pix: m.Y, stride: m.YStride, w: w, h: h},
				cb: plane{pix: m.Cb, stride: m.CStride, w: cw, h: ch},
				cr: plane{pix: m.Cr, stride: m.CStride, w: cw, h: ch},
			}
		}
	case *image.Gray:
		if b.Min == (image.Point{}) {
			return picture{w: w, h: h, gray: true, y: plane{pix: m.Pix, stride: m.Stride, w: w, h: h}}
		}
	case *image.Gray16:
		p := newPlane(w, h)
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x, d := 0, p.row(y); x < w; x++ {
				d[x] = uint8((uint32(src[2*x])<<8 | uint32(src[2*x+1]) + 128) / 257)
			}
		}
		return picture{w: w, h: h, gray: true, y: p}
	}
	return toYCbCr420(w, h, rgbRows(img, cmyk))
}

// rowFunc writes row y (0-based within the bounds) of an image as opaque
// 8-bit R, G, B triples into dst[:3*w].
type rowFunc func(y int, dst []byte)

// rgbRows returns a row converter for img, with fast paths for the types the
// standard decoders return and a slow generic path for anything else.
func rgbRows(img image.Image, cmyk *icc.Transform) rowFunc {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.NRGBA:
		return func(y int, dst []byte) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				s := src[4*x : 4*x+4 : 4*x+4]
				a := uint32(s[3])
				dst[3*x] = over8(uint32(s[0]), a)
				dst[3*x+1] = over8(uint32(s[1]), a)
				dst[3*x+2] = over8(uint32(s[2]), a)
			}
		}
	case *image.RGBA: // premultiplied: c + (1-a)·white
		return func(y int, dst []byte) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				s := src[4*x : 4*x+4 : 4*x+4]
				t := 255 - uint32(s[3])
				dst[3*x] = uint8(min(255, uint32(s[0])+t))
				dst[3*x+1] = uint8(min(255, uint32(s[1])+t))
				dst[3*x+2] = uint8(min(255, uint32(s[2])+t))
			}
		}
	case *image.NRGBA64:
		return func(y int, dst []byte) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				s := src[8*x : 8*x+8 : 8*x+8]
				a := uint32(s[6])<<8 | uint32(s[7])
				for c := 0; c < 3; c++ {
					dst[3*x+c] = over16(uint32(s[2*c])<<8|uint32(s[2*c+1]), a)
				}
			}
		}
	case *image.RGBA64:
		return func(y int, dst []byte) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				s := src[8*x : 8*x+8 : 8*x+8]
				t := 0xffff - (uint32(s[6])<<8 | uint32(s[7]))
				for c := 0; c < 3; c++ {
					v := min(0xffff, uint32(s[2*c])<<8|uint32(s[2*c+1])+t)
					dst[3*x+c] = uint8((v + 128) / 257)
				}
			}
		}
	case *image.Paletted:
		// Flatten the palette once; index out of range (possible in GIFs)
		// shows as black, as in the standard library's At.
		var lut [256][3]uint8
		for i := range lut {
			c := color.RGBA64{A: 0xffff}
			if i < len(m.Palette) {
				r, g, bb, a := m.Palette[i].RGBA()
				c = color.RGBA64{uint16(r), uint16(g), uint16(bb), uint16(a)}
			}
			t := 0xffff - uint32(c.A)
			lut[i] = [3]uint8{
				uint8((min(0xffff, uint32(c.R)+t) + 128) / 257),
				uint8((min(0xffff, uint32(c.G)+t) + 128) / 257),
				uint8((min(0xffff, uint32(c.B)+t) + 128) / 257),
			}
		}
		return func(y int, dst []byte) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				c := lut[src[x]]
				dst[3*x], dst[3*x+1], dst[3*x+2] = c[0], c[1], c[2]
			}
		}
	case *image.CMYK:
		// jpegdec has already undone Adobe's inverted storage, so these
		// are ink amounts (0 = none), converted through the file's CMYK
		// profile or libvips' default one (icc.go), at the decoded size
		// and before resizing, as sharp does.
		if cmyk == nil {
			cmyk = defaultCMYK()
		}
		return func(y int, dst []byte) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				s := src[4*x : 4*x+4 : 4*x+4]
				dst[3*x], dst[3*x+1], dst[3*x+2] = cmyk.CMYK(s[0], s[1], s[2], s[3])
			}
		}
	case *image.NYCbCrA: // lossy WebP with alpha
		return func(y int, dst []byte) {
			for x := 0; x < w; x++ {
				px, py := b.Min.X+x, b.Min.Y+y
				yi, ci := m.YOffset(px, py), m.COffset(px, py)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				a := uint32(m.A[m.AOffset(px, py)])
				dst[3*x], dst[3*x+1], dst[3*x+2] = over8(uint32(r), a), over8(uint32(g), a), over8(uint32(bb), a)
			}
		}
	}
	// Generic path: image.Image.At, slow but correct for any image type.
	return func(y int, dst []byte) {
		for x := 0; x < w; x++ {
			r, g, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA() // premultiplied
			t := 0xffff - a
			dst[3*x] = uint8((min(0xffff, r+t) + 128) / 257)
			dst[3*x+1] = uint8((min(0xffff, g+t) + 128) / 257)
			dst[3*x+2] = uint8((min(0xffff, bb+t) + 128) / 257)
		}
	}
}

// over8 composites a non-premultiplied 8-bit sample with alpha a over white.
func over8(c, a uint32) uint8 { return uint8((c*a + 255*(255-a) + 127) / 255) }

// over16 composites a non-premultiplied 16-bit sample over white, to 8 bits.
func over16(c, a uint32) uint8 {
	v := (uint64(c)*uint64(a) + 0xffff*uint64(0xffff-a) + 0x7fff) / 0xffff
	return uint8((v + 128) / 257)
}

// toYCbCr420 converts RGB rows to full-resolution luma and 2×2-averaged
// chroma, the layout of the JPEG we will write (internal/ycc).
func toYCbCr420(w, h int, rows rowFunc) picture {
	yw := ycc.NewWriter(w, h)
	row := make([]byte, 3*w)
	for y := 0; y < h; y++ {
		rows(y, row)
		yw.Row(row, 3)
	}
	return toPicture(yw.Image(), nil)
}
