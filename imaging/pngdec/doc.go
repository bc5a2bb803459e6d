// Package pngdec is a streaming PNG decoder that reduces while it decodes:
// rows are inflated, unfiltered and averaged into k×k blocks as they
// arrive, so the full-size image never exists. A thumbnailer asks for the
// strongest reduction that still leaves its resampler something to do and
// holds, besides the reduced image, only a few rows (memory O(width)).
//
//	cfg, err := pngdec.DecodeConfig(src) // size, frames, orientation, ICC
//	k := pngdec.ChooseReduce(cfg.Width, cfg.Height, 1024, 2)
//	img, err := pngdec.Decode(ctx, src, &pngdec.Options{Reduce: k})
//
// # Coverage
//
// Every image the PNG specification (third edition) defines: greyscale at
// 1, 2, 4, 8 and 16 bits, true colour and grey with alpha at 8 and 16,
// paletted at 1 to 8 with tRNS alpha, tRNS colour keys, Adam7
// interlacing, all five filters. For an APNG, the default image (the first
// frame); [Config.Frames] reports the acTL count. Colour is not managed
// here: [Config] reports iCCP, sRGB and gAMA for the caller to act on
// (package imaging applies an RGB iCCP profile and, like sharp and
// image/png, ignores gAMA: imaging's TestSharpGamma).
//
// # Output
//
// An *image.Gray for greyscale without transparency, an *image.RGBA with
// premultiplied alpha otherwise (premultiplied so that block averages are
// right), at 8 bits: 16-bit samples are rounded, low depths scaled,
// palettes and tRNS expanded. Averaging gamma-encoded values is what
// libvips does too.
//
// # Errors
//
// Input that ends early wraps [io.ErrUnexpectedEOF]; anything else wrong
// is a [FormatError] ("corrupt"), including an invalid signature, colour
// type or bit depth. As image/png does, every chunk's CRC and the zlib
// checksum are verified, chunk order is enforced, and the chunks after the
// image data are read up to IEND. [Options.MaxPixels] is checked before
// any pixel memory is allocated. The context is checked every 16 rows.
// The decoder is tested against image/png on PngSuite and generated images
// of every kind, and fuzzed against it (FuzzDecode), with libpng's
// pngtopam as the referee where the two disagree.
package pngdec
