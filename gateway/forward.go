package gateway

import (
	"net/url"
	"strings"
)

// DefaultStripQuery lists the query parameters removed from forwarded
// requests when Config.StripQuery is nil: the names under which clients
// commonly put credentials in URLs (RFC 6750 section 2.3's access_token
// among them), which would otherwise land in the origin's access logs.
// Whatever the list (unless it is empty), a parameter whose value holds a
// Rampart token ("rpt_<id>_<secret>", under any name, such as ?token=) is
// removed too.
var DefaultStripQuery = []string{"access_token", "id_token", "refresh_token", "api_key", "apikey", "auth_token"}

// queryNames is a set of lowercase parameter names.
type queryNames map[string]bool

func newQueryNames(names []string) queryNames {
	m := make(queryNames, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = true
	}
	return m
}

// StripQuery returns the raw query q without the parameters whose name,
// percent-decoded and in any case, is one of names. Parameters are
// separated by "&" or ";" (some origins split on either); the others are
// kept byte for byte, in order, with their separators.
func StripQuery(q string, names []string) string {
	return newQueryNames(names).strip(q)
}

func (n queryNames) strip(q string) string {
	if q == "" || len(n) == 0 {
		return q
	}
	drop := false
	for i := 0; i <= len(q); {
		j := nextSep(q, i)
		if n.has(q[i:j]) {
			drop = true
			break
		}
		i = j + 1
	}
	if !drop {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	first := true
	for i := 0; i <= len(q); {
		j := nextSep(q, i)
		if !n.has(q[i:j]) {
			if !first {
				b.WriteByte(q[i-1]) // the separator before this parameter
			}
			b.WriteString(q[i:j])
			first = false
		}
		i = j + 1
	}
	return b.String()
}

// nextSep returns the index of the next "&" or ";" in q from i, or len(q).
func nextSep(q string, i int) int {
	for j := i; j < len(q); j++ {
		if q[j] == '&' || q[j] == ';' {
			return j
		}
	}
	return len(q)
}

// has reports whether the parameter param ("name=value" or "name") is one
// to drop: its name is in the set, or it holds a Rampart token, in its
// value or in its name (a client appending its token to "?").
func (n queryNames) has(param string) bool {
	if holdsToken(param) {
		return true
	}
	name, _, _ := strings.Cut(param, "=")
	if name == "" {
		return false
	}
	if strings.ContainsAny(name, "%+") {
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
	}
	return n[strings.ToLower(name)]
}

// holdsToken reports whether the raw query parameter (or part of one) v,
// percent-decoded, contains a well-formed Rampart token: one that
// [ParseToken] accepts and that is the rest of its run of token bytes
// from its "rpt_" on.
func holdsToken(v string) bool {
	if !strings.Contains(v, TokenPrefix) && !strings.Contains(v, "%") {
		return false // the common case: no token, nothing encoded
	}
	if dec, err := url.QueryUnescape(v); err == nil {
		v = dec
	}
	for i := 0; i < len(v); {
		if !isTokenByte(v[i]) {
			i++
			continue
		}
		start := i
		for i < len(v) && isTokenByte(v[i]) {
			i++
		}
		if runHoldsToken(v[start:i]) {
			return true
		}
	}
	return false
}

// runHoldsToken reports whether the run of token bytes r holds a token: a
// "rpt_" from which the rest of r, at most maxTokenLen bytes, is one. Each
// candidate is checked in constant time from the position of the first
// "_" after it, so that a run costs linear work whatever it holds.
func runHoldsToken(r string) bool {
	if len(r) > maxTokenLen {
		r = r[len(r)-maxTokenLen:] // a token from further back would be longer
	}
	var next [maxTokenLen + 1]int16 // next[k]: the first "_" at k or after, or -1
	next[len(r)] = -1
	for k := len(r) - 1; k >= 0; k-- {
		next[k] = next[k+1]
		if r[k] == '_' {
			next[k] = int16(k)
		}
	}
	for i := 0; i+len(TokenPrefix) <= len(r); i++ {
		if r[i:i+len(TokenPrefix)] != TokenPrefix {
			continue
		}
		id := i + len(TokenPrefix)
		us := int(next[id])
		if us < 0 {
			continue // no secret
		}
		idLen, secretLen := us-id, len(r)-us-1
		if idLen >= 1 && idLen <= maxIDLen && secretLen >= minSecretLen && secretLen <= maxSecretLen {
			return true
		}
	}
	return false
}

// canonicalHost returns the host (and port) host in the form the gateway
// compares: lowercase, without a trailing dot, without the scheme's default
// port.
func canonicalHost(host, scheme string) string {
	h := strings.ToLower(host)
	switch {
	case scheme == "https" && strings.HasSuffix(h, ":443"):
		h = h[:len(h)-4]
	case scheme != "https" && strings.HasSuffix(h, ":80"):
		h = h[:len(h)-3]
	}
	return strings.TrimSuffix(h, ".")
}

// validHost reports whether h is a host with an optional port, as a Host
// field carries it.
func validHost(h string) bool {
	if h == "" || strings.ContainsAny(h, "/?#@ \t\\") {
		return false
	}
	u, err := url.Parse("http://" + h)
	return err == nil && u.Host == h && u.Path == "" && u.Hostname() != ""
}
