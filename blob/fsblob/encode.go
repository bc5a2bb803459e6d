package fsblob

import (
	"fmt"
	"strconv"
	"strings"
)

// chunkLen is the longest encoded segment kept in one file name; longer
// ones are split into folders ending in chunkMark. File systems allow 255
// bytes per name and the suffixes need a few more.
const chunkLen = 200

const (
	chunkMark   = '+'  // ends a folder holding part of a long segment
	metaSuffix  = "~m" // the sidecar of a key
	dataSuffix  = "~d" // followed by the version: a body
	emptySeg    = "%"  // an empty segment
	tempPrefix  = ".tmp-"
	upperPrefix = '^'
)

// encodePath returns the slash-separated relative path of a key's leaf (to
// which metaSuffix or dataSuffix is appended).
func encodePath(key string) string {
	segs := strings.Split(key, "/")
	parts := make([]string, 0, len(segs))
	for _, s := range segs {
		parts = append(parts, encodeSegment(s))
	}
	return strings.Join(parts, "/")
}

// encodeSegment encodes one key segment, splitting it into chunks when long.
func encodeSegment(s string) string {
	if s == "" {
		return emptySeg
	}
	var b strings.Builder
	var chunk int
	for i := 0; i < len(s); i++ {
		c := s[i]
		var enc string
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.' && i > 0:
			enc = string(c)
		case c >= 'A' && c <= 'Z':
			enc = string([]byte{upperPrefix, c + ('a' - 'A')})
		default:
			enc = fmt.Sprintf("%%%02x", c)
		}
		if chunk+len(enc) > chunkLen {
			b.WriteByte(chunkMark)
			b.WriteByte('/')
			chunk = 0
		}
		b.WriteString(enc)
		chunk += len(enc)
	}
	return b.String()
}

// decodePath inverts encodePath for a slash-separated relative path whose
// suffix has been removed.
func decodePath(p string) (string, error) {
	var key strings.Builder
	parts := strings.Split(p, "/")
	for i, part := range parts {
		cont := strings.HasSuffix(part, string(chunkMark)) && i < len(parts)-1
		if cont {
			part = part[:len(part)-1]
		}
		if part != emptySeg {
			if err := decodeSegment(&key, part); err != nil {
				return "", fmt.Errorf("decode %q: %w", p, err)
			}
		}
		if !cont && i < len(parts)-1 {
			key.WriteByte('/')
		}
	}
	return key.String(), nil
}

func decodeSegment(b *strings.Builder, s string) error {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+3 > len(s) {
				return fmt.Errorf("truncated escape %q", s[i:])
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return fmt.Errorf("bad escape %q", s[i:i+3])
			}
			b.WriteByte(byte(v))
			i += 2
		case upperPrefix:
			if i+1 >= len(s) || s[i+1] < 'a' || s[i+1] > 'z' {
				return fmt.Errorf("bad upper-case mark in %q", s)
			}
			b.WriteByte(s[i+1] - ('a' - 'A'))
			i++
		default:
			b.WriteByte(c)
		}
	}
	return nil
}
