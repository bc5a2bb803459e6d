package gateway

import "strings"

// Header is a set of HTTP header fields with lowercase names, the form both
// the Fetch API and HTTP/2 use. The gateway core works on this type so that
// it needs no net/http (which keeps the WebAssembly build small).
type Header map[string][]string

// Get returns the first value of name (any case), or "".
func (h Header) Get(name string) string {
	if v := h[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of name.
func (h Header) Set(name, value string) { h[strings.ToLower(name)] = []string{value} }

// Add appends a value to name.
func (h Header) Add(name, value string) {
	k := strings.ToLower(name)
	h[k] = append(h[k], value)
}

// Del removes name.
func (h Header) Del(name string) { delete(h, strings.ToLower(name)) }

// Clone returns a deep copy of h.
func (h Header) Clone() Header {
	c := make(Header, len(h))
	for k, v := range h {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// size returns the bytes the fields take on the wire, roughly as HTTP/1.1
// counts them ("name: value\r\n").
func (h Header) size() int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// hopByHop lists the fields that describe one connection and must not be
// forwarded (RFC 9110 section 7.6.1), plus the proxy ones.
var hopByHop = []string{
	"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
	"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
	"http2-settings",
	// Expect: 100-continue is answered hop by hop (the adapters' HTTP
	// stacks send their own to the origin when they need to).
	"expect",
}

// untrusted lists the fields a client could use to claim another address,
// host, scheme or identity. The gateway removes them and sets its own.
var untrusted = []string{
	"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
	"x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server",
	"x-real-ip", "x-client-ip", "x-cluster-client-ip", "true-client-ip",
	"x-original-url", "x-rewrite-url", "x-original-forwarded-for",
	"x-request-id", "x-correlation-id",
	"cf-connecting-ip", "cf-connecting-ipv6", "cf-pseudo-ipv4", "cf-visitor", "cf-worker",
	HeaderTokenID, HeaderTenant,
}

// Headers the gateway sets on forwarded requests.
const (
	HeaderRequestID = "x-request-id"
	HeaderTokenID   = "x-rampart-token-id"
	HeaderTenant    = "x-rampart-tenant"
)

// notForwarded holds the fields the gateway never copies from a client's
// request to the origin: hop-by-hop, untrusted and host.
var notForwarded = func() map[string]bool {
	m := map[string]bool{"host": true}
	for _, k := range hopByHop {
		m[k] = true
	}
	for _, k := range untrusted {
		m[k] = true
	}
	return m
}()

// connectionNamed reports whether the Connection field of h names the field
// k (lowercase), which makes k hop-by-hop too.
func connectionNamed(h Header, k string) bool {
	for _, v := range h["connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), k) {
				return true
			}
		}
	}
	return false
}
