package httpproxy

import "net/http"

// The core names the fields it sets as the request it decides on names
// its own: canonically, since Request passes net/http's header. An
// adapter that has lowercase names converts them with canonicalKey;
// converting a name allocates a new string, so for the fields the core
// sets and those most responses carry, this table holds the canonical
// form of both spellings.
var canonicalOf = map[string]string{}

func init() {
	for _, k := range []string{
		"accept-ranges", "age", "allow", "cache-control", "content-encoding",
		"content-language", "content-length", "content-type", "date", "etag",
		"expires", "last-modified", "location", "ratelimit", "ratelimit-policy",
		"retry-after", "set-cookie", "vary", "via", "www-authenticate",
		"x-content-type-options", "x-request-id", "x-rampart-token-id", "x-rampart-tenant",
	} {
		c := http.CanonicalHeaderKey(k)
		canonicalOf[k], canonicalOf[c] = c, c
	}
}

// canonicalKey returns the canonical form of the field name k.
func canonicalKey(k string) string {
	if c, ok := canonicalOf[k]; ok {
		return c
	}
	return http.CanonicalHeaderKey(k)
}
