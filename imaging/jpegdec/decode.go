package jpegdec

import (
	"context"
	"image"
	"image/color"
)

// DefaultMaxPixels is the pixel limit when Options.MaxPixels is zero:
// 16383 × 16383, the default of libvips and sharp (limitInputPixels).
const DefaultMaxPixels = 16383 * 16383

// Options configure [Decode]. The zero value (or a nil *Options) decodes at
// full size with the default pixel limit.
type Options struct {
	// Scale is the reduction: 1, 2, 4 or 8 decodes at 1/1, 1/2, 1/4 or 1/8
	// of the stored size in each dimension (rounded up, as libjpeg does).
	// Zero means 1. See [ChooseScale].
	Scale int
	// MaxPixels is the largest width × height the frame header may declare;
	// a larger one fails with [ErrTooManyPixels] before pixel memory is
	// allocated. Zero means [DefaultMaxPixels]; negative means no limit.
	MaxPixels int64
}

// ColorSpace is how a JPEG's components are to be interpreted.
type ColorSpace int

// The colour spaces Decode understands, and the image type it returns for
// each.
const (
	Gray  ColorSpace = iota + 1 // one component: *image.Gray
	YCbCr                       // JFIF YCbCr: *image.YCbCr
	RGB                         // Adobe transform 0 or components 'R','G','B': *image.RGBA
	CMYK                        // Adobe transform 0, four components: *image.CMYK
	YCCK                        // Adobe transform 2, four components: *image.CMYK
)

var colorSpaceNames = [...]string{"unknown", "Gray", "YCbCr", "RGB", "CMYK", "YCCK"}

func (c ColorSpace) String() string {
	if c < 0 || int(c) >= len(colorSpaceNames) {
		return "unknown"
	}
	return colorSpaceNames[c]
}

// Config is what the headers say about an image, read without decoding any
// pixels.
type Config struct {
	image.Config // stored size (before orientation) and colour model
	// ColorSpace is how the components are interpreted.
	ColorSpace ColorSpace
	// Subsampling is the chroma subsampling of a YCbCr image; for other
	// colour spaces it is 4:4:4.
	Subsampling image.YCbCrSubsampleRatio
	// Progressive reports whether the frame is progressive (SOF2).
	Progressive bool
	// RestartInterval is the number of MCUs between restart markers in
	// the first scan, 0 for none.
	RestartInterval int
	// Orientation is the EXIF orientation (tag 0x0112 in an APP1 Exif
	// segment), 1 to 8; 1 when absent or invalid.
	Orientation int
	// ICC is the embedded ICC profile, reassembled from its APP2 chunks, or
	// nil when there is none or its chunks are incomplete.
	ICC []byte

	blocks [4]int64 // 8×8 blocks of each component's MCU-padded grid
}

// DecodeBytes estimates the memory [Decode] holds at its peak for this
// image at 1/scale (1, 2, 4 or 8): the component planes at the output
// scale, for a progressive frame the coefficients the scale keeps (2 bytes
// each) and a nonzero mask per block, and for RGB, CMYK and YCCK the
// interleaved 4-byte pixels. It is exact for the pixel memory, which
// dominates; the decoder's own tables add a few tens of KB.
func (c Config) DecodeBytes(scale int) int64 {
	if scale != 2 && scale != 4 && scale != 8 {
		scale = 1
	}
	bs := int64(8 / scale)
	var n int64
	for _, b := range c.blocks {
		n += b * bs * bs
		if c.Progressive {
			n += b * (2*int64(coefsForScale[scale]) + 8)
		}
	}
	switch c.ColorSpace {
	case RGB, CMYK, YCCK:
		w, h := int64(c.Width+scale-1)/int64(scale), int64(c.Height+scale-1)/int64(scale)
		n += 4 * w * h
	}
	return n
}

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

// DecodeConfig reads the headers of the JPEG in src up to its first scan.
// It checks no pixel limit: compare the size with your own.
func DecodeConfig(src []byte) (Config, error) {
	d := decoder{src: src}
	if err := d.readHeaders(); err != nil {
		return Config{}, err
	}
	return d.config()
}

// Decode decodes the JPEG in src at 1/opts.Scale of its size.
//
// The result is an *image.Gray, an *image.YCbCr (planes as stored, chroma
// not upsampled, like image/jpeg), an *image.RGBA (RGB JPEGs) or an
// *image.CMYK (Adobe CMYK and YCCK, with Adobe's inverted storage undone, as
// image/jpeg does). Its bounds start at (0, 0) and are ⌈w/s⌉ × ⌈h/s⌉. The
// EXIF orientation is not applied: see [DecodeConfig].
//
// Memory is proportional to the scaled image (plus, for a progressive JPEG,
// the few coefficients per 8×8 block that the scale needs); nothing is
// allocated for pixels before the frame header has passed opts.MaxPixels.
func Decode(src []byte, opts *Options) (image.Image, error) {
	return DecodeContext(context.Background(), src, opts)
}

// DecodeContext is [Decode] under a context: the decoder checks ctx between
// rows of blocks (MCU rows) in every scan and in the final reconstruction,
// and returns ctx.Err() promptly once it is done, dropping everything it
// allocated.
func DecodeContext(ctx context.Context, src []byte, opts *Options) (image.Image, error) {
	img, _, err := decodeOpts(ctx, src, opts)
	return img, err
}

// decodeOpts is Decode, also returning the decoder for tests to inspect.
func decodeOpts(ctx context.Context, src []byte, opts *Options) (image.Image, *decoder, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch o.Scale {
	case 0:
		o.Scale = 1
	case 1, 2, 4, 8:
	default:
		return nil, nil, ErrInvalidScale
	}
	if o.MaxPixels == 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	d := &decoder{ctx: ctx, src: src, scale: o.Scale, maxPixels: o.MaxPixels, decoding: true}
	d.bs = 8 / o.Scale
	d.ncoef = coefsForScale[o.Scale]
	if err := d.readHeaders(); err != nil {
		return nil, d, err
	}
	img, err := d.decode()
	return img, d, err
}

// checkRange makes the decoder record, in decoder.wild, whether any
// dequantized coefficient lies outside what 8-bit samples can produce
// (|F| <= 8·1024 leaves ample margin). Only the tests set it: image/jpeg's
// 32-bit IDCT overflows on such hostile coefficients where ours does not,
// so the fuzz oracle does not apply to them.
var checkRange = false

// coefsForScale[s] is how many coefficients, in zigzag order, a 1/s decode
// needs: enough to include the (8/s)×(8/s) lowest frequencies.
var coefsForScale = func() (n [9]int) {
	for _, s := range []int{1, 2, 4, 8} {
		b := 8 / s
		for k, z := range unzig {
			if int(z)%8 < b && int(z)/8 < b {
				n[s] = k + 1
			}
		}
	}
	return n
}()

// unzig maps zigzag order to natural (row-major) order (T.81 Figure A.6).
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// Markers (T.81 Table B.1).
const (
	mSOF0 = 0xc0 // baseline
	mSOF1 = 0xc1 // extended sequential, Huffman
	mSOF2 = 0xc2 // progressive, Huffman
	mDHT  = 0xc4
	mRST0 = 0xd0
	mRST7 = 0xd7
	mSOI  = 0xd8
	mEOI  = 0xd9
	mSOS  = 0xda
	mDQT  = 0xdb
	mDNL  = 0xdc
	mDRI  = 0xdd
	mAPP0 = 0xe0
	mAPP1 = 0xe1
	mAPP2 = 0xe2
	mAPPE = 0xee
)

// component is one frame component and, once allocated, its output plane.
type component struct {
	id     uint8
	h, v   int   // sampling factors
	tq     uint8 // quantization table
	bw, bh int   // blocks in the MCU-padded grid
	cw, ch int   // blocks actually coded in a non-interleaved scan

	plane  []byte // samples at the output scale, bw*bs wide
	stride int

	// Progressive only: ncoef coefficients (zigzag order) per block, and a
	// bit per zigzag position telling whether the coefficient is nonzero
	// (needed to parse refinement scans even for coefficients not kept).
	coef []int16
	nz   []uint64

	dcPred int32

	// scanned reports whether any scan included the component. A
	// progressive frame may leave one out: its coefficients stay zero and
	// it decodes flat (mid-grey), as in libjpeg.
	scanned bool
}

type decoder struct {
	ctx context.Context // nil for DecodeConfig
	src []byte
	pos int

	// What Decode asked for.
	decoding  bool
	scale, bs int // 1/scale; bs = 8/scale samples per block side
	ncoef     int
	maxPixels int64

	// Frame.
	sof         bool
	progressive bool
	width       int
	height      int
	ncomp       int
	comp        [4]component
	hmax, vmax  int
	mcusX       int
	mcusY       int
	allocated   bool

	quant   [4][64]int32 // zigzag order
	qset    [4]bool
	huff    [2][4]*huffTable // [class][id]; class 0 DC, 1 AC; nil until defined
	hset    [2][4]bool
	ri      int // restart interval in MCUs
	firstRI int // restart interval when the first scan started
	eobrun  int32
	// Progressive AC scans starting at or after skipFrom are skipped.
	skipFrom int

	jfif           bool
	adobe          bool
	adobeTransform uint8
	orientation    int
	exifSeen       bool
	icc            iccChunks

	wild bool // see checkRange

	br  bitReader
	blk [64]int32 // dequantized coefficients, natural order
}

// u16 reads a big-endian uint16 at src[i].
func (d *decoder) u16(i int) int { return int(d.src[i])<<8 | int(d.src[i+1]) }

// readHeaders checks SOI and reads marker segments up to and including the
// first SOS header (d.pos is then at the scan's entropy-coded data). For a
// decode, the first scan is decoded by decode.
func (d *decoder) readHeaders() error {
	if len(d.src) < 2 || d.src[0] != 0xff || d.src[1] != mSOI {
		return FormatError("missing SOI marker")
	}
	d.pos = 2
	d.orientation = 1
	for {
		m, seg, err := d.nextSegment()
		if err != nil {
			return err
		}
		if m == mSOS {
			if !d.sof {
				return FormatError("scan before frame header")
			}
			d.firstRI = d.ri
			d.pos -= len(seg) + 4 // decode re-reads the SOS header
			return nil
		}
		if m == mEOI {
			return FormatError("no image data")
		}
		if err := d.segment(m, seg); err != nil {
			return err
		}
	}
}

// nextSegment finds the next marker at or after d.pos (skipping fill bytes
// and, as libjpeg does, stray bytes between segments), and returns it with
// its payload (empty for markers without one). d.pos is left after the
// segment.
func (d *decoder) nextSegment() (byte, []byte, error) {
	for {
		for d.pos < len(d.src) && d.src[d.pos] != 0xff {
			d.pos++
		}
		for d.pos < len(d.src) && d.src[d.pos] == 0xff {
			d.pos++
		}
		if d.pos >= len(d.src) {
			return 0, nil, truncatedError("missing EOI marker")
		}
		m := d.src[d.pos]
		d.pos++
		switch {
		case m == 0:
			continue // a stuffed byte outside a scan: junk
		case m == mEOI:
			return m, nil, nil
		case m >= mRST0 && m <= mRST7, m == 0x01:
			continue // no payload; stray restart markers are ignored
		}
		if d.pos+2 > len(d.src) {
			return 0, nil, truncatedError("segment length")
		}
		n := d.u16(d.pos)
		if n < 2 {
			return 0, nil, FormatError("bad segment length")
		}
		if d.pos+n > len(d.src) {
			return 0, nil, truncatedError("segment")
		}
		seg := d.src[d.pos+2 : d.pos+n]
		d.pos += n
		return m, seg, nil
	}
}

// segment interprets one marker segment other than SOS and EOI.
func (d *decoder) segment(m byte, seg []byte) error {
	switch m {
	case mSOF0, mSOF1, mSOF2:
		return d.parseSOF(m, seg)
	case 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf:
		return UnsupportedError("lossless, hierarchical or arithmetic-coded JPEG")
	case mDHT:
		if !d.decoding {
			return nil
		}
		return d.parseDHT(seg)
	case mDQT:
		if !d.decoding {
			return nil
		}
		return d.parseDQT(seg)
	case mDRI:
		if len(seg) != 2 {
			return FormatError("bad DRI length")
		}
		d.ri = int(seg[0])<<8 | int(seg[1])
	case mDNL:
		return UnsupportedError("DNL marker")
	case mAPP0:
		if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
			d.jfif = true
		}
	case mAPP1:
		// The first Exif segment wins, as in libexif; a later one (from
		// an editor appending its own) is ignored. Orientation and ICC
		// are DecodeConfig's: a decode does not use them, so it does not
		// parse them again (as DecodeConfig skips the tables).
		if len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" && !d.exifSeen && !d.decoding {
			d.exifSeen = true
			if o, ok := exifOrientation(seg); ok {
				d.orientation = o
			}
		}
	case mAPP2:
		if !d.decoding {
			d.icc.add(seg)
		}
	case mAPPE:
		if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
			d.adobe = true
			d.adobeTransform = seg[11]
		}
	}
	return nil
}

func (d *decoder) parseSOF(m byte, seg []byte) error {
	if d.sof {
		return FormatError("multiple frame headers")
	}
	if len(seg) < 6 {
		return FormatError("short frame header")
	}
	if seg[0] != 8 {
		return UnsupportedError("sample precision other than 8 bits")
	}
	d.sof = true
	d.progressive = m == mSOF2
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	d.ncomp = int(seg[5])
	if d.height == 0 {
		return UnsupportedError("height defined by DNL")
	}
	if d.width == 0 {
		return FormatError("zero width")
	}
	switch d.ncomp {
	case 1, 3, 4:
	default:
		return UnsupportedError("component count other than 1, 3 or 4")
	}
	if len(seg) != 6+3*d.ncomp {
		return FormatError("bad frame header length")
	}
	for i := 0; i < d.ncomp; i++ {
		c := &d.comp[i]
		p := seg[6+3*i:]
		c.id = p[0]
		for j := 0; j < i; j++ {
			if d.comp[j].id == c.id {
				return FormatError("repeated component identifier")
			}
		}
		c.h, c.v = int(p[1]>>4), int(p[1]&15)
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return FormatError("bad sampling factor")
		}
		c.tq = p[2]
		if c.tq > 3 {
			return FormatError("bad quantization table selector")
		}
	}
	if d.ncomp == 1 {
		// A single component is never interleaved: its MCU is one block
		// whatever factors the header gives (T.81 A.2.2).
		d.comp[0].h, d.comp[0].v = 1, 1
	}
	d.hmax, d.vmax = 1, 1
	for i := 0; i < d.ncomp; i++ {
		d.hmax = max(d.hmax, d.comp[i].h)
		d.vmax = max(d.vmax, d.comp[i].v)
	}
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := 0; i < d.ncomp; i++ {
		c := &d.comp[i]
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
		// Component size, T.81 A.1.1: ⌈X·H/Hmax⌉ × ⌈Y·V/Vmax⌉.
		cx := (d.width*c.h + d.hmax - 1) / d.hmax
		cy := (d.height*c.v + d.vmax - 1) / d.vmax
		c.cw, c.ch = (cx+7)/8, (cy+7)/8
	}
	return nil
}

func (d *decoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return FormatError("short DHT segment")
		}
		class, id := seg[0]>>4, seg[0]&15
		if class > 1 || id > 3 {
			return FormatError("bad Huffman table selector")
		}
		var counts [16]uint8
		copy(counts[:], seg[1:17])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return FormatError("bad DHT segment")
		}
		if d.huff[class][id] == nil {
			d.huff[class][id] = new(huffTable) // a few KB: only the tables the file defines
		}
		if err := d.huff[class][id].build(&counts, seg[17:17+total]); err != nil {
			return err
		}
		d.hset[class][id] = true
		seg = seg[17+total:]
	}
	return nil
}

func (d *decoder) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, id := seg[0]>>4, seg[0]&15
		if pq > 1 || id > 3 {
			return FormatError("bad quantization table selector")
		}
		q := &d.quant[id]
		if pq == 0 {
			if len(seg) < 65 {
				return FormatError("short DQT segment")
			}
			for k := range q {
				q[k] = int32(seg[1+k])
			}
			seg = seg[65:]
		} else {
			if len(seg) < 129 {
				return FormatError("short DQT segment")
			}
			for k := range q {
				q[k] = int32(seg[1+2*k])<<8 | int32(seg[2+2*k])
			}
			seg = seg[129:]
		}
		d.qset[id] = true
	}
	return nil
}

// colorSpace decides how the components are interpreted, the way
// image/jpeg and libjpeg do.
func (d *decoder) colorSpace() (ColorSpace, error) {
	switch d.ncomp {
	case 1:
		return Gray, nil
	case 3:
		if d.jfif {
			return YCbCr, nil
		}
		if d.adobe && d.adobeTransform == 0 {
			return RGB, nil
		}
		if d.comp[0].id == 'R' && d.comp[1].id == 'G' && d.comp[2].id == 'B' {
			return RGB, nil
		}
		return YCbCr, nil
	}
	if !d.adobe {
		return 0, UnsupportedError("four-component JPEG without Adobe APP14 segment")
	}
	if d.adobeTransform == 0 {
		return CMYK, nil
	}
	return YCCK, nil
}

// subsampling maps a YCbCr frame's sampling factors to a standard ratio.
func (d *decoder) subsampling() (image.YCbCrSubsampleRatio, bool) {
	y, cb, cr := d.comp[0], d.comp[1], d.comp[2]
	if cb.h != cr.h || cb.v != cr.v || y.h%cb.h != 0 || y.v%cb.v != 0 {
		return 0, false
	}
	switch [2]int{y.h / cb.h, y.v / cb.v} {
	case [2]int{1, 1}:
		return image.YCbCrSubsampleRatio444, true
	case [2]int{2, 1}:
		return image.YCbCrSubsampleRatio422, true
	case [2]int{2, 2}:
		return image.YCbCrSubsampleRatio420, true
	case [2]int{1, 2}:
		return image.YCbCrSubsampleRatio440, true
	case [2]int{4, 1}:
		return image.YCbCrSubsampleRatio411, true
	case [2]int{4, 2}:
		return image.YCbCrSubsampleRatio410, true
	}
	return 0, false
}

func (d *decoder) config() (Config, error) {
	cs, err := d.colorSpace()
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Config:          image.Config{Width: d.width, Height: d.height},
		ColorSpace:      cs,
		Subsampling:     image.YCbCrSubsampleRatio444,
		Progressive:     d.progressive,
		RestartInterval: d.firstRI,
		Orientation:     d.orientation,
		ICC:             d.icc.profile(),
	}
	for i := 0; i < d.ncomp; i++ {
		cfg.blocks[i] = int64(d.comp[i].bw) * int64(d.comp[i].bh)
	}
	switch cs {
	case Gray:
		cfg.ColorModel = color.GrayModel
	case YCbCr:
		cfg.ColorModel = color.YCbCrModel
		r, ok := d.subsampling()
		if !ok {
			return Config{}, UnsupportedError("chroma subsampling")
		}
		cfg.Subsampling = r
	case RGB:
		cfg.ColorModel = color.RGBAModel
	default:
		cfg.ColorModel = color.CMYKModel
	}
	return cfg, nil
}
