package logging

import (
	"log/slog"
	"net/http"
)

// Redacted replaces the value of every attribute whose key is a secret.
const Redacted = "[REDACTED]"

// DefaultRedactKeys are the keys whose values are always replaced by
// [Redacted]. Keys are compared case-insensitively and ignoring '-' and '_',
// so "Authorization", "authorization" and "X-Api-Key"/"x_api_key" all match.
var DefaultRedactKeys = []string{
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"password", "passwd", "secret", "client_secret",
	"token", "access_token", "refresh_token", "id_token", "session_token",
	"api_key", "x-api-key", "x-amz-security-token",
}

// redactor decides by key which attribute values to hide.
type redactor struct {
	keys map[string]struct{} // normalized keys
	lens [maxKeyLen + 1]bool // lengths of the normalized keys
}

// maxKeyLen is the longest key checked without allocating; longer secret
// keys are still matched, through the map alone.
const maxKeyLen = 64

func newRedactor(extra []string) *redactor {
	r := &redactor{keys: make(map[string]struct{}, len(DefaultRedactKeys)+len(extra))}
	for _, k := range append(DefaultRedactKeys[:len(DefaultRedactKeys):len(DefaultRedactKeys)], extra...) {
		n := normalizeKey(k)
		r.keys[n] = struct{}{}
		if len(n) <= maxKeyLen {
			r.lens[len(n)] = true
		}
	}
	return r
}

// normalizeKey lower-cases k and drops '-' and '_'.
func normalizeKey(k string) string {
	b := make([]byte, 0, len(k))
	return string(appendNormalized(b, k))
}

func appendNormalized(b []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '-' || c == '_':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// secret reports whether key names a secret. It does not allocate for keys
// of up to 64 bytes.
func (r *redactor) secret(key string) bool {
	var buf [maxKeyLen]byte
	n := appendNormalized(buf[:0], key)
	if len(n) <= maxKeyLen && !r.lens[len(n)] {
		return false // no secret key has this length
	}
	_, ok := r.keys[string(n)]
	return ok
}

// needs reports whether a (or, for a group, any attribute inside it) must be
// rewritten.
func (r *redactor) needs(a slog.Attr) bool {
	if r.secret(a.Key) {
		return true
	}
	if a.Value.Kind() == slog.KindLogValuer {
		a.Value = a.Value.Resolve()
	}
	switch a.Value.Kind() {
	case slog.KindGroup:
		for _, g := range a.Value.Group() {
			if r.needs(g) {
				return true
			}
		}
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case map[string]string:
			for k := range v {
				if r.secret(k) {
					return true
				}
			}
		case map[string][]string:
			return r.headerHasSecret(v)
		case http.Header:
			return r.headerHasSecret(v)
		}
	}
	return false
}

func (r *redactor) headerHasSecret(h map[string][]string) bool {
	for k := range h {
		if r.secret(k) {
			return true
		}
	}
	return false
}

// attr returns a with secret values replaced, looking inside groups and
// inside string maps (such as API Gateway's headers) and http.Header.
func (r *redactor) attr(a slog.Attr) slog.Attr {
	if r.secret(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindGroup:
		g := a.Value.Group()
		out := make([]slog.Attr, len(g))
		for i, ga := range g {
			out[i] = r.attr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case map[string]string:
			m := make(map[string]string, len(v))
			for k, s := range v {
				if r.secret(k) {
					s = Redacted
				}
				m[k] = s
			}
			return slog.Any(a.Key, m)
		case map[string][]string:
			return slog.Any(a.Key, r.header(v))
		case http.Header:
			return slog.Any(a.Key, http.Header(r.header(v)))
		}
	}
	return a
}

func (r *redactor) header(h map[string][]string) map[string][]string {
	m := make(map[string][]string, len(h))
	for k, vs := range h {
		if r.secret(k) {
			vs = []string{Redacted}
		}
		m[k] = vs
	}
	return m
}

// attrs returns as with secrets redacted; it returns as itself when there is
// nothing to redact.
func (r *redactor) attrs(as []slog.Attr) []slog.Attr {
	for i, a := range as {
		if r.needs(a) {
			out := make([]slog.Attr, len(as))
			copy(out, as[:i])
			for j := i; j < len(as); j++ {
				out[j] = r.attr(as[j])
			}
			return out
		}
	}
	return as
}

// record returns rec with secrets redacted. When nothing needs redacting it
// returns rec unchanged, without allocating.
func (r *redactor) record(rec slog.Record) slog.Record {
	found := false
	rec.Attrs(func(a slog.Attr) bool {
		found = r.needs(a)
		return !found
	})
	if !found {
		return rec
	}
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return out
}
