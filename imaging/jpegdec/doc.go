// Package jpegdec is a pure-Go JPEG decoder, written from ITU-T T.81, that
// decodes at 1/1, 1/2, 1/4 or 1/8 scale in the DCT domain: a reduced
// decode reconstructs each 8×8 block as a 4×4, 2×2 or 1×1 block from its
// lowest frequencies, so most of the inverse DCT work, and most of the
// memory, never happens. It is the shrink-on-load step of a thumbnailer.
//
//	cfg, err := jpegdec.DecodeConfig(src) // size, orientation, ICC profile
//	scale := jpegdec.ChooseScale(cfg.Width, cfg.Height, 1024)
//	img, err := jpegdec.Decode(src, &jpegdec.Options{Scale: scale})
//
// # Coverage
//
// Baseline and extended sequential (SOF0, SOF1) and progressive (SOF2)
// Huffman-coded frames with 8-bit samples; restart intervals; greyscale,
// YCbCr at 4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1 and 4:1:0, RGB, and Adobe
// APP14 CMYK and YCCK; 8- and 16-bit quantization tables. Arithmetic
// coding, lossless, hierarchical and 12-bit JPEGs are an [UnsupportedError].
// The colour space is decided as image/jpeg and libjpeg decide it (JFIF
// means YCbCr; Adobe transform 0 means RGB or CMYK; component IDs 'R','G','B'
// mean RGB).
//
// # Output
//
// [Decode] returns the types image/jpeg returns, so code written for
// image/jpeg's results works unchanged: *image.Gray, *image.YCbCr (the
// planes as stored at the output scale, chroma not upsampled),
// *image.RGBA, or *image.CMYK (ink amounts, Adobe's inverted storage
// undone; YCCK converted). Colour conversion, where there is any, happens
// at the reduced size. The EXIF orientation is reported by
// [DecodeConfig], not applied.
//
// # Scaling
//
// At scale 1/s the image is ⌈w/s⌉ × ⌈h/s⌉ (libjpeg's rounding). Each
// output sample is the block's inverse DCT, restricted to the lowest
// (8/s)×(8/s) frequencies, evaluated at the centre of the s×s samples it
// replaces; at 1/8 that is the block mean (DC/8). This is a slightly
// stronger low-pass than libjpeg's reduced IDCTs, which keep every
// frequency that does not vanish at those centres. [ChooseScale] picks the
// strongest reduction that leaves the long edge at least as large as the
// largest wanted thumbnail, so the resampler only ever shrinks.
//
// A baseline scan must be entropy-decoded in full at any scale, but only the
// coefficients the scale needs are dequantized and transformed. A
// progressive frame keeps only those coefficients per block (plus a 64-bit
// mask of which coefficients are nonzero, which refinement scans need to
// be parsed), and its AC scans whose band the scale does not need are
// skipped without decoding (all of them at 1/8).
//
// # Limits and errors
//
// [Options.MaxPixels] (default [DefaultMaxPixels], sharp's limit) is
// checked against the frame header before any pixel memory is allocated;
// after that, memory is proportional to the scaled image. Input ending
// before the image does wraps [io.ErrUnexpectedEOF]; a scan that runs out
// of entropy-coded data, bad Huffman codes, bad markers and inconsistent
// headers are a [FormatError]. As in libjpeg, bytes between segments are
// skipped and stray restart markers ignored. The decoder is fuzzed against
// image/jpeg (FuzzDecode).
//
// # Accuracy
//
// At 1/1 the integer inverse DCT (the Loeffler–Ligtenberg–Moschytz
// factorisation with 13-bit constants, as in libjpeg's jidctint.c) agrees
// with image/jpeg and libjpeg-turbo to within one level (PSNR above 60 dB
// on the photo set); the tests check ≥ 45 dB on generated images of every
// subsampling, baseline and progressive, with and without restart
// intervals, and on the photos in $RAMPART_PHOTOS.
package jpegdec
