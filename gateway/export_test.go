package gateway

import (
	"net/url"
	"strings"
)

// IsHopByHop and IsUntrusted expose the forwarding rules to the tests.
func IsHopByHop(k string) bool {
	for _, h := range hopByHop {
		if h == k {
			return true
		}
	}
	return false
}

func IsUntrusted(k string) bool {
	for _, h := range untrusted {
		if h == k {
			return true
		}
	}
	return false
}

// DecodeTokenRecordFast exposes ParseTokenRecord's own decoder: whether it
// read b without encoding/json.
func DecodeTokenRecordFast(b []byte) (TokenRecord, bool) {
	var rec TokenRecord
	ok := decodeTokenRecord(b, &rec)
	return rec, ok
}

// HoldsToken exposes the query-token scan; HoldsTokenSlow is the scan it
// replaced (each candidate parsed on its own), its oracle.
func HoldsToken(v string) bool { return holdsToken(v) }

func HoldsTokenSlow(v string) bool {
	if dec, err := url.QueryUnescape(v); err == nil {
		v = dec
	}
	for {
		i := strings.Index(v, TokenPrefix)
		if i < 0 {
			return false
		}
		v = v[i:]
		j := len(TokenPrefix)
		for j < len(v) && j <= maxTokenLen && isTokenByte(v[j]) {
			j++
		}
		if j <= maxTokenLen {
			if _, _, err := ParseToken(v[:j]); err == nil {
				return true
			}
		}
		v = v[len(TokenPrefix):]
	}
}
