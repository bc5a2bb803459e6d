// Package icc reads ICC colour profiles (ICC.1 versions 2 and 4) from
// untrusted bytes and converts a profile's device colours to sRGB the way
// sharp does (libvips over Little CMS, perceptual intent).
//
// A profile converts through its device-to-PCS table for the perceptual
// intent (A2B0: lut8 "mft1", lut16 "mft2" or lutAtoB "mAB " with its
// curves, colour lookup table and matrix) or, for RGB without A2B0, its
// colorant matrix and tone curves, into the profile connection space (CIE
// XYZ or L*a*b*, D50), and on to sRGB through the inverse of the sRGB
// profile's colorant matrix and the sRGB curve. As Little CMS does for a
// version 4 output profile at the perceptual intent (libvips' sRGB profile
// is version 4), black point compensation maps the source's black to
// sRGB's black (see [blackPoint]). Lookup tables are interpolated
// tetrahedrally in three dimensions and, in four, linearly between two
// tetrahedral interpolations (the first channel varying slowest), as
// Little CMS does.
//
// Tables are read in place from the profile's bytes: nothing is allocated
// from a size the profile declares, and every offset and length is checked
// against the bytes present. [Default] is libvips' built-in CMYK profile
// ("Chemical proof" by Graeme W. Gill, released into the public domain),
// which sharp applies to CMYK images without one.
package icc

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// Profile is a parsed ICC profile. Its tables refer to the bytes given to
// [Parse], which must not change afterwards.
type Profile struct {
	Version     uint32 // the encoded version, e.g. 0x02100000, 0x04200000
	Class       string // profile/device class: "mntr", "prtr", "scnr", ...
	ColorSpace  string // data colour space: "RGB", "CMYK", "GRAY", ...
	PCS         string // profile connection space: "XYZ" or "Lab"
	Description string // the 'desc' tag, "" when absent or unreadable

	tags map[string][]byte
}

// Errors from [Parse] and [NewTransform]; all wrapped with detail.
var (
	ErrInvalid     = errors.New("icc: invalid profile")
	ErrUnsupported = errors.New("icc: unsupported profile")
)

// maxTags bounds the tag table (Little CMS allows 100; real profiles have
// 10 to 30).
const maxTags = 200

// Parse reads the header and tag table of an ICC profile.
func Parse(b []byte) (*Profile, error) {
	if len(b) < 132 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than a header", ErrInvalid, len(b))
	}
	if string(b[36:40]) != "acsp" {
		return nil, fmt.Errorf("%w: no 'acsp' signature", ErrInvalid)
	}
	size := int64(binary.BigEndian.Uint32(b))
	if size < 132 || size > int64(len(b)) {
		return nil, fmt.Errorf("%w: header size %d for %d bytes", ErrInvalid, size, len(b))
	}
	b = b[:size]
	p := &Profile{
		Version:    binary.BigEndian.Uint32(b[8:]),
		Class:      sig(b[12:16]),
		ColorSpace: sig(b[16:20]),
		PCS:        sig(b[20:24]),
		tags:       map[string][]byte{},
	}
	count := int64(binary.BigEndian.Uint32(b[128:]))
	if count > maxTags || 132+12*count > size {
		return nil, fmt.Errorf("%w: %d tags", ErrInvalid, count)
	}
	for k := int64(0); k < count; k++ {
		e := b[132+12*k:]
		off, n := int64(binary.BigEndian.Uint32(e[4:])), int64(binary.BigEndian.Uint32(e[8:]))
		if n >= 8 && off+n <= size {
			p.tags[string(e[:4])] = b[off : off+n]
		}
	}
	if d := p.tags["desc"]; d != nil {
		p.Description = text(d)
	}
	return p, nil
}

func sig(b []byte) string { return strings.TrimRight(string(b), " \x00") }

// Tag returns a tag's bytes (type signature first), nil when absent.
func (p *Profile) Tag(name string) []byte { return p.tags[name] }

// IsSRGB reports whether the profile describes sRGB. Profiles carry no
// reliable identity, so this goes by the description, as libvips and
// browsers' fast paths do: "sRGB IEC61966-2.1", "sRGB built-in", "sRGB v4
// ICC preference" all qualify.
func (p *Profile) IsSRGB() bool {
	return p.ColorSpace == "RGB" && strings.Contains(strings.ToLower(p.Description), "srgb")
}

// v4 reports whether the profile is version 4 or later.
func (p *Profile) v4() bool { return p.Version >= 0x04000000 }

// text decodes a 'desc' (ICC v2, ASCII) or 'mluc' (ICC v4, UTF-16BE, first
// record) tag, kept printable and at most 100 characters (it ends up in
// results and logs).
func text(t []byte) string {
	var s string
	switch string(t[:4]) {
	case "desc":
		if len(t) < 12 {
			return ""
		}
		n := int64(binary.BigEndian.Uint32(t[8:]))
		if 12+n <= int64(len(t)) {
			s = string(t[12 : 12+n])
		}
	case "mluc":
		if len(t) < 28 || binary.BigEndian.Uint32(t[8:]) == 0 {
			return ""
		}
		n, off := int64(binary.BigEndian.Uint32(t[20:])), int64(binary.BigEndian.Uint32(t[24:]))
		if off+n > int64(len(t)) || n > 1024 {
			return ""
		}
		u := make([]uint16, n/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(t[off+int64(2*i):])
		}
		s = string(utf16.Decode(u))
	}
	s = strings.TrimRight(s, "\x00 ")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

// defaultCMYK is libvips' built-in CMYK profile, "Chemical proof" (Graeme
// W. Gill, ArgyllCMS; its copyright tag: "Released into the public domain.
// No Warranty, Use at your own risk."), as sharp embeds it, reduced to the
// tags used here (desc, cprt, wtpt, bkpt, A2B0: a lut16 with a 9-point
// grid; the original's A2B1 and A2B2 are the same table, and its 734 KB of
// measurement text are dropped). See README.md.
//
//go:embed chemical-proof.icc
var defaultCMYK []byte

// Default returns libvips' default CMYK profile, which sharp applies to
// CMYK images without an embedded one.
func Default() *Profile {
	p, err := Parse(defaultCMYK)
	if err != nil {
		panic("icc: embedded default profile: " + err.Error())
	}
	return p
}
