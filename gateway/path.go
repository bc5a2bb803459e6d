package gateway

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"
)

// ErrBadPath is returned by [CleanPath] for a path the gateway refuses.
var ErrBadPath = errors.New("gateway: refused request path")

// CleanPath checks the escaped request path p (as sent on the request line,
// without the query) and returns it unchanged when it is canonical, or an
// error wrapping ErrBadPath.
//
// The gateway does not rewrite suspicious paths into something it then
// forwards: what the origin sees must be exactly what was authorised, so any
// path the origin could read differently from the gateway is refused:
//
//   - not starting with "/", empty segments ("//"), "." or ".." segments;
//   - a byte RFC 3986 does not allow raw in a path (a space, a control
//     character, a byte outside ASCII, a backslash, and any of "#<>[]^`{|}),
//     which parsers escape, drop or split on differently (net/url would
//     re-escape it, so the origin would not get the path byte for byte);
//   - a raw ";": Java servlet containers (Tomcat, Jetty) cut "path
//     parameters" at it, so "/admin;x/users" would be "/admin/users" there
//     while the gateway routes a segment "admin;x" ("%3B" is data to all);
//   - percent-encodings that are malformed, that encode "/", "\\", ".", "%"
//     or a control character, or that decode to invalid UTF-8: these are
//     the double-encoding and overlong tricks (%2e%2e, %252e, %c0%af);
//   - a path longer than maxLen bytes (0 means 2048).
func CleanPath(p string, maxLen int) (string, error) {
	if maxLen <= 0 {
		maxLen = 2048
	}
	switch {
	case p == "":
		return "", pathError("empty path")
	case len(p) > maxLen:
		return "", pathError("path too long")
	case p[0] != '/':
		return "", pathError("path must start with /")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c < 0x21 || c >= 0x7f:
			return "", pathError("control, space or non-ASCII byte in path")
		case c == '\\':
			return "", pathError("backslash in path")
		case !pathByte[c]:
			return "", pathError("byte not allowed raw in a path")
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return "", pathError("malformed percent-encoding")
			}
			v := unhex(p[i+1])<<4 | unhex(p[i+2])
			if v < 0x20 || v == 0x7f || v == '/' || v == '\\' || v == '.' || v == '%' {
				return "", pathError("ambiguous percent-encoding")
			}
			i += 2
		}
	}
	if dec, err := url.PathUnescape(p); err != nil || !utf8.ValidString(dec) {
		return "", pathError("percent-encoding is not valid UTF-8")
	}
	for rest := p[1:]; ; {
		seg, after, more := strings.Cut(rest, "/")
		switch {
		case seg == "." || seg == "..":
			return "", pathError("dot segment in path")
		case seg == "" && more:
			return "", pathError("empty segment in path")
		}
		if !more {
			return p, nil
		}
		rest = after
	}
}

// pathByte holds the bytes RFC 3986 allows in a path: pchar (unreserved,
// sub-delims, ":" and "@"), "/" and the "%" of an escape.
var pathByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~!$&'()*+,=:@/%" {
		t[c] = true
	}
	return t
}()

type pathErr string

func (e pathErr) Error() string        { return "gateway: refused request path: " + string(e) }
func (e pathErr) Is(target error) bool { return target == ErrBadPath }

func pathError(reason string) error { return pathErr(reason) }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// hasPathPrefix reports whether p is prefix or below it, segment-wise:
// "/api" matches "/api" and "/api/x" but not "/apix". The gateway compares
// decoded paths, as an origin routes on them ("/%61pi" is "/api"):
// CleanPath refuses encoded slashes, so decoding makes no new segments.
func hasPathPrefix(p, prefix string) bool {
	if prefix == "/" || prefix == "" {
		return true
	}
	prefix = strings.TrimSuffix(prefix, "/")
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}
