package coldstart

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// randomRand returns a generator of stream seeded at random, or by
// COLDSTART_SEED when it is set: the seed is logged, so a failure is
// replayed with COLDSTART_SEED=<seed> go test -run <test> ./coldstart.
func randomRand(t *testing.T, stream uint64) *rand.Rand {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("COLDSTART_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("COLDSTART_SEED: %v", err)
		}
	}
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, stream))
}

// generatedArrivals returns the sorted arrivals and the init sampler the
// analysis gets from a generated log.
func generatedArrivals(t *testing.T, cfg GenerateConfig) ([]arrival, InitSampler) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Generate(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	o := Options{SkipPlan: true}
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	a := newAnalyzer(&o)
	err := ReaderSource("gen", "", &buf).Streams(context.Background(), func(s Stream) error {
		return a.stream(context.Background(), s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.aggs) != 1 {
		t.Fatalf("%d functions in the generated log, want 1", len(a.aggs))
	}
	for _, g := range a.aggs {
		return g.arrivals.sorted(), initSampler(g)
	}
	panic("unreachable")
}

// TestReplay_matchesHeap checks that the replay gives what the simulator
// with a heap of every environment (the reference, the simulator before
// the replay) gives, field for field, over generated days with random
// seeds, under the models and schedules a plan tries and the awkward ones
// it might: no keep-alive, inits of zero, provisioned concurrency larger
// than ever needed, a window across midnight's neighbours, a time zone
// with a DST change.
func TestReplay_matchesHeap(t *testing.T) {
	rng := randomRand(t, 1)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	var weekdays, all [7]bool
	for d := range 7 {
		weekdays[d], all[d] = d != 0 && d != 6, true
	}
	schedules := []Schedule{
		{},
		{Always: 1},
		{Always: 1 + rng.IntN(40)},
		{Always: 1000},
		{Windows: []Window{{Days: weekdays, StartHour: 7, EndHour: 10, Environments: 1 + rng.IntN(40)}}},
		{Always: 2, Windows: []Window{{Days: all, StartHour: rng.IntN(12), EndHour: 12 + rng.IntN(13), Environments: 3}}},
	}
	models := []Model{
		{},
		{IdleTimeout: time.Minute},
		{IdleTimeout: time.Duration(1+rng.IntN(60)) * time.Minute},
		{IdleTimeout: time.Hour},
	}
	for day := range 3 {
		cfg := GenerateConfig{
			Seed:             rng.Uint64(),
			Start:            time.Date(2026, 10, 24+rng.IntN(4), 0, 0, 0, 0, time.UTC), // around the end of DST in Europe
			Days:             1,
			DayRate:          0.05 + 0.3*rng.Float64(),
			MorningBurstRate: 0.05 * rng.Float64(),
			MorningBurstSize: 1 + 20*rng.Float64(),
			DurationMedian:   time.Duration(1+rng.IntN(300)) * time.Millisecond,
			IdleTimeout:      time.Duration(1+rng.IntN(15)) * time.Minute,
		}
		arr, observed := generatedArrivals(t, cfg)
		loc := time.UTC
		if day%2 == 1 {
			loc = berlin
		}
		rp := newReplay(arr, newWallClock(loc))
		if rp.ends == nil {
			t.Fatalf("day %d: no fast path for %d generated arrivals", day, len(arr))
		}
		for _, sampler := range []InitSampler{observed, noInit} {
			for _, m := range models {
				for si, s := range schedules {
					name := fmt.Sprintf("day %d (%d arrivals, %v) idle %v schedule %d", day, len(arr), loc, m.IdleTimeout, si)
					s1 := rng.Uint64()
					got := rp.run(m, s, sampler, rand.New(rand.NewPCG(s1, 2)))
					want := simulateHeap(arr, m, s, newWallClock(loc), sampler, rand.New(rand.NewPCG(s1, 2)))
					compareSim(t, name, got, want)
				}
			}
		}
	}
}

// TestReplay_edgeCases compares the replay with the reference on arrivals
// a generated log does not have: many in one millisecond, zero durations
// (a request that ends as the next one of the same millisecond arrives),
// durations of hours, and ends that do not fit the packed order (the
// replay then runs the reference itself).
func TestReplay_edgeCases(t *testing.T) {
	rng := randomRand(t, 3)
	start := time.Date(2026, 11, 2, 6, 59, 0, 0, time.UTC).UnixMilli()
	var arr []arrival
	at := start
	for range 20000 {
		at += int64(rng.IntN(3)) * int64(rng.IntN(2000))
		var dur float32
		switch rng.IntN(4) {
		case 0: // zero
		case 1:
			dur = float32(rng.IntN(5))
		case 2:
			dur = float32(rng.ExpFloat64() * 200)
		default:
			dur = float32(rng.IntN(4 * 3600 * 1000))
		}
		arr = append(arr, arrival{at: at, dur: dur})
	}
	initMs := func(r *rand.Rand) float64 { return float64(r.IntN(3)) * 700 }
	var days [7]bool
	days[1] = true
	for _, m := range []Model{{}, {IdleTimeout: 3 * time.Second}, {IdleTimeout: 10 * time.Minute}} {
		for _, s := range []Schedule{{}, {Always: 3}, {Windows: []Window{{Days: days, StartHour: 7, EndHour: 8, Environments: 5}}}} {
			s1 := rng.Uint64()
			got := simulate(arr, m, s, newWallClock(nil), initMs, rand.New(rand.NewPCG(s1, 0)))
			want := simulateHeap(arr, m, s, newWallClock(nil), initMs, rand.New(rand.NewPCG(s1, 0)))
			compareSim(t, fmt.Sprintf("idle %v schedule %+v", m.IdleTimeout, s), got, want)
		}
	}
	huge := append([]arrival{{at: 0, dur: 1}}, arr...)              // 1970, then 2026: a span the packing holds
	huge = append(huge, arrival{at: arr[len(arr)-1].at, dur: 1e30}) // an end it does not
	rp := newReplay(huge, newWallClock(nil))
	if rp.ends != nil {
		t.Error("an end of 1e30 ms was packed")
	}
	got := rp.run(Model{IdleTimeout: time.Minute}, Schedule{Always: 2}, initMs, rand.New(rand.NewPCG(1, 0)))
	want := simulateHeap(huge, Model{IdleTimeout: time.Minute}, Schedule{Always: 2}, newWallClock(nil), initMs, rand.New(rand.NewPCG(1, 0)))
	compareSim(t, "unpackable", got, want)
}

func compareSim(t *testing.T, name string, got, want *SimResult) {
	t.Helper()
	if got.Invocations != want.Invocations || got.ColdStarts != want.ColdStarts || got.PCServed != want.PCServed ||
		got.PeakEnvironments != want.PeakEnvironments ||
		math.Float64bits(got.OnDemandMs) != math.Float64bits(want.OnDemandMs) ||
		math.Float64bits(got.PCMs) != math.Float64bits(want.PCMs) ||
		math.Float64bits(got.InitMs) != math.Float64bits(want.InitMs) {
		t.Fatalf("%s:\n got %+v\nwant %+v", name, *got, *want)
	}
	compareHist(t, name+" latency", &got.Latency, &want.Latency)
	for h := range got.ByHour {
		compareHist(t, fmt.Sprintf("%s hour %d", name, h), &got.ByHour[h], &want.ByHour[h])
	}
}

// compareHist fails unless two histograms hold the same values, bucket for
// bucket, with the same sum to the bit (their bucket arrays may have grown
// to different lengths).
func compareHist(t *testing.T, name string, got, want *Histogram) {
	t.Helper()
	if got.n != want.n || got.zero != want.zero || math.Float64bits(got.sum) != math.Float64bits(want.sum) || got.max != want.max {
		t.Fatalf("%s: n %d zero %d sum %v max %v, want n %d zero %d sum %v max %v",
			name, got.n, got.zero, got.sum, got.max, want.n, want.zero, want.sum, want.max)
	}
	for i := range max(len(got.counts), len(want.counts)) {
		var g, w uint64
		if i < len(got.counts) {
			g = got.counts[i]
		}
		if i < len(want.counts) {
			w = want.counts[i]
		}
		if g != w {
			t.Fatalf("%s: bucket %d (%.3f ms) holds %d, want %d", name, i, bucketLow(i), g, w)
		}
	}
}

func TestSortNearlySorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, disorder := range []int{0, 3, 100, 1 << 30} { // the last one exhausts the budget
		s := make([]uint64, 5000)
		for i := range s {
			s[i] = uint64(i*10 + rng.IntN(disorder+1))
		}
		sortNearlySorted(s)
		if !slices.IsSorted(s) {
			t.Errorf("disorder %d: not sorted", disorder)
		}
	}
}
