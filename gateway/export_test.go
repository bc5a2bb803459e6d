package gateway

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
