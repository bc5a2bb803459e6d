package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/rampartdev/rampart/imaging/jpegdec"
)

// codec is the decoding seam: every format's header reader and pixel decoder
// sit behind it, and nothing else in the package calls an image decoder.
//
// decode receives bytes that have been sniffed and whose header passed the
// limits (maxPixels is the pixel limit, for a decoder that checks its own
// frame header again). minEdge is the smallest long edge the caller will use;
// a decoder may return a smaller image than the stored one as long as its
// long edge is at least minEdge (or it is the full image). JPEG does: it
// decodes at 1/2, 1/4 or 1/8 scale in the DCT domain (package jpegdec). The
// other decoders return the full image and ignore minEdge.
type codec struct {
	config func(src []byte) (image.Config, error)
	decode func(src []byte, minEdge int, maxPixels int64) (image.Image, error)
}

var codecs = map[string]codec{
	FormatJPEG: {
		config: func(src []byte) (image.Config, error) {
			cfg, err := jpegdec.DecodeConfig(src)
			return cfg.Config, err
		},
		decode: decodeJPEG,
	},
	FormatPNG: {
		config: func(src []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(src)) },
		decode: func(src []byte, _ int, _ int64) (image.Image, error) { return png.Decode(bytes.NewReader(src)) },
	},
	FormatGIF: {
		config: func(src []byte) (image.Config, error) { return gif.DecodeConfig(bytes.NewReader(src)) },
		decode: decodeGIF,
	},
	FormatWebP: {
		config: func(src []byte) (image.Config, error) { return webp.DecodeConfig(bytes.NewReader(src)) },
		decode: func(src []byte, _ int, _ int64) (image.Image, error) { return webp.Decode(bytes.NewReader(src)) },
	},
}

// decodeJPEG decodes at the strongest DCT-domain reduction (1/8, 1/4, 1/2)
// that still leaves the long edge at least minEdge, so the resampler only
// ever shrinks, and the inverse DCT, colour work and memory shrink with it.
func decodeJPEG(src []byte, minEdge int, maxPixels int64) (image.Image, error) {
	cfg, err := jpegdec.DecodeConfig(src)
	if err != nil {
		return nil, err
	}
	s := jpegdec.ChooseScale(cfg.Width, cfg.Height, minEdge)
	return jpegdec.Decode(src, &jpegdec.Options{Scale: s, MaxPixels: maxPixels})
}

// decodeGIF decodes only the first frame (gif.Decode stops there) and places
// it on the logical screen: a first frame smaller than the screen is drawn at
// its offset over transparent pixels, which are later flattened onto white.
func decodeGIF(src []byte, _ int, _ int64) (image.Image, error) {
	cfg, err := gif.DecodeConfig(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	m, err := gif.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	if m.Bounds() == screen {
		return m, nil
	}
	canvas := image.NewNRGBA(screen)
	draw.Draw(canvas, m.Bounds(), m, m.Bounds().Min, draw.Src)
	return canvas, nil
}

// decodeSafely runs a decoder, turning its failures (and, defensively, its
// panics: a decoder bug must not take the process down on hostile input)
// into rejections.
func decodeSafely(c codec, format string, src []byte, minEdge int, maxPixels int64) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, reject(ErrCorrupt, "%s decoder panicked: %v", format, p)
		}
	}()
	img, err = c.decode(src, minEdge, maxPixels)
	if err != nil {
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
		pu png.UnsupportedError
	)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return reject(ErrCorrupt, "%s is truncated", format)
	case errors.As(err, &ju), errors.As(err, &pu):
		return reject(ErrUnsupported, "%v", err)
	case errors.Is(err, jpegdec.ErrTooManyPixels):
		return reject(ErrTooManyPixels, "%v", err)
	}
	return reject(ErrCorrupt, "%s", fmt.Sprint(err))
}
