package coldstart

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// simulate replays sorted arrivals as a plan does, through a [replay].
func simulate(arr []arrival, m Model, s Schedule, clock *wallClock, initTime InitSampler, rng *rand.Rand) *SimResult {
	return newReplay(arr, clock).run(m, s, initTime, rng)
}

// poissonArrivals returns n arrivals of rate per second with durations
// drawn by dur (ms).
func poissonArrivals(rng *rand.Rand, n int, rate float64, dur func() float64) []arrival {
	arr := make([]arrival, n)
	t := 1.7e12 // ms
	for i := range arr {
		t += rng.ExpFloat64() / rate * 1000
		arr[i] = arrival{at: int64(t), dur: float32(dur())}
	}
	return arr
}

func noInit(*rand.Rand) float64 { return 0 }

// TestSimulate_poissonIdleTimeout checks the simulator against the
// analytical cold-start probability of one environment: with Poisson
// arrivals of rate λ, negligible durations and idle timeout T, a request is
// cold when the gap since the previous one exceeds T: P(cold) = e^{-λT}.
func TestSimulate_poissonIdleTimeout(t *testing.T) {
	const n = 200000
	for _, tc := range []struct {
		rate float64       // per second
		T    time.Duration // idle timeout
	}{
		{1.0 / 60, 72 * time.Second}, // λT = 1.2
		{1.0 / 300, 5 * time.Minute}, // λT = 1
		{0.5, 5 * time.Second},       // λT = 2.5
	} {
		rng := rand.New(rand.NewPCG(11, 13))
		arr := poissonArrivals(rng, n, tc.rate, func() float64 { return 0 })
		res := simulate(arr, Model{IdleTimeout: tc.T}, Schedule{}, newWallClock(nil), noInit, rng)
		want := math.Exp(-tc.rate * tc.T.Seconds())
		got := float64(res.ColdStarts-1) / float64(n-1) // the first request is always cold
		// Tolerance: 5 binomial standard deviations.
		tol := 5 * math.Sqrt(want*(1-want)/n)
		t.Logf("λ=%.4f/s T=%v: P(cold) simulated %.5f, analytical %.5f (|error| %.5f, tolerance %.5f)", tc.rate, tc.T, got, want, math.Abs(got-want), tol)
		if math.Abs(got-want) > tol {
			t.Errorf("λ=%v T=%v: P(cold) = %.5f, want %.5f ± %.5f", tc.rate, tc.T, got, want, tol)
		}
		if res.PeakEnvironments != 1 {
			t.Errorf("peak environments = %d, want 1 with negligible durations", res.PeakEnvironments)
		}
	}
}

// erlangB is the blocking probability of k servers offered a Erlangs.
func erlangB(k int, a float64) float64 {
	b := 1.0
	for i := 1; i <= k; i++ {
		b = a * b / (float64(i) + a*b)
	}
	return b
}

// TestSimulate_erlangB checks provisioned concurrency against the Erlang
// loss formula: with k provisioned environments, Poisson arrivals and
// exponential durations (offered load a = λ·mean duration), and on-demand
// environments reclaimed as soon as they are idle, a request is cold exactly
// when all k provisioned environments are busy, which is Erlang B(k, a) by
// PASTA (requests see time averages).
func TestSimulate_erlangB(t *testing.T) {
	const n = 200000
	for _, tc := range []struct {
		k    int
		load float64
	}{{5, 3}, {2, 2}, {10, 6}} {
		rng := rand.New(rand.NewPCG(3, uint64(tc.k)))
		arr := poissonArrivals(rng, n, tc.load, func() float64 { return rng.ExpFloat64() * 1000 })
		res := simulate(arr, Model{IdleTimeout: 0}, Schedule{Always: tc.k}, newWallClock(nil), noInit, rng)
		want := erlangB(tc.k, tc.load)
		got := res.ColdRate()
		// Durations are rounded to whole milliseconds; allow 6 standard
		// deviations of a binomial plus 0.002 for that.
		tol := 6*math.Sqrt(want*(1-want)/n) + 0.002
		t.Logf("k=%d a=%.0f Erlangs: P(cold) simulated %.5f, Erlang B %.5f (|error| %.5f, tolerance %.5f)", tc.k, tc.load, got, want, math.Abs(got-want), tol)
		if math.Abs(got-want) > tol {
			t.Errorf("k=%d a=%v: P(cold) = %.5f, want %.5f ± %.5f", tc.k, tc.load, got, want, tol)
		}
		// An on-demand environment is reused only by a request arriving in
		// the millisecond it became idle.
		if warm := res.Invocations - res.PCServed - res.ColdStarts; float64(warm) > 0.01*n {
			t.Errorf("served %d by PC and %d cold of %d", res.PCServed, res.ColdStarts, res.Invocations)
		}
	}
}

func TestSimulate_scheduleAndLifetime(t *testing.T) {
	// One request a minute for a day: PC of 1 from 07:00 to 10:00 serves
	// exactly the 180 requests in the window.
	start := time.Date(2026, 11, 2, 0, 0, 30, 0, time.UTC).UnixMilli() // a Monday
	var arr []arrival
	for i := range 24 * 60 {
		arr = append(arr, arrival{at: start + int64(i)*60000, dur: 100})
	}
	var days [7]bool
	days[1] = true
	s := Schedule{Windows: []Window{{Days: days, StartHour: 7, EndHour: 10, Environments: 1}}}
	rng := rand.New(rand.NewPCG(1, 1))
	res := simulate(arr, Model{IdleTimeout: 10 * time.Minute}, s, newWallClock(time.UTC), func(*rand.Rand) float64 { return 500 }, rng)
	if res.PCServed != 180 {
		t.Errorf("served by PC = %d, want 180", res.PCServed)
	}
	if res.ColdStarts != 2 { // the first request, and the first after the window (the on-demand one idled 3 h)
		t.Errorf("cold starts = %d, want 2", res.ColdStarts)
	}
	if res.InitMs != 1000 {
		t.Errorf("init ms = %v, want 1000", res.InitMs)
	}
	// Environments retired after 30 minutes: each serves the requests of
	// minutes 0 to 30 of its life (31), so 1440 requests need 47.
	res = simulate(arr, Model{IdleTimeout: 10 * time.Minute, MaxLifetime: 30 * time.Minute}, Schedule{}, newWallClock(time.UTC), noInit, rng)
	if res.ColdStarts != 47 {
		t.Errorf("cold starts with a 30 min lifetime = %d, want 47", res.ColdStarts)
	}
}

func TestScheduleLevel(t *testing.T) {
	var weekdays [7]bool
	for d := 1; d <= 5; d++ {
		weekdays[d] = true
	}
	s := Schedule{Always: 2, Windows: []Window{{Days: weekdays, StartHour: 7, EndHour: 10, Environments: 5}}}
	for _, c := range []struct{ h, d, want int }{{6, 1, 2}, {7, 1, 7}, {9, 5, 7}, {10, 3, 2}, {8, 0, 2}, {8, 6, 2}} {
		if got := s.Level(c.h, c.d); got != c.want {
			t.Errorf("Level(%d, %d) = %d, want %d", c.h, c.d, got, c.want)
		}
	}
}

func BenchmarkSimulate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	arr := poissonArrivals(rng, 100000, 5, func() float64 { return rng.ExpFloat64() * 300 })
	b.ReportAllocs()
	for b.Loop() {
		simulate(arr, Model{IdleTimeout: 5 * time.Minute}, Schedule{Always: 1}, newWallClock(nil), noInit, rng)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(arr)), "ns/request")
}
