package imaging

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Defaults for the zero values of [Options] and [Limits].
const (
	// DefaultQuality is the JPEG quality of thumbnails (sharp's default too).
	DefaultQuality = 80
	// DefaultMaxBytes bounds the input size: 64 MiB is above any camera JPEG
	// (a 108 MP phone photo is ~30 MB) and keeps a whole object in memory
	// affordable.
	DefaultMaxBytes = 64 << 20
	// DefaultMaxPixels bounds width×height as declared by the header. 50 MP
	// covers 8K frames (33 MP) and most cameras (45-50 MP) while keeping the
	// decoded image within ~150 MB for a JPEG (4:4:4) and ~400 MB for a
	// 16-bit RGBA PNG, which a 1 GB Lambda function survives.
	DefaultMaxPixels = 50_000_000
	// DefaultMaxFrames bounds the frame count of animated GIF, APNG and
	// WebP.
	// Only the first frame is decoded; frames are counted without
	// decompressing them, so this limit refuses abusive files cheaply.
	DefaultMaxFrames = 1000
	// DefaultMaxMemory bounds the estimated peak memory of one
	// [Thumbnails] call (see [MemoryEstimate]): 256 MiB lets every JPEG
	// and PNG within DefaultMaxPixels through (they decode at reduced
	// size) and refuses only full-size decodes of the largest GIF and
	// WebP files, so a few concurrent calls fit a 1 GB function.
	DefaultMaxMemory = 256 << 20
)

// DefaultSizes are the long edges produced when Options.Sizes is empty.
var DefaultSizes = []int{1024, 512, 128}

// ContentTypeJPEG is the content type of every thumbnail.
const ContentTypeJPEG = "image/jpeg"

// Limits bound the work an input may cause. They are checked before any
// pixel is decoded. A zero field means its default (DefaultMaxBytes,
// DefaultMaxPixels, DefaultMaxFrames, DefaultMaxMemory); a negative field
// is an error.
type Limits struct {
	MaxBytes  int64 // input size in bytes
	MaxPixels int64 // width × height declared by the header
	MaxFrames int   // frames of an animation
	// MaxMemory bounds the estimated peak bytes of the decode and resize
	// (see [MemoryEstimate]), which count bytes per pixel at the size the
	// decoder works at, not pixels: a 16-bit RGBA image costs more than an
	// 8-bit grey one of the same size.
	MaxMemory int64
}

// Options configure [Thumbnails]. A nil *Options or the zero value produces
// DefaultSizes at DefaultQuality within the default Limits.
type Options struct {
	// Sizes are the long edges of the thumbnails, in pixels (nil means
	// DefaultSizes). Duplicates are produced once. A size at or above the
	// image's long edge yields the image at its own size: thumbnails are
	// never enlarged (sharp's withoutEnlargement).
	Sizes []int
	// Quality is the JPEG quality, 1 to 100 (0 means DefaultQuality).
	Quality int
	// Limits bound the input.
	Limits Limits
}

// Thumbnail is one encoded thumbnail.
type Thumbnail struct {
	Size          int    // the requested long edge (from Options.Sizes)
	Width, Height int    // actual pixel size, as displayed
	Data          []byte // the encoded image
	ContentType   string // always ContentTypeJPEG
}

// Result describes the source image and carries its thumbnails.
type Result struct {
	Format        string // FormatJPEG, FormatPNG, FormatGIF or FormatWebP
	Width, Height int    // source size as displayed (after EXIF orientation)
	Orientation   int    // EXIF orientation that was applied, 1 to 8
	Frames        int    // 1 for still images; only the first frame is used
	// ColorProfile is the description of an embedded ICC profile that is
	// not sRGB ("Display P3", "Adobe RGB (1998)"), empty when there is none
	// or it is sRGB.
	ColorProfile string
	// ColorConverted reports whether the thumbnails were converted from
	// ColorProfile to sRGB (RGB and CMYK profiles with an A2B0 table, RGB
	// matrix/TRC profiles; others are passed through unconverted). See the
	// package documentation, "# Colour".
	ColorConverted bool
	Thumbnails     []Thumbnail // one per distinct size, in the order of Options.Sizes
}

// cascadeFactor is how much larger an already produced thumbnail must be
// than the next one for the next to be derived from it instead of from the
// decoded source. At 2× or more a Lanczos-3 reduction of the Lanczos-3
// thumbnail is indistinguishable from a reduction of the source (see the
// SSIM test); closer sizes go back to the source to avoid blurring twice.
const cascadeFactor = 2

// Validate reports whether the options are usable (sizes positive, quality
// 1 to 100, limits not negative). [Thumbnails] returns the same error, which
// is not a rejection; call Validate at start-up so a bad configuration fails
// there instead of as a retryable error on every input.
func (o Options) Validate() error {
	_, err := o.normalize()
	return err
}

// normalized returns *o (the zero Options when o is nil) with the defaults
// applied, or the reason it is invalid.
func (o *Options) normalized() (Options, error) {
	if o == nil {
		return Options{}.normalize()
	}
	return o.normalize()
}

func (o Options) normalize() (Options, error) {
	if len(o.Sizes) == 0 {
		o.Sizes = DefaultSizes
	}
	var sizes []int
	for _, s := range o.Sizes {
		if s <= 0 {
			return o, fmt.Errorf("imaging: invalid size %d", s)
		}
		if !slices.Contains(sizes, s) {
			sizes = append(sizes, s)
		}
	}
	o.Sizes = sizes
	switch {
	case o.Quality == 0:
		o.Quality = DefaultQuality
	case o.Quality < 1 || o.Quality > 100:
		return o, fmt.Errorf("imaging: invalid quality %d (want 1 to 100)", o.Quality)
	}
	l := &o.Limits
	if l.MaxBytes < 0 || l.MaxPixels < 0 || l.MaxFrames < 0 || l.MaxMemory < 0 {
		return o, errors.New("imaging: negative limit")
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels == 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxFrames == 0 {
		l.MaxFrames = DefaultMaxFrames
	}
	if l.MaxMemory == 0 {
		l.MaxMemory = DefaultMaxMemory
	}
	return o, nil
}

// prepared is a source whose header has passed the limits, with the
// decode planned.
type prepared struct {
	format string
	c      codec
	h      header
	order  []job // sizes, largest first
	req    request
	memory int64 // estimated peak bytes of the whole pipeline, beyond src
}

type job struct{ size, w, h int }

// prepare sniffs src, reads its header once and checks every limit that
// the header decides: bytes, pixels, frames and memory. Every failure is a
// rejection.
func prepare(src []byte, opts Options) (*prepared, error) {
	lim := opts.Limits
	if len(src) == 0 {
		return nil, &RejectError{Reason: "zero bytes", Err: ErrEmpty}
	}
	if int64(len(src)) > lim.MaxBytes {
		return nil, reject(ErrTooLarge, "%d bytes exceeds the limit of %d", len(src), lim.MaxBytes)
	}
	format, err := Sniff(src[:min(len(src), SniffLen)])
	if err != nil {
		return nil, err
	}
	p := &prepared{format: format, c: codecs[format]}
	p.h, err = p.c.header(src, lim.MaxFrames)
	if err != nil {
		return nil, classify(format, err)
	}
	h := &p.h
	if h.width <= 0 || h.height <= 0 {
		return nil, reject(ErrCorrupt, "%s header declares %dx%d", format, h.width, h.height)
	}
	if px := int64(h.width) * int64(h.height); px > lim.MaxPixels {
		return nil, reject(ErrTooManyPixels, "%dx%d is %d pixels, over the limit of %d", h.width, h.height, px, lim.MaxPixels)
	}
	switch {
	case h.frames > lim.MaxFrames:
		return nil, reject(ErrTooManyFrames, "more than %d frames", lim.MaxFrames)
	case h.frames <= 0:
		return nil, reject(ErrCorrupt, "%s has no image frame", format)
	}
	// Sizes are produced largest first so smaller ones can cascade.
	jobs := make([]job, len(opts.Sizes))
	for i, s := range opts.Sizes {
		w, ht := fitInside(h.width, h.height, s)
		jobs[i] = job{s, w, ht}
	}
	p.order = slices.Clone(jobs)
	slices.SortStableFunc(p.order, func(a, b job) int { return max(b.w, b.h) - max(a.w, a.h) })
	p.req = request{src: src, h: h, minEdge: max(p.order[0].w, p.order[0].h), maxPixels: lim.MaxPixels}
	dw, dh := p.c.size(&p.req)
	p.memory = p.c.memory(&p.req) + pipelineBytes(dw, dh, p.order)
	if p.memory > lim.MaxMemory {
		return nil, reject(ErrTooMuchMemory, "decoding %dx%d %s for a %dx%d thumbnail needs about %d MB, over the limit of %d MB",
			h.width, h.height, format, p.order[0].w, p.order[0].h, mib(p.memory), mib(lim.MaxMemory))
	}
	return p, nil
}

func mib(n int64) int64 { return (n + 1<<20 - 1) >> 20 }

// pipelineBytes estimates what the pipeline holds beyond the decoder's
// output when the decoded image is dw×dh and the thumbnails are jobs
// (largest first): the decoded image converted to planes (1.5 bytes per
// pixel, when it is not already YCbCr or grey), the resizer's intermediate
// (the box-shrunk source and the vertical pass), and the largest thumbnail
// in its planes and oriented, plus the encoded JPEG; and every size's
// resampling weights (resizeWeightBytes).
func pipelineBytes(dw, dh int, jobs []job) int64 {
	tw, th := jobs[0].w, jobs[0].h
	d, t := int64(dw)*int64(dh), int64(tw)*int64(th)
	n := 3*d/2 + 3*int64(dw)*int64(th)/2 + 4*t
	for _, j := range jobs {
		n += resizeWeightBytes(max(dw, dh), j.w, j.h)
	}
	return n
}

// resizeWeightBytes bounds the weight tables of resizing to w×h from an
// image whose long edge is srcLong (makeWeights and fixed8, per output
// sample: its start, tap count and taps, for both axes of the luma and as
// much again for the two half-size chroma planes). Counting every size
// from the decoded image is an upper bound: smaller sizes cascade from
// smaller sources, so they have fewer taps. A wide, short image's weights
// are a good part of its small pipeline.
func resizeWeightBytes(srcLong, w, h int) int64 {
	scale := max(float64(srcLong)/float64(max(w, h, 1)), 1)
	taps := int64(math.Ceil(2*lanczosA*scale)) + 2 // + 1, + 1 for the axes' rounding
	return 2 * int64(w+h) * (56 + 4*taps)
}

// MemoryEstimate returns the peak memory, in bytes beyond src itself, that
// [Thumbnails] is expected to hold for src with opts, from the header alone
// (no pixel is decoded): the decoder's working set (bytes per pixel of
// what it holds at the size it decodes at: see the package documentation,
// "# Memory") plus the resizing pipeline. Callers that run several
// Thumbnails at once admit them by this figure. A src that Thumbnails
// would refuse from its header returns the same [*RejectError].
func MemoryEstimate(src []byte, opts *Options) (int64, error) {
	o, err := opts.normalized()
	if err != nil {
		return 0, err
	}
	p, err := prepare(src, o)
	if err != nil {
		return 0, err
	}
	return p.memory, nil
}

// Thumbnails decodes src once and returns JPEG thumbnails at each of the
// long edges in opts.Sizes, with EXIF orientation applied.
//
// The format is sniffed from the bytes, and the limits are enforced from
// the header before decoding. Every problem with the input is returned as a
// [*RejectError] (permanent: do not retry). A done ctx returns ctx.Err()
// (not a rejection): the decoders check it between rows or blocks, so a
// deadline stops the work promptly and what it allocated can be collected.
// Invalid options return a plain error. Thumbnails is safe for concurrent
// use.
func Thumbnails(ctx context.Context, src []byte, options *Options) (*Result, error) {
	opts, err := options.normalized()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := prepare(src, opts)
	if err != nil {
		return nil, err
	}
	format, c, order := p.format, p.c, p.order
	m := &p.h
	res := &Result{Format: format, Orientation: m.orientation, Frames: m.frames}
	res.Width, res.Height = orientedSize(m.width, m.height, m.orientation)
	col := colourOf(m)
	res.ColorProfile, res.ColorConverted = col.name, col.converted

	p.req.ctx = ctx
	img, err := decodeSafely(c, format, &p.req)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	source := toPicture(img, col.cmyk)
	img = nil // let a converted original be collected while we resize
	// The box pre-shrink from the source stands in for shrink-on-load
	// (sourceGap). When the decoder has already shrunk the image, what is
	// left is libvips' resize after shrink-on-load: a box only beyond twice
	// the remaining factor (cascadeGap).
	srcGap := sourceGap
	if source.w < m.width || source.h < m.height {
		srcGap = cascadeGap
	}
	enc := make(map[int]Thumbnail, len(order))
	var made []picture // produced, stored orientation, largest first
	for i, j := range order {
		from, gap := source, srcGap
		for k := len(made) - 1; k >= 0; k-- { // smallest first
			if made[k].w >= cascadeFactor*j.w && made[k].h >= cascadeFactor*j.h {
				from, gap = made[k], cascadeGap
				break
			}
		}
		t := from // already the right size and layout
		if from.w != j.w || from.h != j.h || (!from.gray && (from.fx != 2 || from.fy != 2)) {
			t = resizePicture(from, j.w, j.h, gap)
		}
		made = append(made, t)
		if i+1 < len(order) {
			next := order[i+1]
			if t.w >= cascadeFactor*next.w && t.h >= cascadeFactor*next.h {
				source = picture{} // no later size needs the decoded image
			}
		}
		out := orientPicture(t, m.orientation)
		if col.rgb != nil && !out.gray {
			// Converted per thumbnail, after resizing, so it costs
			// thumbnail pixels only. Resizing the source-encoded values
			// first is the same approximation as resizing gamma-encoded
			// sRGB, which sharp does too.
			out = toSRGB(col.rgb, out)
		}
		data := encodePlanes(out, opts.Quality)
		dw, dh := orientedSize(j.w, j.h, m.orientation)
		enc[j.size] = Thumbnail{Size: j.size, Width: dw, Height: dh, Data: data, ContentType: ContentTypeJPEG}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	for _, size := range opts.Sizes {
		res.Thumbnails = append(res.Thumbnails, enc[size])
	}
	return res, nil
}

// fitInside returns the size of a w×h image scaled so that its long edge is
// edge, keeping the aspect ratio (rounded, at least 1 pixel), or w×h itself
// when it already fits: images are never enlarged.
func fitInside(w, h, edge int) (int, int) {
	if w <= edge && h <= edge {
		return w, h
	}
	if w >= h {
		return edge, max(1, int((int64(h)*int64(edge)*2+int64(w))/(2*int64(w))))
	}
	return max(1, int((int64(w)*int64(edge)*2+int64(h))/(2*int64(h)))), edge
}
