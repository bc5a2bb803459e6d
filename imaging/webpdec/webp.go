package webpdec

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"

	"github.com/rampartdev/rampart/imaging/internal/exif"
)

// DefaultMaxPixels is the pixel limit when Options.MaxPixels is zero:
// 16383 × 16383, the largest frame VP8 and VP8L can describe, and the
// default of libvips and sharp (limitInputPixels).
const DefaultMaxPixels = 16383 * 16383

// Options configure [Decode]. The zero value (or a nil *Options) decodes at
// full size with the default pixel limit.
type Options struct {
	// Scale is the reduction: 1, 2, 4 or 8 decodes at 1/1, 1/2, 1/4 or 1/8
	// of the stored size in each dimension (rounded up). Zero means 1. See
	// [ChooseScale].
	Scale int
	// Width and Height, when set (both, at most the image's size), make
	// Decode return exactly Width × Height: each pixel the mean of the
	// source area it covers, which is how libwebp's scaled decoding (and
	// so sharp) reduces a WebP. A lossy image is decoded at the strongest
	// Scale that leaves at least that size and averaged the rest of the
	// way. Scale is then ignored.
	Width, Height int
	// MaxPixels is the largest width × height the headers may declare; a
	// larger one fails with [ErrTooManyPixels] before pixel memory is
	// allocated. Zero means [DefaultMaxPixels]; negative means no limit.
	MaxPixels int64

	noFilter bool         // tests: skip the loop filter at full scale too
	rawRange bool         // tests: keep VP8's limited range
	stats    *decodeStats // tests: what the decoder saw
}

// decodeStats is what a decode tells the tests about its input.
type decodeStats struct {
	// wild reports a coefficient beyond what real encoders produce, where
	// the 16-bit arithmetic of libwebp's SIMD transforms, the 32-bit of its
	// C ones and of x/image/vp8 (and ours) give different pixels.
	wild bool
}

// Config is what the headers say about an image, read without decoding any
// pixels.
type Config struct {
	image.Config // size (the canvas of an animation) and colour model
	// Lossless reports a VP8L image; otherwise it is lossy (VP8).
	Lossless bool
	// Alpha reports an alpha channel: an ALPH chunk beside a lossy frame,
	// or a lossless image (VP8L always carries one, often opaque).
	Alpha bool
	// Animated reports an animation (the VP8X animation flag); Decode
	// returns its first frame.
	Animated bool
	// Frames is the number of frames: 1 for a still image, the number of
	// ANMF chunks for an animation (counted without decoding them).
	Frames int
	// ICC is the embedded ICC profile (ICCP chunk), nil when there is none
	// or it is over 4 MB (real profiles are a few KB, big CMYK ones about
	// 1 MB), which is ignored, as jpegdec and pngdec do.
	ICC []byte
	// Orientation is the EXIF orientation (tag 0x0112 in the EXIF chunk),
	// 1 to 8; 1 when absent or invalid.
	Orientation int

	frameW, frameH int // the first frame's size (the canvas's for a still)
	alphaMethod    int // the ALPH chunk's compression, -1 without one
}

// maxICC bounds the ICC profile DecodeConfig reports.
const maxICC = 4 << 20

// ChooseScale returns the strongest reduction (8, 4, 2 or 1) at which an
// image of srcW×srcH still decodes to a long edge of at least longEdge
// pixels, so that resampling afterwards only ever shrinks. A longEdge of 0
// or less returns 8.
func ChooseScale(srcW, srcH, longEdge int) int {
	long := max(srcW, srcH)
	for _, s := range [...]int{8, 4, 2} {
		if (long+s-1)/s >= longEdge {
			return s
		}
	}
	return 1
}

// DecodeBytes estimates the memory [Decode] holds at its peak for this
// image with opts. A lossy image needs its planes at the decoding scale
// (1.5 bytes a pixel at that size, in whole macroblocks) and a few rows of
// edges; with an alpha channel, the alpha plane at that scale, sixteen rows
// of it at full size and, when it is compressed losslessly, what the
// lossless decoder holds. The lossless decoder holds its output (4 bytes a pixel at
// the decoding scale), the transforms' data (at most 12 bytes per 4×4
// pixels), a window of at most 2^21 coded pixels (8 MB; less for smaller
// images) and its prefix code tables (a few KB per group of codes: some
// 30 MB in all for the 2600 groups it accepts at most, far fewer in real
// files, counted here as 1 MB). Averaging to Width × Height adds the
// output and a row pass. The lossy decoder's own tables add a few KB.
func (c Config) DecodeBytes(opts *Options) int64 {
	scale, dw, dh, err := c.plan(opts)
	if err != nil {
		return 0
	}
	s := int64(scale)
	w, h := int64(c.frameW), int64(c.frameH)
	ow, oh := (w+s-1)/s, (h+s-1)/s
	var n int64
	bpp := int64(4) // bytes a pixel of the decoded image: NRGBA
	if c.Lossless {
		n = 4*ow*oh + vp8lWorkBytes(w, h)
		if scale > 1 {
			n += 32 * ow // the reducer's sums
		}
	} else {
		mbw, mbh := (w+15)/16, (h+15)/16
		n = (mbw*16/s)*(mbh*16/s) + 2*(mbw*8/s)*(mbh*8/s) + 64*mbw
		bpp = 2
		if c.alphaMethod >= 0 {
			n += ow*oh + 17*w // the alpha output and its rows being unfiltered
			if c.alphaMethod == 1 {
				n += vp8lWorkBytes(w, h)
			}
			bpp = 6 // premultiplied planes while averaging
		}
	}
	cw, ch := (int64(c.Width)+s-1)/s, (int64(c.Height)+s-1)/s
	if c.frameW != c.Width || c.frameH != c.Height {
		n += 4 * cw * ch // the canvas the first frame is placed on
		bpp = 4
	}
	if dw > 0 {
		if bpp == 4 {
			bpp = 8 // NRGBA: four premultiplied planes in, four out
		}
		n += bpp * (cw*ch + int64(dw)*int64(dh) + cw*int64(dh))
	}
	return n
}

// vp8lWorkBytes is what the lossless decoder holds for a w×h image besides
// its output: see DecodeBytes.
func vp8lWorkBytes(w, h int64) int64 {
	const tables = 1 << 20
	return min(w*h, int64(ringSize(int(w))))*4 + 12*((w+3)/4)*((h+3)/4) + 6*4*w + tables
}

// plan validates opts for this image and returns the scale to decode at
// and, with Width and Height, the size to average to (else 0, 0).
func (c Config) plan(opts *Options) (scale, w, h int, err error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Width != 0 || o.Height != 0 {
		if o.Width <= 0 || o.Height <= 0 || o.Width > c.Width || o.Height > c.Height {
			return 0, 0, 0, ErrInvalidSize
		}
		// Cells of s×s pixels at least as small as an output pixel,
		// so that no output is made of fewer than one cell.
		for _, s := range [...]int{8, 4, 2, 1} {
			if c.Width >= s*o.Width && c.Height >= s*o.Height {
				return s, o.Width, o.Height, nil
			}
		}
	}
	switch o.Scale {
	case 0:
		return 1, 0, 0, nil
	case 1, 2, 4, 8:
		return o.Scale, 0, 0, nil
	}
	return 0, 0, 0, ErrInvalidScale
}

// DecodeConfig reads the headers of the WebP in src. It checks no pixel
// limit: compare the size with your own.
//
// For an extended file (VP8X) the size is the canvas the VP8X chunk
// declares, and what the chunks after it say is gathered as far as they
// can be read: like image.DecodeConfig, DecodeConfig does not promise that
// Decode will succeed, so that a hostile canvas size is seen before
// anything else is looked at.
func DecodeConfig(src []byte) (Config, error) {
	ct, err := parseContainer(src, true)
	if err != nil {
		return Config{}, err
	}
	return ct.cfg, nil
}

// Decode decodes the WebP in src at 1/opts.Scale of its size.
//
// A lossy image is an *image.YCbCr (4:2:0), or an *image.NYCbCrA with an
// alpha channel, whose samples are full range as Go's color.YCbCr model
// (and JPEG) expect: VP8's limited-range samples are converted, which
// x/image/webp does not do (golang/go#40173). A lossless image is an
// *image.NRGBA. Bounds start at (0, 0) and are ⌈w/s⌉ × ⌈h/s⌉. For an
// animation the first frame is placed on the canvas, as an *image.NRGBA
// over transparent pixels when it does not cover it. The EXIF orientation
// is not applied. With Options.Width and Height the result has exactly that
// size, averaged by area.
//
// Nothing is allocated for pixels before the headers have passed
// opts.MaxPixels; see [Config.DecodeBytes] for what is allocated after.
func Decode(src []byte, opts *Options) (image.Image, error) {
	return DecodeContext(context.Background(), src, opts)
}

// DecodeContext is [Decode] under a context: the decoder checks ctx between
// rows of macroblocks (lossy) and before each stage, and returns ctx.Err()
// promptly once it is done, dropping everything it allocated.
func DecodeContext(ctx context.Context, src []byte, opts *Options) (image.Image, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Scale != 0 && o.Scale != 1 && o.Scale != 2 && o.Scale != 4 && o.Scale != 8 {
		return nil, ErrInvalidScale
	}
	if o.MaxPixels == 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	ct, err := parseContainer(src, false)
	if err != nil {
		return nil, err
	}
	cfg := ct.cfg
	scale, dw, dh, err := cfg.plan(&o)
	if err != nil {
		return nil, err
	}
	o.Scale = scale
	if o.MaxPixels > 0 {
		for _, px := range []int64{int64(cfg.Width) * int64(cfg.Height), int64(cfg.frameW) * int64(cfg.frameH)} {
			if px > o.MaxPixels {
				return nil, ErrTooManyPixels
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img, err := decodeFrame(ctx, &ct.frame, &o)
	if err != nil {
		return nil, err
	}
	if ct.frame.placed(cfg.Width, cfg.Height) {
		img = placeOnCanvas(img, &ct.frame, cfg.Width, cfg.Height, o.Scale)
	}
	if dw > 0 && (o.Scale > 1 || dw != img.Bounds().Dx() || dh != img.Bounds().Dy()) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		img = areaResize(img, cfg.Width, cfg.Height, o.Scale, dw, dh)
	}
	return img, nil
}

// frame is one image's bitstreams: a VP8 or VP8L payload and the ALPH
// payload that goes with a VP8 one.
type frame struct {
	vp8, vp8l []byte
	alph      []byte
	w, h      int
	x, y      int // offset on the canvas (animation frames)
}

// placed reports whether the frame must be placed on a canvas of w×h: it
// is an animation frame that does not cover it.
func (f *frame) placed(w, h int) bool { return f.x != 0 || f.y != 0 || f.w != w || f.h != h }

// decodeFrame decodes one frame at 1/scale.
func decodeFrame(ctx context.Context, f *frame, o *Options) (image.Image, error) {
	scale := o.Scale
	if f.vp8l != nil {
		return decodeLossless(ctx, f.vp8l, scale)
	}
	h, err := parseVP8Header(f.vp8)
	if err != nil {
		return nil, err
	}
	var alpha *alphaRows
	if f.alph != nil {
		if alpha, err = decodeAlpha(ctx, f.alph, f.w, f.h); err != nil {
			return nil, err
		}
		defer alpha.stop()
	}
	d := newDecoder(ctx, h, scale, !o.noFilter)
	if o.rawRange {
		d.ylut, d.clut = &identity, &identity
	}
	d.stats = o.stats
	if alpha != nil {
		d.setAlpha(alpha)
	}
	m, err := d.decodeFrame()
	if err != nil {
		return nil, err
	}
	if alpha == nil {
		return m, nil
	}
	return &image.NYCbCrA{YCbCr: *m, A: d.aout, AStride: d.astride}, nil
}

// container is what parseContainer finds: the configuration and the first
// frame's bitstreams.
type container struct {
	cfg   Config
	frame frame
}

// parseContainer walks the RIFF chunks of src (the WebP container format,
// RFC 9649 section 2) as libwebp does: a simple file holds one VP8 or VP8L
// chunk; an extended one (VP8X first) may add ICCP, ALPH, EXIF and XMP
// chunks, or ANIM and ANMF chunks for an animation. With headerOnly, a
// valid VP8X chunk suffices: problems after it are left to Decode.
func parseContainer(src []byte, headerOnly bool) (*container, error) {
	if len(src) < 12 {
		return nil, truncatedError("shorter than a RIFF header")
	}
	if string(src[:4]) != "RIFF" || string(src[8:12]) != "WEBP" {
		return nil, FormatError("not a RIFF WEBP file")
	}
	size := int64(binary.LittleEndian.Uint32(src[4:]))
	switch {
	case size < 12:
		return nil, FormatError("RIFF size too small")
	case size > int64(len(src))-8:
		return nil, truncatedError("file is shorter than its RIFF size")
	}
	b := src[12 : 8+size] // bytes after the RIFF size are not part of the file
	ct := &container{}
	ct.cfg.Frames = 1
	ct.cfg.Orientation = 1
	ct.cfg.alphaMethod = -1
	typ, payload, rest, err := nextChunk(b)
	if err != nil {
		return nil, err
	}
	if typ != "VP8X" {
		if err := ct.setBitstream(typ, payload, 0, 0, false); err != nil {
			return nil, err
		}
		return ct, ct.finish()
	}
	if len(payload) != 10 {
		return nil, FormatError("VP8X chunk is not 10 bytes")
	}
	flags := payload[0]
	canvasW := 1 + int(le24(payload[4:]))
	canvasH := 1 + int(le24(payload[7:]))
	if int64(canvasW)*int64(canvasH) >= 1<<32 {
		return nil, FormatError("canvas is too large")
	}
	ct.cfg.Width, ct.cfg.Height = canvasW, canvasH
	animated := flags&0x02 != 0
	ct.cfg.Animated = animated
	frames := 0
	var alph []byte
	lenient := func(err error) (*container, error) {
		if !headerOnly {
			return nil, err
		}
		ct.cfg.Frames = max(frames, 1)
		if ct.frame.w == 0 {
			ct.frame.w, ct.frame.h = canvasW, canvasH
		}
		ct.cfg.frameW, ct.cfg.frameH = ct.frame.w, ct.frame.h
		if animated {
			ct.cfg.ColorModel = color.NRGBAModel
		} else {
			ct.cfg.ColorModel = color.YCbCrModel
		}
		return ct, nil
	}
	for b = rest; len(b) > 0; b = rest {
		if typ, payload, rest, err = nextChunk(b); err != nil {
			if animated && frames > 0 {
				break // a cut-short tail after the first frame: count what is there
			}
			return lenient(err)
		}
		switch typ {
		case "ICCP":
			if ct.cfg.ICC == nil && len(payload) <= maxICC {
				ct.cfg.ICC = payload
			}
		case "EXIF":
			ct.setEXIF(payload)
		case "ALPH":
			if !animated {
				alph = payload // the last one before the bitstream wins, as in libwebp
			}
		case "ANMF":
			if !animated {
				continue
			}
			frames++
			if frames == 1 {
				if err := ct.setFrame(payload); err != nil {
					return lenient(err)
				}
			}
		case "VP8 ", "VP8L":
			if animated {
				continue
			}
			if len(payload)&1 == 1 && len(b) == 8+len(payload) {
				// libwebp holds an extended file's chunks, padding
				// included, to the RIFF size (a simple file's not).
				return lenient(FormatError(typ + " chunk's padding byte is outside the RIFF size"))
			}
			ct.frame.alph = alph
			if err := ct.setBitstream(typ, payload, canvasW, canvasH, true); err != nil {
				return lenient(err)
			}
			ct.trailer(rest)
			return ct, ct.finish()
		}
	}
	if !animated {
		return lenient(FormatError("no VP8 or VP8L chunk"))
	}
	if frames == 0 {
		return lenient(FormatError("animation without frames"))
	}
	ct.cfg.Frames = frames
	return ct, ct.finish()
}

// trailer reads the chunks after a still image's bitstream, where EXIF
// (and XMP) usually are; a chunk cut short there ends the walk, the image
// being whole.
func (ct *container) trailer(b []byte) {
	for len(b) > 0 {
		typ, payload, rest, err := nextChunk(b)
		if err != nil {
			return
		}
		if typ == "EXIF" {
			ct.setEXIF(payload)
		}
		b = rest
	}
}

// setEXIF takes the orientation from an EXIF chunk's TIFF structure, which
// some writers prefix with JPEG's "Exif\0\0".
func (ct *container) setEXIF(p []byte) {
	if o, ok := exif.Orientation(bytes.TrimPrefix(p, []byte(exif.Prefix))); ok {
		ct.cfg.Orientation = o
	}
}

// nextChunk splits the chunk at the start of b: its type, its payload, and
// the bytes after it (and its padding byte).
func nextChunk(b []byte) (typ string, payload, rest []byte, err error) {
	if len(b) < 8 {
		return "", nil, nil, truncatedError("chunk header is cut short")
	}
	n := int64(binary.LittleEndian.Uint32(b[4:]))
	if n > int64(len(b))-8 {
		return "", nil, nil, truncatedError(string(printable(b[:4])) + " chunk is cut short")
	}
	payload = b[8 : 8+n]
	rest = b[8+n:]
	if n&1 == 1 && len(rest) > 0 {
		rest = rest[1:]
	}
	return string(b[:4]), payload, rest, nil
}

// setFrame reads an ANMF payload: the frame's placement, then its own
// ALPH and VP8, or VP8L, chunks.
func (ct *container) setFrame(p []byte) error {
	if len(p) < 16 {
		return FormatError("ANMF chunk is too short")
	}
	x, y := 2*int(le24(p[0:])), 2*int(le24(p[3:]))
	w, h := 1+int(le24(p[6:])), 1+int(le24(p[9:]))
	if x+w > ct.cfg.Width || y+h > ct.cfg.Height {
		return FormatError("animation frame lies outside the canvas")
	}
	var alph []byte
	for b := p[16:]; len(b) > 0; {
		typ, payload, rest, err := nextChunk(b)
		if err != nil {
			return err
		}
		switch typ {
		case "ALPH":
			alph = payload
		case "VP8 ", "VP8L":
			ct.frame.alph = alph
			ct.frame.x, ct.frame.y = x, y
			return ct.setBitstream(typ, payload, w, h, true)
		}
		b = rest
	}
	return FormatError("animation frame without a bitstream")
}

// setBitstream records the frame's VP8 or VP8L payload after reading its
// size, which must be w×h when sized is set.
func (ct *container) setBitstream(typ string, p []byte, w, h int, sized bool) error {
	f := &ct.frame
	var fw, fh int
	switch typ {
	case "VP8 ":
		var err error
		if fw, fh, _, err = vp8FrameSize(p); err != nil {
			return err
		}
		f.vp8 = p
	case "VP8L":
		var err error
		if fw, fh, err = vp8lSize(p); err != nil {
			return err
		}
		f.vp8l = p
		ct.cfg.Lossless = true
	default:
		return FormatError("no VP8 or VP8L chunk")
	}
	if sized && (fw != w || fh != h) {
		return FormatError("frame size differs from the size its container declares")
	}
	f.w, f.h = fw, fh
	return nil
}

// finish fills in the configuration from the first frame.
func (ct *container) finish() error {
	c, f := &ct.cfg, &ct.frame
	c.frameW, c.frameH = f.w, f.h
	if c.Width == 0 {
		c.Width, c.Height = f.w, f.h
	}
	switch {
	case f.vp8l != nil:
		c.Alpha = true
		c.ColorModel = color.NRGBAModel
	case f.alph != nil:
		if len(f.alph) == 0 {
			return FormatError("empty ALPH chunk")
		}
		c.Alpha = true
		c.alphaMethod = int(f.alph[0] & 3)
		c.ColorModel = color.NYCbCrAModel
	default:
		c.ColorModel = color.YCbCrModel
	}
	if f.placed(c.Width, c.Height) {
		c.ColorModel = color.NRGBAModel
	}
	return nil
}

func le24(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

// printable replaces the bytes of b that are not printable ASCII, so that a
// hostile chunk type cannot put control characters into an error message.
func printable(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return out
}
