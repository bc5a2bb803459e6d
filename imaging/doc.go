// Package imaging turns an uploaded image into JPEG thumbnails, safely: the
// format is sniffed from the bytes, limits are enforced from the header
// before any pixel is decoded, the image is decoded once, and every problem
// with the input is a permanent, typed rejection.
//
//	res, err := imaging.Thumbnails(ctx, src, nil) // 1024, 512, 128 px
//	var rej *imaging.RejectError
//	if errors.As(err, &rej) {
//		// mark the upload rejected with rej.Reason; never retry
//	}
//
// It is pure Go (no cgo): JPEGs decode with this module's
// [github.com/rampartdev/rampart/imaging/jpegdec] at reduced scale
// (shrink-on-load), PNGs with [github.com/rampartdev/rampart/imaging/pngdec],
// which streams rows through its own inflater and reduces them on the fly,
// so the full-size image never exists, WebPs with
// [github.com/rampartdev/rampart/imaging/webpdec], which reduces lossy
// images while reconstructing their macroblocks; image/gif decodes GIF; a
// baseline encoder of our own writes the thumbnails straight from their
// planes (see "# Output").
//
// # Formats
//
// JPEG (baseline and progressive; greyscale, YCbCr at any subsampling,
// Adobe CMYK and YCCK), PNG (1 to 16 bits per sample, greyscale, paletted,
// with or without alpha; for APNG the default image), GIF (the first frame,
// placed on the logical screen) and WebP (lossy, lossless, with alpha; for
// an animation the first frame, placed on the canvas). [Sniff] tells them apart by their magic bytes; a file's name or
// declared content type is never consulted. HEIC, AVIF, TIFF and BMP are
// recognised only to give a precise [ErrUnsupported] reason.
//
// # Limits
//
// [Limits] are checked in this order, each before any costly work: the byte
// size ([ErrTooLarge], default 64 MiB), the width × height the header
// declares ([ErrTooManyPixels], default 50 megapixels, so a 100000×100000
// "decompression bomb" of a few hundred bytes is refused without allocating
// its pixels), for animated GIF, APNG and WebP the frame count
// ([ErrTooManyFrames], default 1000; GIF frames are counted by walking the
// block structure without decompressing, APNG's from its acTL chunk,
// WebP's by counting its ANMF chunks, any 32-bit count compared without
// overflow), and the estimated peak memory
// ([ErrTooMuchMemory], default 256 MiB; see "# Memory" and
// [MemoryEstimate]), which counts bytes per pixel of what the decoder holds
// at the size it decodes at, not pixels. Only the first frame is ever
// decoded, so the frame count does not multiply the memory. The parsers
// that read metadata (EXIF, ICC, chunk walks) check every length against
// the bytes present and are fuzzed (FuzzThumbnails).
//
// The context is checked inside every decoder, between rows of pixels or
// of blocks (the standard library's decoders through their reader), and
// between the stages: a deadline stops the work promptly and returns
// ctx.Err(), which is not a rejection (the work may be retried), and
// nothing the decode allocated stays reachable.
//
// # Orientation
//
// The EXIF orientation (tag 0x0112 in a JPEG's APP1 segment, a PNG's eXIf
// chunk or a WebP's EXIF chunk) is applied to each thumbnail, all eight
// values, so thumbnails are stored upright and [Result.Width] and
// [Result.Height] are the displayed size. The thumbnails carry no EXIF.
//
// # Colour
//
// Thumbnails are 8-bit sRGB JPEGs (4:2:0), or one-component greyscale JPEGs
// for greyscale sources. 16-bit samples are rounded to 8 bits; palettes are
// expanded; transparency is flattened onto white. Lossy WebP's
// limited-range YCbCr (luma 16-235) is stretched to full range by its
// decoder.
//
// Colours are converted as sharp converts them (libvips over Little CMS,
// perceptual intent, into libvips' sRGB profile), by a colour engine of
// our own (internal/icc): an embedded ICC profile (JPEG APP2, PNG iCCP,
// WebP ICCP) that is not sRGB (by its description) is named in
// [Result.ColorProfile] and, when usable, applied and [Result.ColorConverted]
// set. A profile's A2B0 table (lut8, lut16 or lutAtoB, with its curves,
// lookup table and matrix; Lab or XYZ connection space) is tabulated to
// sRGB with black point compensation and interpolated tetrahedrally (in
// four dimensions for CMYK, linearly between two tetrahedral
// interpolations), as Little CMS does for 8-bit data; an RGB matrix/TRC
// profile (Display P3, Adobe RGB, ProPhoto) converts exactly through its
// tone curves and colorant matrix. CMYK and YCCK JPEGs (the decoder already
// undoes Adobe's inverted storage) convert through their embedded CMYK
// profile or, without one, through libvips' default CMYK profile ("Chemical
// proof", public domain), as sharp does. On every combination of nine ink
// levels the sRGB values are those of sharp (mean difference 0.003/255,
// none more than 1, TestSharpCMYKGrid, for the default profile and a
// synthetic profile of each table type); thumbnails of CMYK and YCCK JPEGs
// are within 0.66/255 of sharp's on Go's CMYK test images (TestSharpCMYK),
// 0.58/255 on average and at most 0.98 over the photo set made CMYK and
// YCCK by sharp (37 images; TestSharpCMYK with RAMPART_PHOTOS, below).
// RGB conversions run on thumbnail pixels only; CMYK converts at the
// decoded size, before resizing, as sharp does. Greyscale profiles and
// other colour spaces are named, not applied.
//
// # Resizing
//
// Thumbnails fit inside a square of the requested long edge, keep the aspect
// ratio, and are never enlarged: a size at or above the source's long edge
// yields the source size (sharp's withoutEnlargement). The filter is a
// separable Lanczos-3 with precomputed fixed-point weights, working directly
// on the decoded YCbCr planes (gamma-encoded values, like libvips). A JPEG
// is decoded at the strongest DCT-domain reduction (1/8, 1/4 or 1/2) that
// still leaves its long edge at least the largest thumbnail's, as sharp's
// shrink-on-load does, so Lanczos usually has only the remaining factor
// (under 2) to do. A WebP is decoded straight to the largest thumbnail's
// size, each pixel the area average of the source it covers, as libwebp's
// scaled decoding (sharp's WebP path) makes it; smaller sizes cascade from
// it with Lanczos. Larger reductions first average k×k blocks so that
// Lanczos does only the last factor: at least 1.25 from a source decoded at
// full size (GIF, small JPEGs), close to what shrink-on-load
// leaves; at least 2 after the decoder's reduction and between thumbnails,
// libvips' default (a 2560-pixel photo thumbnailed to 128 alone: 1/8 decode,
// then Lanczos 2.5 without a box; SSIM vs sharp 0.995 instead of 0.983). Sizes are made largest first and each
// smaller one is derived from the smallest thumbnail at least twice its size
// (a cascade), falling back to the decoded source otherwise.
//
// # Output
//
// Thumbnails are baseline JFIF JPEGs with the quantization tables of
// image/jpeg and libjpeg for the quality (T.81 Annex K scaled) and the
// Annex K Huffman tables. The encoder (jpegenc.go) reads the luma and
// 4:2:0 chroma planes directly and uses a floating-point AAN forward DCT
// with the quantization folded into its scaling; it is about twice as fast
// as image/jpeg's encoder (BenchmarkEncode) at the same fidelity and size
// (TestEncodePlanes checks both against image/jpeg).
//
// # Memory
//
// The decoded image dominates. A JPEG decoded at 1/s holds width × height ×
// 1.5 / s² bytes for 4:2:0 (3 / s² for 4:4:4) and, if progressive, the few
// coefficients per 8×8 block the scale needs: a 5120×2880 photo decoded for
// a 1024 thumbnail (1/4) needs 1.4 to 2.8 MB (baseline) or about 15 MB
// (progressive, 4:4:4) instead of the ~100 MB of a full-size decode. A PNG
// is box-reduced by k while it decodes (the strongest k leaving Lanczos a
// factor of at least 1.25): it holds the reduced image (4 bytes per pixel,
// 1 for opaque grey, 1.5 for opaque RGB, which comes out as 4:2:0 Y'CbCr
// converted row by row), a few stored rows (at most 8 bytes per pixel of the
// width) and the inflater's 128 KB window, plus, for Adam7, an accumulator
// per reduced sample: a 7000×7000 16-bit RGBA PNG (581 KB, 374 MB of
// pixels) thumbnailed to 1024, 512 and 128 allocates 12.8 MB in all, within
// its MemoryEstimate of 14.0 MB (go test -run hostilePNGMemory -v
// ./imaging); three at once through the local service peak at 28 to 30 MB
// of heap in use (two runs of go test -run HostilePNGs -v ./devserver). A
// lossy WebP decoded at 1/s
// holds its 4:2:0 planes at 1/s and a few rows of edges (and of alpha, which
// it decodes sixteen rows at a time), and the thumbnail-size planes it
// averages them to; a lossless WebP streams, holding the pixels
// its back references can reach (at most 8 MB), the transforms' data (at
// most 0.75 bytes per pixel) and the reduced image. GIF decodes at full size (5
// bytes per pixel). Resizing adds about 1.5 bytes per decoded
// pixel, and its weight tables a few hundred bytes per pixel of each
// thumbnail's width and height. [MemoryEstimate] adds these up from the
// header; Limits.MaxMemory refuses what is over it, and a caller running
// several at once admits them by it. Go's collector lets the heap grow to
// twice the live data by default; a process should set a soft memory limit
// (GOMEMLIMIT, e.g. a little under a Lambda function's memory size).
//
// # Speed against sharp
//
// BenchmarkCompareSharp runs Rampart and sharp (libvips) on one core each
// over the photo set (../shared/bin/photos: 17 photos, 2560×1600 and
// 5120×2880) as JPEG and as PNG and WebP made from them by sharp,
// interleaved and repeated. On 2026-12-02 (main at f6d0705), on this
// project's shared 2-core machine (load average 25 to 28), three rounds,
// per CPU-second, Rampart against sharp smart: JPEG 14.2 against 9.8
// images (1.44×; 1.43 to 1.49 per round), peak RSS 56 MB against 384; PNG
// 9.0 against 7.8 (1.15×; 1.08 to 1.20), 193 MB against 362; WebP 12.7
// against 10.5 (1.20×), 22 MB against 223. On the same machine idle (load
// below 1, main at 8e3b0bb, the same command), Rampart gains and sharp
// does not: JPEG 15.1 against 9.4 (1.60×; 1.58 to 1.61 per
// round), 55 MB against 350; PNG 9.5 against 8.2 (1.16×; 1.15 to 1.18),
// 192 MB against 354; WebP 13.5 against 9.0 (1.50×), 22 MB of RSS for
// Rampart. Both sides hold every input
// outside their collected heaps, and the PNG files (188 MB) count in RSS as
// they are read. Reading each file just before it is processed instead
// (RAMPART_BENCH_PER_FILE=1, two rounds), peak RSS measures the pipelines:
// JPEG 44 MB against 376 (1.42×), PNG 116 MB against 332 (1.08×), WebP 19
// MB against 188 (1.17×). SSIM against sharp smart, the
// mean per size (128, 512, 1024): JPEG 0.994, 0.993, 0.990; PNG 0.994,
// 0.992, 0.985; WebP 0.994, 0.990, 0.980; colour differences 0.4 to 0.6/255
// for every format (TestSharpQuality with RAMPART_PHOTOS).
//
//	../shared/bin/photos /tmp/photos
//	RAMPART_PHOTOS=/tmp/photos RAMPART_BENCH_REPS=3 go test -run '^$' -bench CompareSharp -benchtime 1x -timeout 60m ./imaging
//	RAMPART_PHOTOS=/tmp/photos RAMPART_BENCH_PER_FILE=1 go test -run '^$' -bench CompareSharp -benchtime 1x -timeout 60m ./imaging
//	RAMPART_PHOTOS=/tmp/photos go test -run 'SharpQuality$|SharpCMYK$' -v ./imaging
//
// # Decoding seam
//
// All decoding goes through one internal table of codecs (decode.go): each
// reads its headers once (size, frames, orientation, ICC profile), says
// what size it will decode to and how much memory that takes, and decodes
// under the context, told the smallest long edge the caller needs. The
// JPEG codec uses it to pick the decoder's scale ([jpegdec.ChooseScale]),
// the PNG codec its box reduction ([pngdec.ChooseReduce]); the WebP codec
// decodes to exactly the largest thumbnail's size ([webpdec.Options] Width
// and Height); GIF decodes at full size. image/jpeg,
// image/png and golang.org/x/image/webp are used only as test oracles.
package imaging
