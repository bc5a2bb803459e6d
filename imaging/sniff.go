package imaging

import "bytes"

// Format names returned by [Sniff] and reported in [Result.Format]. They match
// the names the standard library's image package registers.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatGIF  = "gif"
	FormatWebP = "webp"
)

// SniffLen is how many leading bytes [Sniff] needs to recognise every format
// it knows. Passing fewer may turn a valid image into ErrUnsupported.
const SniffLen = 16

// Sniff identifies the image format from the magic bytes at the start of
// header, never from a file name or a declared content type. It returns one
// of FormatJPEG, FormatPNG, FormatGIF or FormatWebP, or a [*RejectError]
// wrapping ErrEmpty (no bytes) or ErrUnsupported (anything else; the reason
// names well-known formats it recognises but does not read, such as HEIC).
func Sniff(header []byte) (format string, err error) {
	h := header
	switch {
	case len(h) == 0:
		return "", &RejectError{Reason: "zero bytes", Err: ErrEmpty}
	case len(h) >= 2 && h[0] == 0xFF && h[1] == 0xD8: // SOI; the decoder judges the rest
		return FormatJPEG, nil
	case bytes.HasPrefix(h, []byte("\x89PNG")): // the decoder judges the rest of the signature
		return FormatPNG, nil
	case bytes.HasPrefix(h, []byte("GIF87a")), bytes.HasPrefix(h, []byte("GIF89a")):
		return FormatGIF, nil
	case len(h) >= 12 && bytes.Equal(h[:4], []byte("RIFF")) && bytes.Equal(h[8:12], []byte("WEBP")):
		return FormatWebP, nil
	}
	return "", reject(ErrUnsupported, "%s", describeUnknown(h))
}

// describeUnknown names formats that are recognisable but not supported, so a
// rejection reason says "HEIC image" rather than just "unknown".
func describeUnknown(h []byte) string {
	switch {
	case len(h) >= 12 && bytes.Equal(h[4:8], []byte("ftyp")):
		brand := string(h[8:12])
		switch brand {
		case "heic", "heix", "hevc", "hevx", "mif1", "msf1":
			return "HEIF/HEIC image is not supported"
		case "avif", "avis":
			return "AVIF image is not supported"
		}
		return "ISO media file (" + printable(h[8:12]) + ") is not an image"
	case bytes.HasPrefix(h, []byte("II*\x00")), bytes.HasPrefix(h, []byte("MM\x00*")):
		return "TIFF image is not supported"
	case bytes.HasPrefix(h, []byte("BM")):
		return "BMP image is not supported"
	case bytes.HasPrefix(h, []byte("%PDF")):
		return "PDF document is not an image"
	case bytes.HasPrefix(h, []byte("<svg")), bytes.HasPrefix(h, []byte("<?xml")):
		return "SVG/XML is not supported"
	}
	return "unrecognised content starting " + printable(h[:min(len(h), 8)])
}

// printable quotes b, replacing bytes that are not printable ASCII, so a
// hostile input cannot put control characters into a log line.
func printable(b []byte) string {
	out := make([]byte, 0, len(b)+2)
	out = append(out, '"')
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			c = '.'
		}
		out = append(out, c)
	}
	return string(append(out, '"'))
}
