package webpdec

// VP8 key-frame headers (RFC 6386 sections 9 and 19.2).

const (
	numTypes  = 4  // coefficient block types (RFC 6386 section 13.3)
	numBands  = 8  // coefficient bands
	numCtx    = 3  // contexts: how many neighbours have nonzero coefficients
	numProbs  = 11 // token tree probabilities
	numBModes = 10 // subblock intra modes
	maxParts  = 8  // token partitions
)

// Block types, the first index of the token probabilities.
const (
	typeYAfterY2 = 0 // luma blocks of a 16×16-predicted macroblock (DC in Y2)
	typeY2       = 1 // the second-order luma DC block
	typeUV       = 2 // chroma
	typeYWithDC  = 3 // luma blocks of a subblock-predicted macroblock
)

// Intra modes. The 16×16 and chroma modes use the first four values; the
// subblock modes all ten, in libwebp's order (the order of the tree in RFC
// 6386 section 11.2 is different, but the probability tables follow this
// one).
const (
	bDC = iota
	bTM
	bVE
	bHE
	bRD
	bVR
	bLD
	bVL
	bHD
	bHU
)

// Filter types.
const (
	filterNone = iota
	filterSimple
	filterNormal
)

// quantMatrix holds the dequantization factors of one segment: index 0 for
// the DC coefficient, 1 for the AC coefficients.
type quantMatrix struct {
	y1, y2, uv [2]int32
}

// filterInfo is the loop-filter strength of a macroblock class (segment and
// whether it is subblock-predicted).
type filterInfo struct {
	limit  uint8 // 2·level + interior limit; 0 means no filtering
	ilevel uint8 // interior limit
	hev    uint8 // high edge variance threshold
	inner  bool  // filter the subblock edges too
}

// vp8Header is everything a key frame says before its macroblocks.
type vp8Header struct {
	width, height int
	mbw, mbh      int

	useSegment, updateMap bool
	segProbs              [3]uint8

	filterType int
	fstrength  [4][2]filterInfo

	dq [4]quantMatrix

	probs    [numTypes][numBands][numCtx][numProbs]uint8
	useSkip  bool
	skipProb uint8

	first  boolReader // the rest of the first partition: per-macroblock modes
	parts  [maxParts]boolReader
	nparts int
}

// parseVP8Header reads the frame tag, the key-frame header and the frame
// header at the start of the first partition, and sets up the token
// partitions, all slices of b (the VP8 chunk's payload).
func parseVP8Header(b []byte) (*vp8Header, error) {
	w, h, firstLen, err := vp8FrameSize(b)
	if err != nil {
		return nil, err
	}
	h0 := &vp8Header{width: w, height: h, mbw: (w + 15) / 16, mbh: (h + 15) / 16}
	b = b[10:]
	if firstLen > len(b) {
		return nil, truncatedError("first partition is cut short")
	}
	br := &h0.first
	br.init(b[:firstLen])
	br.readFlag() // colour space: 0 is YCbCr (BT.601), 1 reserved; decoders ignore it
	br.readFlag() // clamping type: decoders always clamp

	// Segmentation (section 9.3).
	var segQuant, segFilter [4]int
	absolute := true
	if h0.useSegment = br.readFlag(); h0.useSegment {
		h0.updateMap = br.readFlag()
		if br.readFlag() { // update segment feature data
			absolute = br.readFlag()
			for i := range segQuant {
				segQuant[i] = br.readOptionalSigned(7)
			}
			for i := range segFilter {
				segFilter[i] = br.readOptionalSigned(6)
			}
		}
		if h0.updateMap {
			for i := range h0.segProbs {
				h0.segProbs[i] = 255
				if br.readFlag() {
					h0.segProbs[i] = uint8(br.readLiteral(8))
				}
			}
		}
	}

	// Loop filter (section 9.6).
	simple := br.readFlag()
	level := br.readLiteral(6)
	sharpness := br.readLiteral(3)
	var refDelta, modeDelta [4]int
	useLFDelta := br.readFlag()
	if useLFDelta && br.readFlag() { // update deltas
		for i := range refDelta {
			refDelta[i] = br.readOptionalSigned(6)
		}
		for i := range modeDelta {
			modeDelta[i] = br.readOptionalSigned(6)
		}
	}
	switch {
	case level == 0:
		h0.filterType = filterNone
	case simple:
		h0.filterType = filterSimple
	default:
		h0.filterType = filterNormal
	}
	if h0.filterType != filterNone {
		for s := range h0.fstrength {
			base := level
			if h0.useSegment {
				base = segFilter[s]
				if !absolute {
					base += level
				}
			}
			for i4 := range 2 {
				l := base
				if useLFDelta {
					l += refDelta[0] // intra frame
					if i4 == 1 {
						l += modeDelta[0] // B_PRED
					}
				}
				h0.fstrength[s][i4] = strength(min(max(l, 0), 63), sharpness, i4 == 1)
			}
		}
	}

	// Token partitions (section 9.5): their sizes, 3 bytes each but the
	// last, follow the first partition.
	h0.nparts = 1 << br.readLiteral(2)
	rest := b[firstLen:]
	sizes := 3 * (h0.nparts - 1)
	if len(rest) < sizes {
		return nil, truncatedError("token partition sizes are cut short")
	}
	data := rest[sizes:]
	for p := 0; p < h0.nparts-1; p++ {
		n := int(rest[3*p]) | int(rest[3*p+1])<<8 | int(rest[3*p+2])<<16
		n = min(n, len(data)) // as libwebp: a partition cannot reach past the data
		h0.parts[p].init(data[:n])
		data = data[n:]
	}
	if len(data) == 0 {
		return nil, truncatedError("the last token partition is empty")
	}
	h0.parts[h0.nparts-1].init(data)

	// Quantizers (section 9.6).
	q0 := br.readLiteral(7)
	dqY1DC := br.readOptionalSigned(4)
	dqY2DC := br.readOptionalSigned(4)
	dqY2AC := br.readOptionalSigned(4)
	dqUVDC := br.readOptionalSigned(4)
	dqUVAC := br.readOptionalSigned(4)
	for s := range h0.dq {
		q := q0
		if h0.useSegment {
			q = segQuant[s]
			if !absolute {
				q += q0
			}
		}
		m := &h0.dq[s]
		m.y1 = [2]int32{dcQuant[clampQ(q+dqY1DC, 127)], acQuant[clampQ(q, 127)]}
		m.y2 = [2]int32{2 * dcQuant[clampQ(q+dqY2DC, 127)], max(acQuant[clampQ(q+dqY2AC, 127)]*155/100, 8)}
		m.uv = [2]int32{dcQuant[clampQ(q+dqUVDC, 117)], acQuant[clampQ(q+dqUVAC, 127)]}
	}

	br.readFlag() // refresh_entropy_probs: meaningless for a lone key frame

	// Token probabilities (section 13.4).
	h0.probs = defaultCoeffProbs
	for t := range h0.probs {
		for b := range h0.probs[t] {
			for c := range h0.probs[t][b] {
				for i := range h0.probs[t][b][c] {
					if br.readBit(coeffUpdateProbs[t][b][c][i]) {
						h0.probs[t][b][c][i] = uint8(br.readLiteral(8))
					}
				}
			}
		}
	}
	if h0.useSkip = br.readFlag(); h0.useSkip {
		h0.skipProb = uint8(br.readLiteral(8))
	}
	if br.eof {
		return nil, truncatedError("frame header is cut short")
	}
	return h0, nil
}

// vp8FrameSize reads the frame tag and key-frame header of a VP8 payload:
// the image size and the first partition's length.
func vp8FrameSize(b []byte) (w, h, firstLen int, err error) {
	if len(b) < 10 {
		return 0, 0, 0, truncatedError("VP8 frame header is cut short")
	}
	tag := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	switch {
	case tag&1 != 0:
		return 0, 0, 0, UnsupportedError("VP8 interframe (not a key frame)")
	case (tag>>1)&7 > 3:
		return 0, 0, 0, FormatError("VP8 profile above 3")
	case (tag>>4)&1 == 0:
		return 0, 0, 0, FormatError("VP8 frame is not meant to be shown")
	case b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a:
		return 0, 0, 0, FormatError("VP8 key frame start code missing")
	}
	// The top two bits of each dimension are an upscaling hint for
	// players, which decoders ignore (libwebp does too).
	w = int(b[6]) | int(b[7]&0x3f)<<8
	h = int(b[8]) | int(b[9]&0x3f)<<8
	if w == 0 || h == 0 {
		return 0, 0, 0, FormatError("VP8 frame has zero width or height")
	}
	return w, h, tag >> 5, nil
}

func clampQ(q, hi int) int { return min(max(q, 0), hi) }

// strength computes a macroblock class's loop-filter parameters from its
// level (0 to 63) and the frame's sharpness (RFC 6386 section 15.2).
func strength(level, sharpness int, i4 bool) filterInfo {
	if level == 0 {
		return filterInfo{}
	}
	ilevel := level
	if sharpness > 0 {
		if sharpness > 4 {
			ilevel >>= 2
		} else {
			ilevel >>= 1
		}
		ilevel = min(ilevel, 9-sharpness)
	}
	ilevel = max(ilevel, 1)
	hev := 0
	switch {
	case level >= 40:
		hev = 2
	case level >= 15:
		hev = 1
	}
	return filterInfo{limit: uint8(2*level + ilevel), ilevel: uint8(ilevel), hev: uint8(hev), inner: i4}
}
