package imaging

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
)

// iccProfile is what we read from an embedded ICC profile header and its
// description tag. We do not run a colour management module: see the
// package documentation, "# Colour".
type iccProfile struct {
	colorSpace  string // data colour space signature: "RGB", "CMYK", "GRAY", ...
	description string // the 'desc' tag, "" when unreadable
}

// parseICC reads the header and the description of an ICC profile. ok is
// false when p is not a plausible profile.
func parseICC(p []byte) (prof iccProfile, ok bool) {
	if len(p) < 132 || string(p[36:40]) != "acsp" {
		return prof, false
	}
	prof.colorSpace = strings.TrimRight(string(p[16:20]), " ")
	count := int64(binary.BigEndian.Uint32(p[128:]))
	for k := int64(0); k < count && 132+12*(k+1) <= int64(len(p)); k++ {
		e := p[132+12*k:]
		if string(e[:4]) != "desc" {
			continue
		}
		off, size := int64(binary.BigEndian.Uint32(e[4:])), int64(binary.BigEndian.Uint32(e[8:]))
		if off+size > int64(len(p)) || size < 12 {
			break
		}
		prof.description = iccText(p[off : off+size])
		break
	}
	return prof, true
}

// iccText decodes a 'desc' (ICC v2, ASCII) or 'mluc' (ICC v4, UTF-16BE, first
// record) tag.
func iccText(t []byte) string {
	var s string
	switch string(t[:4]) {
	case "desc":
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
	// Keep it printable and short: it ends up in results and logs.
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

// isSRGB reports whether the profile describes sRGB (or is absent). ICC
// profiles carry no reliable identity, so we go by the description, as
// libvips and browsers' fast paths do: "sRGB IEC61966-2.1", "sRGB built-in",
// "sRGB v4 ICC preference" all qualify.
func (p iccProfile) isSRGB() bool {
	return strings.Contains(strings.ToLower(p.description), "srgb")
}
