package pngdec

import (
	"context"
	"image"
)

// DefaultMaxPixels is the pixel limit when Options.MaxPixels is zero:
// 16383 × 16383, the default of libvips and sharp (limitInputPixels).
const DefaultMaxPixels = 16383 * 16383

// Options configure [Decode]. The zero value (or a nil *Options) decodes at
// full size with the default pixel limit.
type Options struct {
	// Reduce is the box reduction applied while decoding: each output
	// pixel is the mean of a Reduce×Reduce block of stored pixels
	// (premultiplied by alpha), and the image is ⌈w/Reduce⌉ × ⌈h/Reduce⌉;
	// blocks cut by the right and bottom edges average the pixels they
	// have. Zero means 1 (no reduction). See [ChooseReduce].
	Reduce int
	// MaxPixels is the largest width × height the header may declare; a
	// larger one fails with [ErrTooManyPixels] before pixel memory is
	// allocated. Zero means [DefaultMaxPixels]; negative means no limit.
	MaxPixels int64
	// YCbCr asks for an opaque 8-bit RGB image (no transparency, not
	// interlaced) reduced by more than 1 as an *image.YCbCr with 4:2:0
	// chroma, converted from the reduced RGB rows as they are made (JFIF
	// equations), instead of RGBA: the layout a JPEG encoder or resizer
	// wants, without an RGBA image in between. Other images are returned
	// as without it.
	YCbCr bool
}

// ChooseReduce returns the strongest box reduction after which the long
// edge of a srcW×srcH image is still at least gap × longEdge, so a
// resampler afterwards shrinks by a factor of at least gap (libvips' gap:
// 2 for its own resize). It returns 1 when no reduction fits.
func ChooseReduce(srcW, srcH, longEdge int, gap float64) int {
	long := max(srcW, srcH)
	if longEdge <= 0 || gap <= 0 {
		return 1
	}
	return max(1, int(float64(long)/(gap*float64(longEdge))))
}

// DecodeBytes estimates the memory [Decode] holds at its peak for this
// image at the given reduction: the output image (1 byte per pixel for
// grey, 4 otherwise; 1.5 with Options.YCbCr where it applies, so this is
// an upper bound there), two stored rows for unfiltering, and the reduction's
// accumulators (a row of them, or for an interlaced image one per output
// pixel, since Adam7's passes revisit every block), plus the inflater's
// fixed window.
func (c Config) DecodeBytes(reduce int) int64 {
	reduce = max(reduce, 1)
	ow, oh := int64((c.Width+reduce-1)/reduce), int64((c.Height+reduce-1)/reduce)
	ch := int64(4)
	if c.gray() {
		ch = 1
	}
	n := ow*oh*ch + 3*int64(c.rowBytes(c.Width)+1) + 8*int64(c.Width) + inflateBytes
	switch {
	case c.Interlaced && reduce > 1:
		n += 4 * ch * ow * oh
	case reduce > 1:
		n += 4 * ch * ow
	}
	return n
}

// inflateBytes is the inflater's fixed state: its 128 KB window buffer
// (32 KB of history and room to decode into) and Huffman tables.
const inflateBytes = 160 << 10

// Decode decodes the PNG in src (its default image: for an APNG, the first
// frame), reduced by opts.Reduce.
//
// The result is an *image.Gray for a greyscale image without transparency,
// and an *image.RGBA otherwise (alpha premultiplied, so it averages
// correctly); 16-bit samples are rounded to 8 bits, palettes and low bit
// depths expanded, tRNS applied. Its bounds start at (0, 0). Rows are
// inflated, unfiltered and reduced as they stream in: apart from the
// output, memory is a few rows (see [Config.DecodeBytes]).
//
// ctx is checked every few rows; once it is done, Decode returns ctx.Err()
// promptly.
func Decode(ctx context.Context, src []byte, opts *Options) (image.Image, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Reduce < 0:
		return nil, ErrInvalidReduce
	case o.Reduce == 0:
		o.Reduce = 1
	}
	if o.MaxPixels == 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	cfg, err := DecodeConfig(src)
	if err != nil {
		return nil, err
	}
	if o.MaxPixels > 0 && int64(cfg.Width)*int64(cfg.Height) > o.MaxPixels {
		return nil, ErrTooManyPixels
	}
	d := newDecoder(ctx, src, &cfg, o.Reduce, o.YCbCr)
	if err := d.decode(); err != nil {
		return nil, err
	}
	return d.out.image(), nil
}
