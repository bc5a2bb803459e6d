package gateway_test

import (
	"context"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
)

func TestGCRA_burstThenInterval(t *testing.T) {
	l := gateway.Limit{Rate: 10, Period: time.Second, Burst: 3}
	var tat int64
	now := int64(1_000_000_000)
	for i := range 3 {
		var d gateway.LimitDecision
		tat, d = gateway.GCRA(l, tat, now)
		if !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i, d, 2-i)
		}
	}
	next, d := gateway.GCRA(l, tat, now)
	if d.Allowed || next != tat {
		t.Fatalf("4th request at once: %+v (tat moved %v)", d, next != tat)
	}
	if d.RetryAfter != 100*time.Millisecond {
		t.Fatalf("RetryAfter %v, want 100ms", d.RetryAfter)
	}
	if d.ResetAfter != 300*time.Millisecond || d.Window != 300*time.Millisecond {
		t.Fatalf("ResetAfter %v Window %v, want 300ms", d.ResetAfter, d.Window)
	}
	if _, d = gateway.GCRA(l, tat, now+int64(99*time.Millisecond)); d.Allowed {
		t.Fatal("allowed 1ns before the retry time")
	}
	if _, d = gateway.GCRA(l, tat, now+int64(100*time.Millisecond)); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("at the retry time: %+v", d)
	}
	// After a long idle time the bucket is full again, not fuller.
	if _, d = gateway.GCRA(l, tat, now+int64(time.Hour)); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("after idling: %+v", d)
	}
}

func TestGCRA_unlimited(t *testing.T) {
	_, d := gateway.GCRA(gateway.Limit{}, 0, 1)
	if !d.Allowed {
		t.Fatal("zero limit refused")
	}
}

// TestMemoryLimiter_exact checks that with rate r and burst b, concurrent
// clients get exactly b + floor(r * elapsed) requests allowed in a window,
// with the clock injected so the count is exact.
func TestMemoryLimiter_exact(t *testing.T) {
	for _, tc := range []struct {
		rate    int
		period  time.Duration
		burst   int
		elapsed time.Duration
		step    time.Duration
	}{
		{rate: 100, period: time.Second, burst: 10, elapsed: 2 * time.Second, step: 2 * time.Millisecond},
		{rate: 7, period: 700 * time.Millisecond, burst: 1, elapsed: 10 * time.Second, step: 20 * time.Millisecond},
		{rate: 1000, period: time.Second, burst: 50, elapsed: 500 * time.Millisecond, step: 250 * time.Microsecond},
	} {
		l := gateway.Limit{Rate: tc.rate, Period: tc.period, Burst: tc.burst}
		got := gatewaytest.Exactness(t, gateway.NewMemoryLimiter(), l, tc.elapsed, tc.step, 8)
		want := int64(tc.burst) + int64(tc.elapsed/l.Interval())
		if got != want {
			t.Errorf("%+v over %v: %d allowed, want exactly %d", l, tc.elapsed, got, want)
		}
	}
}

func TestMemoryLimiter_sweep(t *testing.T) {
	m := gateway.NewMemoryLimiter()
	now := time.Unix(100, 0)
	l := gateway.Limit{Rate: 1, Period: time.Second, Burst: 2}
	m.Allow(context.Background(), "a", l, now)
	m.Allow(context.Background(), "b", l, now.Add(5*time.Second))
	if n := m.Sweep(now.Add(2 * time.Second)); n != 1 {
		t.Fatalf("after sweep %d keys remain, want 1", n)
	}
}
