// Package webpdec is a pure-Go WebP decoder that decodes lossy images at
// 1/1, 1/2, 1/4 or 1/8 scale while reconstructing them, so that a
// thumbnailer never holds, filters or resizes the full-size image. It is
// the WebP counterpart of [github.com/rampartdev/rampart/imaging/jpegdec].
//
//	cfg, err := webpdec.DecodeConfig(src) // size, lossless, alpha, frames, ICC, orientation
//	scale := webpdec.ChooseScale(cfg.Width, cfg.Height, 1024)
//	img, err := webpdec.DecodeContext(ctx, src, &webpdec.Options{Scale: scale})
//	// or exactly a thumbnail's size, averaged by area as libwebp scales:
//	img, err = webpdec.DecodeContext(ctx, src, &webpdec.Options{Width: 1024, Height: 640})
//
// # Coverage
//
// The container (RFC 9649): simple files (one VP8 or VP8L chunk) and
// extended ones (VP8X) with ICCP, EXIF, XMP and ALPH chunks (raw or
// lossless alpha, with any of the prediction filters), and animations, of
// which the first frame is decoded and placed on the canvas. Lossy frames
// (VP8 key frames, RFC 6386) and lossless ones (VP8L, RFC 9649 section 3,
// also the coding of lossless alpha planes) are decoded by this package,
// bit-exact with libwebp and golang.org/x/image/webp at full scale.
//
// # Output
//
// A lossy image is an *image.YCbCr (4:2:0) or, with alpha, an
// *image.NYCbCrA, whose samples are full range as color.YCbCr and JPEG
// expect: VP8 codes BT.601 in limited range (luma 16-235), which this
// package stretches to 0-255. (x/image/webp returns the limited-range
// samples as they are, so images come out washed out: golang/go#40173.) A
// lossless image is an *image.NRGBA. An animation's first frame, when it
// does not cover the canvas, is an *image.NRGBA canvas with transparent
// pixels around it. The EXIF orientation is not applied.
//
// # Scaling
//
// At scale 1/s the image is ⌈w/s⌉ × ⌈h/s⌉ and each sample is the mean of
// the s×s samples it replaces (for images with alpha, weighted by alpha,
// so that the arbitrary colour encoders leave under transparent pixels
// does not bleed into visible ones). With [Options.Width] and Height the
// image has exactly that size, each pixel the mean of the source area it
// covers, as libwebp's scaled decoding (and so sharp's WebP thumbnails)
// computes it: a lossy image is decoded at the strongest 1/s whose cells
// are no larger than an output pixel, then averaged the rest of the way
// with the exact geometry of those cells (the last row and column cover
// only what is left of the image).
//
// VP8 predicts every macroblock from the reconstructed samples along its
// top and left edges (the bottom row of the macroblocks above and
// above-right, the right column of the one to the left, the corner) before
// the loop filter touches them: in a key frame the loop filter is a
// post-process that nothing else reads. So a reduced decode keeps exactly
// those edges at full resolution (a few rows of O(width) memory),
// reconstructs each macroblock in a small workspace, averages it down
// into the output and skips the loop filter, whose effect on block means
// is small: against the box-averaged filtered image, the photo set (made
// WebP by cwebp) has a luma PSNR of at least 48 dB and an SSIM of at least
// 0.987 at 1/2, 52 dB and 0.995 at 1/4, 55 dB and 0.998 at 1/8
// (TestDecode_photos). Entropy decoding must still read every
// coefficient: the arithmetic coder cannot skip.
//
// # Limits, cancellation and memory
//
// [Options.MaxPixels] (default [DefaultMaxPixels]) is checked against the
// headers (the canvas and the frame) before any pixel memory is allocated.
// [DecodeContext] checks its context between macroblock rows (lossy) and
// every 16 rows of pixels (lossless). Memory is the output (1.5 bytes a
// pixel at 1/s for a lossy image, 1 more for alpha) and O(width) of edges
// and rows: the alpha plane is decoded sixteen rows at a time, in step with
// the macroblock rows. The lossless decoder streams: it
// keeps the pixels back references can still reach (at most 2^21, 8 MB),
// the transforms' data (at most 12 bytes per 4×4 pixels) and a few rows,
// undoes the transforms row by row and reduces as the rows arrive.
// [Config.DecodeBytes] gives the estimate.
//
// Input ending before the image does wraps [io.ErrUnexpectedEOF];
// invalid structure is a [FormatError]; a VP8 interframe is an
// [UnsupportedError]. As in libwebp, token partitions are clamped to the
// data, the last ALPH chunk before the bitstream wins, an alpha flag
// without an ALPH chunk means opaque, and in an extended file the
// bitstream's padding byte must be inside the RIFF size. The decoder is fuzzed (FuzzDecode)
// against x/image/webp, with libwebp's dwebp deciding where they differ.
package webpdec
