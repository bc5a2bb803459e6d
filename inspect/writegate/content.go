package writegate

import (
	"mime"
	"net/http"
	"path"
	"strings"
)

// InlineTypes are the media types [ObjectHeaders] lets a browser display
// in place: the raster image formats the media service reads and writes,
// which cannot run script. Everything else (HTML, SVG, XML, PDF, text,
// unknown types) is served as an attachment.
var InlineTypes = []string{"image/jpeg", "image/png", "image/webp", "image/gif"}

// ObjectCSP is the Content-Security-Policy of every stored object: nothing
// loads, no script runs, and a document opened anyway is sandboxed into an
// opaque origin that shares nothing with the API's.
const ObjectCSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"

// ObjectHeaders sets the headers under which an object stored by a user
// (an upload, or anything else in the bucket) is served on an origin that
// also has an API, so that it is never active content there: the object's
// Content-Type when it has a valid one (application/octet-stream
// otherwise), X-Content-Type-Options: nosniff, the sandboxing [ObjectCSP],
// and Content-Disposition: attachment unless the type is one of
// [InlineTypes]. An <img> still shows an attachment; a navigation to it
// downloads instead of rendering.
func ObjectHeaders(h http.Header, key, contentType string) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || contentType == "" {
		contentType, mt = "application/octet-stream", "application/octet-stream"
	}
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", ObjectCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	for _, t := range InlineTypes {
		if strings.EqualFold(mt, t) {
			h.Set("Content-Disposition", "inline")
			return
		}
	}
	name := path.Base(key)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if h.Get("Content-Disposition") == "" {
		h.Set("Content-Disposition", "attachment")
	}
}

// PageHeaders sets the headers of a page of a local web tool (the
// dashboard): no other site may frame it (clickjacking), and it is never
// cached.
func PageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}
