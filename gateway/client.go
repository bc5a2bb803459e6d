package gateway

import (
	"net/netip"
	"sync"
)

// clientKey returns the rate-limit key of a client address: the address
// itself for IPv4, and its /64 for IPv6, the block one subscriber gets (RFC
// 6177), so that an attacker cannot step through 2^64 addresses to reset
// its budget.
func clientKey(addr string) string {
	var buf [64]byte
	return string(appendClientKey(buf[:0], addr))
}

// appendClientKey appends clientKey(addr) to b.
func appendClientKey(b []byte, addr string) []byte {
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return append(append(b, "ip:"...), addr...)
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.AppendTo(append(b, "ip6:"...))
}

// maxFailureKeys bounds the addresses a failureLimiter remembers.
const maxFailureKeys = 100_000

// failureLimiter counts failed authentications per client address in this
// process (or isolate): a GCRA bucket per address that only failures
// spend. A request is refused before its token is checked while its
// address's bucket is empty. Checking does not spend, so valid requests
// never use the budget; concurrent failures from one address may each pass
// the check before any is counted, so the overshoot is bounded by the
// address's requests in flight.
type failureLimiter struct {
	limit Limit
	mu    sync.Mutex
	tats  map[string]int64
}

// check reports the decision the next failure of the client addr would
// get at now, without spending.
func (f *failureLimiter) check(addr string, now int64) LimitDecision {
	f.mu.Lock()
	var tat int64
	if len(f.tats) > 0 { // no failures anywhere: nothing to look up
		var buf [64]byte
		tat = f.tats[string(appendClientKey(buf[:0], addr))] // no allocation
	}
	f.mu.Unlock()
	if tat == 0 {
		return LimitDecision{Allowed: true}
	}
	_, d := GCRA(f.limit, tat, now)
	return d
}

// fail spends one unit of the client addr's budget at now.
func (f *failureLimiter) fail(addr string, now int64) {
	key := clientKey(addr)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tats == nil {
		f.tats = make(map[string]int64)
	}
	if _, ok := f.tats[key]; !ok && len(f.tats) >= maxFailureKeys {
		for k, tat := range f.tats {
			if tat <= now {
				delete(f.tats, k)
			}
		}
		if len(f.tats) >= maxFailureKeys {
			clear(f.tats) // memory is bounded; the budgets start again
		}
	}
	if tat, d := GCRA(f.limit, f.tats[key], now); d.Allowed {
		f.tats[key] = tat
	}
}
