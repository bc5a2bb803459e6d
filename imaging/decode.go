package imaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"io"

	"github.com/rampartdev/rampart/imaging/jpegdec"
	"github.com/rampartdev/rampart/imaging/pngdec"
	"github.com/rampartdev/rampart/imaging/webpdec"
)

// header is what one pass over a file's headers learns, before any pixel
// is decoded: the size for the limits, the metadata for orientation and
// colour, and what the codec needs to decode and to estimate its memory.
type header struct {
	width, height int    // stored size, before orientation
	orientation   int    // EXIF orientation 1..8; 1 when absent or invalid
	frames        int    // 1 for still images; counted up to maxFrames+1
	icc           []byte // the embedded ICC profile, nil when none
	srgb          bool   // the file declares sRGB (PNG sRGB chunk)
	cmyk          bool   // the pixels are CMYK ink amounts (JPEG)

	// Codec-specific, for decode and memory.
	jpeg jpegdec.Config
	png  pngdec.Config
	webp webpdec.Config
}

// request is one decode: the bytes, their header, and what the caller
// needs. minEdge is the smallest long edge the caller will use; a decoder
// may return a smaller image than the stored one as long as its long edge
// is at least minEdge (or it is the full image). maxPixels is the pixel
// limit, for a decoder that checks its own frame header again.
type request struct {
	ctx       context.Context
	src       []byte
	h         *header
	minEdge   int
	maxPixels int64
}

// codec is the decoding seam: every format's header reader and pixel
// decoder sit behind it, and nothing else in the package calls an image
// decoder. To add a format, add its Format constant, its magic bytes to
// [Sniff] and an entry here.
//
// header reads the headers once (maxFrames bounds a frame walk: counting
// may stop at maxFrames+1). size returns the width and height decode will
// return for the request (the stored size for decoders that do not
// reduce), and memory the decoder's peak working set in bytes for it,
// beyond src: both from the header alone, so the limits and admission can
// refuse or queue work before it starts. decode must check r.ctx between
// rows or blocks and return its error promptly once it is done.
type codec struct {
	header func(src []byte, maxFrames int) (header, error)
	size   func(r *request) (w, h int)
	memory func(r *request) int64
	decode func(r *request) (image.Image, error)
}

var codecs = map[string]codec{
	FormatJPEG: {header: jpegHeader, size: jpegSize, memory: jpegMemory, decode: decodeJPEG},
	FormatPNG:  {header: readPNGHeader, size: pngSize, memory: pngMemory, decode: decodePNG},
	FormatGIF: {
		header: func(src []byte, maxFrames int) (header, error) {
			return stdHeader(FormatGIF, src, maxFrames, gif.DecodeConfig)
		},
		size: storedSize,
		// The first frame (1 byte per pixel) and, when it does not cover
		// the logical screen, an NRGBA canvas (4 bytes per pixel).
		memory: func(r *request) int64 { return 5 * pixels(r.h) },
		decode: decodeGIF,
	},
	FormatWebP: {
		header: webpHeader,
		size:   webpSize,
		memory: func(r *request) int64 { return r.h.webp.DecodeBytes(webpOptions(r)) },
		decode: func(r *request) (image.Image, error) { return webpdec.DecodeContext(r.ctx, r.src, webpOptions(r)) },
	},
}

func pixels(h *header) int64 { return int64(h.width) * int64(h.height) }

func storedSize(r *request) (int, int) { return r.h.width, r.h.height }

// stdHeader reads a header with a standard library decoder's DecodeConfig
// and the container metadata with scanMeta.
func stdHeader(format string, src []byte, maxFrames int, config func(io.Reader) (image.Config, error)) (header, error) {
	cfg, err := config(bytes.NewReader(src))
	if err != nil {
		return header{}, err
	}
	m := scanMeta(format, src, maxFrames)
	return header{width: cfg.Width, height: cfg.Height, orientation: m.orientation, frames: m.frames,
		icc: m.icc}, nil
}

// jpegHeader reads everything from jpegdec's header pass: size, colour
// space, orientation, ICC profile.
func jpegHeader(src []byte, _ int) (header, error) {
	cfg, err := jpegdec.DecodeConfig(src)
	if err != nil {
		return header{}, err
	}
	return header{width: cfg.Width, height: cfg.Height, orientation: cfg.Orientation, frames: 1,
		icc: cfg.ICC, cmyk: cfg.ColorSpace == jpegdec.CMYK || cfg.ColorSpace == jpegdec.YCCK, jpeg: cfg}, nil
}

// jpegScale is the strongest DCT-domain reduction (1/8, 1/4, 1/2) that
// still leaves the long edge at least minEdge, so the resampler only ever
// shrinks, and the inverse DCT, colour work and memory shrink with it.
func jpegScale(r *request) int { return jpegdec.ChooseScale(r.h.width, r.h.height, r.minEdge) }

func jpegSize(r *request) (int, int) {
	s := jpegScale(r)
	return (r.h.width + s - 1) / s, (r.h.height + s - 1) / s
}

func jpegMemory(r *request) int64 { return r.h.jpeg.DecodeBytes(jpegScale(r)) }

func decodeJPEG(r *request) (image.Image, error) {
	return jpegdec.DecodeContext(r.ctx, r.src, &jpegdec.Options{Scale: jpegScale(r), MaxPixels: r.maxPixels})
}

// readPNGHeader reads everything from pngdec's header pass: size, APNG frame
// count, orientation, ICC profile, sRGB.
func readPNGHeader(src []byte, maxFrames int) (header, error) {
	cfg, err := pngdec.DecodeConfig(src)
	if err != nil {
		return header{}, err
	}
	// Compared as uint64: any 32-bit count, 2^31 and above included, is
	// over a limit below it.
	frames := int(min(uint64(cfg.Frames), uint64(maxFrames)+1))
	return header{width: cfg.Width, height: cfg.Height, orientation: cfg.Orientation, frames: frames,
		icc: cfg.ICC, srgb: cfg.SRGB, png: cfg}, nil
}

// pngGap is the least factor pngdec's box reduction leaves to the
// resampler: 1, as a JPEG's shrink-on-load leaves between 1 and 2 (a
// 5120-pixel PNG thumbnailed to 1024 is box-reduced by 5, and Lanczos has
// nothing left to do at 1024). libvips' own gap for a PNG is 2 (sharp has
// no shrink-on-load there); on the photo set made PNG, SSIM against sharp
// is the same either way (0.989 to 0.994 per size, pngGap 1, 1.25 or 2),
// while the stronger box leaves the resampler and the colour conversion a
// quarter of the pixels or fewer.
const pngGap = 1.0

// pngReduce is the box reduction pngdec applies while decoding.
func pngReduce(r *request) int { return pngdec.ChooseReduce(r.h.width, r.h.height, r.minEdge, pngGap) }

func pngSize(r *request) (int, int) {
	k := pngReduce(r)
	return (r.h.width + k - 1) / k, (r.h.height + k - 1) / k
}

func pngMemory(r *request) int64 { return r.h.png.DecodeBytes(pngReduce(r)) }

func decodePNG(r *request) (image.Image, error) {
	return pngdec.Decode(r.ctx, r.src, &pngdec.Options{Reduce: pngReduce(r), MaxPixels: r.maxPixels, YCbCr: true})
}

// webpHeader reads everything from webpdec's header pass: size (an
// animation's canvas), frames (its ANMF chunks), orientation, ICC profile.
func webpHeader(src []byte, _ int) (header, error) {
	cfg, err := webpdec.DecodeConfig(src)
	if err != nil {
		return header{}, err
	}
	return header{width: cfg.Width, height: cfg.Height, orientation: cfg.Orientation, frames: cfg.Frames,
		icc: cfg.ICC, webp: cfg}, nil
}

// webpSize is the size the WebP codec decodes to: the largest thumbnail's,
// exactly. webpdec averages the source by area down to it (after reducing a
// lossy image while reconstructing its macroblocks), which is how libwebp's
// scaled decoding, and so sharp, reduces a WebP; the largest thumbnail then
// needs no resampling.
func webpSize(r *request) (int, int) { return fitInside(r.h.width, r.h.height, r.minEdge) }

func webpOptions(r *request) *webpdec.Options {
	w, h := webpSize(r)
	return &webpdec.Options{Width: w, Height: h, MaxPixels: r.maxPixels}
}

// decodeGIF decodes only the first frame (gif.Decode stops there) and places
// it on the logical screen: a first frame smaller than the screen is drawn at
// its offset over transparent pixels, which are later flattened onto white.
func decodeGIF(r *request) (image.Image, error) {
	m, err := gif.Decode(ctxReader(r))
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, r.h.width, r.h.height)
	if m.Bounds() == screen {
		return m, nil
	}
	canvas := image.NewNRGBA(screen)
	draw.Draw(canvas, m.Bounds(), m, m.Bounds().Min, draw.Src)
	return canvas, nil
}

// ctxReader reads r.src for a decoder that takes an io.Reader (the standard
// library's), failing with the context's error once it is done. Those
// decoders read in small pieces as they go (bufio's 4 KB), so this stops
// them between rows of pixels.
func ctxReader(r *request) io.Reader { return &contextReader{ctx: r.ctx, src: r.src} }

type contextReader struct {
	ctx context.Context
	src []byte
}

func (c *contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(c.src) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.src)
	c.src = c.src[n:]
	return n, nil
}

// decodeSafely runs a decoder, turning its failures (and, defensively, its
// panics: a decoder bug must not take the process down on hostile input)
// into rejections. A done context is returned as its own error, which is
// not a rejection.
func decodeSafely(c codec, format string, r *request) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, reject(ErrCorrupt, "%s decoder panicked: %v", format, p)
		}
	}()
	img, err = c.decode(r)
	if err != nil {
		// A failure once the context is done is the context's doing
		// (the standard library's decoders wrap its error as text).
		if cerr := r.ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, classify(format, err)
	}
	return img, nil
}

// classify maps a decoder error to a rejection: unsupported features to
// ErrUnsupported, everything else (truncation, bad checksums, invalid
// structure) to ErrCorrupt.
func classify(format string, err error) error {
	var (
		ju jpegdec.UnsupportedError
		wu webpdec.UnsupportedError
	)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return reject(ErrCorrupt, "%s is truncated", format)
	case errors.As(err, &ju), errors.As(err, &wu):
		return reject(ErrUnsupported, "%v", err)
	case errors.Is(err, jpegdec.ErrTooManyPixels), errors.Is(err, pngdec.ErrTooManyPixels), errors.Is(err, webpdec.ErrTooManyPixels):
		return reject(ErrTooManyPixels, "%v", err)
	}
	return reject(ErrCorrupt, "%s", fmt.Sprint(err))
}
