// Package exif reads the one EXIF field a thumbnailer needs, the
// orientation, from a TIFF-structured EXIF block. It is the single EXIF
// parser of the imaging packages: JPEG's APP1 segment (package jpegdec),
// PNG's eXIf chunk and WebP's EXIF chunk all hand it the same structure.
// Every offset is checked against the bytes present, which may be hostile.
package exif

import "encoding/binary"

// Prefix starts a JPEG APP1 Exif segment (and some WebP EXIF chunks) before
// the TIFF structure.
const Prefix = "Exif\x00\x00"

// Orientation returns tag 0x0112 of IFD0 in the TIFF structure t, 1 to 8,
// and whether it was present and valid. The value may be a SHORT (the
// standard) or a LONG (written by a few tools).
func Orientation(t []byte) (int, bool) {
	if len(t) < 8 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0, false
	}
	off := int64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0, false
	}
	n := int(bo.Uint16(t[off:]))
	p := int(off) + 2
	for k := 0; k < n && p+12 <= len(t); k, p = k+1, p+12 {
		if bo.Uint16(t[p:]) != 0x0112 {
			continue
		}
		var v int
		switch bo.Uint16(t[p+2:]) {
		case 3: // SHORT
			v = int(bo.Uint16(t[p+8:]))
		case 4: // LONG
			v = int(bo.Uint32(t[p+8:]))
		}
		if v < 1 || v > 8 {
			return 0, false
		}
		return v, true
	}
	return 0, false
}
