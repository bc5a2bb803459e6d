package coldstart

import (
	"testing"
	"time"
)

// TestConcurrency checks the series, the peak and the peak by weekday and
// hour against a count of the requests busy at each arrival, request by
// request, over arrivals with bursts, quiet spells, zero durations, inits
// and requests spanning several buckets.
func TestConcurrency(t *testing.T) {
	rng := randomRand(t, 4)
	start := time.Date(2026, 11, 2, 6, 58, 0, 0, time.UTC).UnixMilli()
	var arr []arrival
	at := start
	for range 3000 {
		at += int64(rng.IntN(2)) * int64(rng.IntN(4000))
		if rng.IntN(200) == 0 { // a quiet spell: buckets without arrivals
			at += int64(rng.IntN(30 * 60 * 1000))
		}
		a := arrival{at: at}
		switch rng.IntN(4) {
		case 0: // zero
		case 1:
			a.dur = float32(rng.ExpFloat64() * 300)
		case 2:
			a.dur, a.initMs = float32(rng.ExpFloat64()*300), float32(rng.IntN(2000))
		default:
			a.dur = float32(rng.IntN(20 * 60 * 1000))
		}
		arr = append(arr, a)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	pts, res, peak, byHour := concurrency(arr, berlin)
	end := func(a arrival) int64 { return a.at + int64(a.initMs+a.dur+0.5) }
	step := res.Milliseconds()
	base := pts[0].Time.UnixMilli()
	clock := newWallClock(berlin)
	wantMax := make([]int, len(pts))
	busyMs := make([]float64, len(pts))
	var wantPeak int
	var wantByHour [7][24]int
	for i, a := range arr {
		n := 0
		for j, b := range arr[:i+1] {
			if end(b) > a.at || j == i {
				n++
			}
		}
		wantPeak = max(wantPeak, n)
		h, d := clock.at(a.at)
		wantByHour[d][h] = max(wantByHour[d][h], n)
		k := (a.at - base) / step
		wantMax[k] = max(wantMax[k], n)
		for k := range pts { // busy in every bucket it overlaps
			lo, hi := max(a.at, base+int64(k)*step), min(end(a), base+int64(k+1)*step)
			if lo < hi {
				busyMs[k] += float64(hi - lo)
				wantMax[k] = max(wantMax[k], 1)
			}
		}
	}
	if peak != wantPeak || byHour != wantByHour {
		t.Errorf("peak %d, by hour %v; want %d, %v", peak, byHour, wantPeak, wantByHour)
	}
	for k, p := range pts {
		if p.Max != wantMax[k] || p.Mean != round2(busyMs[k]/float64(step)) || !p.Time.Equal(time.UnixMilli(base+int64(k)*step)) {
			t.Errorf("point %d: %+v, want max %d mean %v", k, p, wantMax[k], round2(busyMs[k]/float64(step)))
		}
	}
}
