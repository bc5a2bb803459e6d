package gateway_test

import (
	"fmt"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// A limit of 2 requests a second with a burst of 3: three pass at once, the
// fourth waits one interval (500ms).
func ExampleGCRA() {
	l := gateway.Limit{Rate: 2, Period: time.Second, Burst: 3}
	var tat int64 // the one timestamp a limiter stores per key
	now := time.Unix(1_700_000_000, 0).UnixNano()
	for i := range 4 {
		var d gateway.LimitDecision
		tat, d = gateway.GCRA(l, tat, now)
		fmt.Printf("request %d: allowed=%v remaining=%d retry after %v\n", i+1, d.Allowed, d.Remaining, d.RetryAfter)
	}
	_, d := gateway.GCRA(l, tat, now+int64(500*time.Millisecond))
	fmt.Printf("500ms later: allowed=%v\n", d.Allowed)
	// Output:
	// request 1: allowed=true remaining=2 retry after 0s
	// request 2: allowed=true remaining=1 retry after 0s
	// request 3: allowed=true remaining=0 retry after 0s
	// request 4: allowed=false remaining=0 retry after 500ms
	// 500ms later: allowed=true
}

func ExampleCleanPath() {
	for _, p := range []string{"/api/items/42", "/api/../admin", "/api/%2e%2e/admin", "/api/a%2fb", "/caf%C3%A9"} {
		_, err := gateway.CleanPath(p, 0)
		fmt.Printf("%-20s %v\n", p, err)
	}
	// Output:
	// /api/items/42        <nil>
	// /api/../admin        gateway: refused request path: dot segment in path
	// /api/%2e%2e/admin    gateway: refused request path: ambiguous percent-encoding
	// /api/a%2fb           gateway: refused request path: ambiguous percent-encoding
	// /caf%C3%A9           <nil>
}
