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
