package httpproxy

import (
	"net/http"
	"strings"
)

// The core names header fields in lowercase and net/http in canonical form.
// Converting a name allocates a new string, twice per field and request; for
// the fields most requests and responses carry, these tables hold both
// forms, so converting them allocates nothing.
var (
	lowerOf     = map[string]string{} // canonical -> lowercase
	canonicalOf = map[string]string{} // lowercase -> canonical
)

func init() {
	for _, k := range []string{
		"accept", "accept-charset", "accept-encoding", "accept-language", "allow",
		"authorization", "cache-control", "connection", "content-encoding",
		"content-language", "content-length", "content-type", "cookie", "date",
		"etag", "expect", "forwarded", "host", "if-match", "if-modified-since",
		"if-none-match", "if-range", "if-unmodified-since", "keep-alive",
		"last-modified", "origin", "pragma", "priority", "proxy-connection",
		"range", "ratelimit", "ratelimit-policy", "referer", "retry-after",
		"sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "sec-fetch-dest",
		"sec-fetch-mode", "sec-fetch-site", "sec-fetch-user", "te", "trailer",
		"transfer-encoding", "upgrade", "upgrade-insecure-requests", "user-agent",
		"via", "www-authenticate", "x-correlation-id", "x-forwarded-for",
		"x-forwarded-host", "x-forwarded-proto", "x-real-ip", "x-requested-with",
		"x-amzn-trace-id", "traceparent", "tracestate",
		"x-request-id", "x-rampart-token-id", "x-rampart-tenant",
	} {
		c := http.CanonicalHeaderKey(k)
		lowerOf[c], canonicalOf[k] = k, c
	}
}

// lowerKey returns the lowercase form of the canonical name k.
func lowerKey(k string) string {
	if l, ok := lowerOf[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

// canonicalKey returns the canonical form of the lowercase name k.
func canonicalKey(k string) string {
	if c, ok := canonicalOf[k]; ok {
		return c
	}
	return http.CanonicalHeaderKey(k)
}
