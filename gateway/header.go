package gateway

import "strings"

// Header is a set of HTTP header fields. Its names are lowercase, the form
// both the Fetch API and HTTP/2 use, or, in a [Request] whose
// CanonicalHeader is set (and the Result and Upstream of its decision), in
// net/http's canonical form ("Content-Type"), so that the native adapter
// hands the gateway net/http's own header map instead of a copy. The
// gateway core works on this type so that it needs no net/http (which
// keeps the WebAssembly build small).
//
// Get, Set, Add and Del name fields in lowercase: use them on lowercase
// Headers; index a canonical one with canonical names.
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

// measure returns the bytes the fields take on the wire, roughly as
// HTTP/1.1 counts them ("name: value\r\n"), whether every name is
// written in form f, and whether every name is a token (RFC 9110 section
// 5.1).
func (h Header) measure(f form) (size int, inF, valid bool) {
	inF, valid = true, true
	for k, vs := range h {
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
		if inF && !inForm(k, f) {
			inF = false
		}
		if valid && !isToken(k) {
			valid = false
		}
	}
	return size, inF, valid
}

// isToken reports whether s is a token: one or more tchar.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return s != ""
}

// tchar holds the bytes of a token (RFC 9110 section 5.6.2).
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// inForm returns h with every name written in form f: h itself when they
// are, else a copy in which the values of names that differ only in case
// are joined, as HTTP's case-insensitive names make them one field.
func (h Header) inForm(f form) Header {
	c := make(Header, len(h))
	for k, vs := range h {
		if !inForm(k, f) {
			if f == canonical {
				k = canonicalName(k)
			} else {
				k = strings.ToLower(k)
			}
		}
		c[k] = append(c[k][:len(c[k]):len(c[k])], vs...)
	}
	return c
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
	// A CGI origin (PHP, net/http/cgi, Python's CGI) makes Proxy its
	// HTTP_PROXY variable, which its own HTTP clients take as their
	// outbound proxy (httpoxy, CVE-2016-5385).
	"proxy",
}

// Headers the gateway sets on forwarded requests.
const (
	HeaderRequestID = "x-request-id"
	HeaderTokenID   = "x-rampart-token-id"
	HeaderTenant    = "x-rampart-tenant"
)

// notForwarded lists the fields the gateway never forwards from a client's
// request to the origin: hop-by-hop, untrusted and host; and, unless
// Config.ForwardAuthorization, authorization.
var notForwarded = [...]nameSet{
	newNameSet(hopByHop, untrusted, []string{"host", "authorization"}),
	newNameSet(hopByHop, untrusted, []string{"host"}),
}

// connectionNamed reports whether the values of a Connection field name the
// field k (in any case), which makes k hop-by-hop too.
func connectionNamed(connection []string, k string) bool {
	for _, v := range connection {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), k) {
				return true
			}
		}
	}
	return false
}

// form is how a Header names its fields: lowercase or canonical.
type form uint8

const (
	lowercase form = iota
	canonical
)

// fieldName is a field name the gateway reads or sets, in both forms.
type fieldName [2]string

func newFieldName(lower string) fieldName { return fieldName{lower, canonicalName(lower)} }

// The fields the gateway reads or sets, by form.
var (
	fieldAuthorization    = newFieldName("authorization")
	fieldConnection       = newFieldName("connection")
	fieldContentLength    = newFieldName("content-length")
	fieldExpect           = newFieldName("expect")
	fieldTransferEncoding = newFieldName("transfer-encoding")
	fieldXForwardedFor    = newFieldName("x-forwarded-for")
	fieldXForwardedHost   = newFieldName("x-forwarded-host")
	fieldXForwardedProto  = newFieldName("x-forwarded-proto")
	fieldRequestID        = newFieldName(HeaderRequestID)
	fieldTokenID          = newFieldName(HeaderTokenID)
	fieldTenant           = newFieldName(HeaderTenant)
	fieldAllow            = newFieldName("allow")
	fieldRateLimit        = newFieldName("ratelimit")
	fieldRateLimitPolicy  = newFieldName("ratelimit-policy")
	fieldRetryAfter       = newFieldName("retry-after")
	fieldWWWAuthenticate  = newFieldName("www-authenticate")
)

// canonicalName returns the canonical form of the field name k, as
// net/http's CanonicalHeaderKey gives it for a valid name: the first
// letter and each letter after a hyphen in upper case, the others in lower
// case (ASCII only).
func canonicalName(k string) string {
	if inForm(k, canonical) {
		return k
	}
	b := []byte(k)
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - ('a' - 'A')
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	return string(b)
}

// inForm reports whether the field name k is written in form f.
func inForm(k string, f form) bool {
	upper := f == canonical
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = f == canonical && c == '-'
	}
	return true
}

// nameSet is a set of field names, each in both forms, matched in any case
// and with "_" as "-": an origin behind CGI, WSGI or PHP sees
// X-Rampart_Tenant and X-Rampart-Tenant as one variable
// (HTTP_X_RAMPART_TENANT), so an underscore twin of a field the gateway
// removes or sets must go too.
type nameSet map[string]bool

func newNameSet(lower ...[]string) nameSet {
	s := nameSet{}
	for _, names := range lower {
		for _, k := range names {
			s[k], s[canonicalName(k)] = true, true
		}
	}
	return s
}

// has reports whether k, in any case and with "_" as "-", is in s. A name
// in form f without "_" costs one look-up; another is normalised first.
func (s nameSet) has(k string, f form) bool {
	if s[k] {
		return true
	}
	return (strings.IndexByte(k, '_') >= 0 || !inForm(k, f)) && s[strings.Map(dashLower, k)]
}

// dashLower maps a field name's byte to its lowercase form, "_" to "-".
func dashLower(r rune) rune {
	switch {
	case 'A' <= r && r <= 'Z':
		return r + ('a' - 'A')
	case r == '_':
		return '-'
	}
	return r
}
