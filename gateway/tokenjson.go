package gateway

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// ParseTokenRecord decodes a token record from JSON as json.Unmarshal into
// a zero TokenRecord does, with the same result and an error for exactly
// the inputs it refuses. Records as Rampart writes them (json.Marshal of a
// TokenRecord: the field names as tagged, each once, strings without
// escapes, integers) are read by a small decoder of its own, without
// reflection; anything else (escapes, other or differently cased names,
// null but for scopes, a repeated field, an error) is left to encoding/json. The Worker
// reads a record from KV per cache miss: there encoding/json's reflection
// costs more than the rest of the decision, and in a fresh isolate its
// many functions are each compiled in the first request.
func ParseTokenRecord(b []byte) (*TokenRecord, error) {
	var rec TokenRecord
	if !decodeTokenRecord(b, &rec) {
		rec = TokenRecord{}
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, err
		}
	}
	return &rec, nil
}

// tokenRecordFields are the fields of a token record, by their JSON names
// in TokenRecord's order, each with how to read its value. A field's bit in
// the set of those seen is 1 shifted left by its index.
var tokenRecordFields = [...]struct {
	name string
	read func(*recordDecoder, *TokenRecord) bool
}{
	{"id", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.ID, ok = d.str(); return }},
	{"hash", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.Hash, ok = d.str(); return }},
	{"tenant", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.Tenant, ok = d.str(); return }},
	{"scopes", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.Scopes, ok = d.strs(); return }},
	{"rate", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.Rate, ok = d.int(); return }},
	{"period", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.Period, ok = d.duration(); return }},
	{"burst", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.Burst, ok = d.int(); return }},
	{"created_at", func(d *recordDecoder, r *TokenRecord) bool { return d.time(&r.CreatedAt) }},
	{"expires_at", func(d *recordDecoder, r *TokenRecord) bool { return d.time(&r.ExpiresAt) }},
	{"revoked", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.Revoked, ok = d.bool(); return }},
	{"note", func(d *recordDecoder, r *TokenRecord) (ok bool) { r.Note, ok = d.str(); return }},
}

// decodeTokenRecord decodes b into rec (which is zero) and reports whether
// it could: false for anything outside the subset it reads (see
// ParseTokenRecord), in which case rec is garbage.
func decodeTokenRecord(b []byte, rec *TokenRecord) bool {
	d := recordDecoder{b: b}
	if !d.byte('{') {
		return false
	}
	var seen uint
	if !d.byte('}') {
		for {
			name, ok := d.str()
			if !ok || !d.byte(':') {
				return false
			}
			f := 0
			for f < len(tokenRecordFields) && tokenRecordFields[f].name != name {
				f++
			}
			if f == len(tokenRecordFields) || seen&(1<<f) != 0 || !tokenRecordFields[f].read(&d, rec) {
				return false
			}
			seen |= 1 << f
			if d.byte('}') {
				break
			}
			if !d.byte(',') {
				return false
			}
		}
	}
	d.space()
	return d.i == len(d.b)
}

// recordDecoder reads JSON tokens from b at i, skipping the whitespace
// before each.
type recordDecoder struct {
	b []byte
	i int
}

func (d *recordDecoder) space() {
	for d.i < len(d.b) && (d.b[d.i] == ' ' || d.b[d.i] == '\t' || d.b[d.i] == '\n' || d.b[d.i] == '\r') {
		d.i++
	}
}

// byte consumes c if it comes next.
func (d *recordDecoder) byte(c byte) bool {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// raw consumes a string without escapes or control characters and returns
// it with its quotes; its content is valid UTF-8.
func (d *recordDecoder) raw() ([]byte, bool) {
	d.space()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false
	}
	start := d.i
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			s := d.b[start:d.i]
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

func (d *recordDecoder) str() (string, bool) {
	s, ok := d.raw()
	if !ok {
		return "", false
	}
	return string(s[1 : len(s)-1]), true
}

// strs consumes an array of strings, or null (nil); [] is an empty slice,
// as encoding/json makes it.
func (d *recordDecoder) strs() ([]string, bool) {
	d.space()
	if len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return nil, true
	}
	if !d.byte('[') {
		return nil, false
	}
	out := []string{}
	if d.byte(']') {
		return out, true
	}
	for {
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if d.byte(']') {
			return out, true
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}

// number consumes an integer in JSON's grammar (-?(0|[1-9][0-9]*)) and
// returns it; fractions and exponents, which encoding/json refuses for an
// integer field, are not read.
func (d *recordDecoder) number(bits int) (int64, bool) {
	d.space()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || d.b[digits] == '0' && d.i > digits+1 {
		return 0, false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return 0, false
	}
	// The value, refusing what does not fit in bits as strconv.ParseInt
	// (and so encoding/json) does.
	limit := uint64(1) << (bits - 1) // the magnitude of the least value
	if d.b[start] != '-' {
		limit--
	}
	var u uint64
	for _, c := range d.b[digits:d.i] {
		if u > (limit-uint64(c-'0'))/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if d.b[start] == '-' {
		return -int64(u), true
	}
	return int64(u), true
}

func (d *recordDecoder) int() (int, bool) {
	n, ok := d.number(strconv.IntSize)
	return int(n), ok
}

// duration reads a Duration as its UnmarshalJSON does: a duration string
// ("" is 0) or a number of nanoseconds.
func (d *recordDecoder) duration() (Duration, bool) {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '"' {
		s, ok := d.str()
		if !ok {
			return 0, false
		}
		if s == "" {
			return 0, true
		}
		v, err := time.ParseDuration(s)
		return Duration(v), err == nil
	}
	n, ok := d.number(64)
	return Duration(n), ok
}

// time reads a time as encoding/json does: by its UnmarshalJSON, on the
// quoted string.
func (d *recordDecoder) time(t *time.Time) bool {
	s, ok := d.raw()
	return ok && t.UnmarshalJSON(s) == nil
}

func (d *recordDecoder) bool() (bool, bool) {
	d.space()
	for _, lit := range [...]string{"false", "true"} {
		if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
			d.i += len(lit)
			return lit == "true", true
		}
	}
	return false, false
}
