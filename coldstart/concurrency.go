package coldstart

import "time"

// concurrencyResolutions are the bucket widths of the concurrency series;
// the finest that gives at most maxConcurrencyPoints points is used.
var concurrencyResolutions = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 24 * time.Hour,
}

const maxConcurrencyPoints = 2016 // a week at 5 minutes

// concurrency reconstructs the number of busy environments over time from
// sorted arrivals: each invocation occupies an environment from its arrival
// through its init (when cold) and handler duration. It returns the series,
// its resolution, the peak, and the peak in each weekday and hour.
func concurrency(arr []arrival, loc *time.Location) (pts []ConcurrencyPoint, res time.Duration, peak int, byHour [7][24]int) {
	if len(arr) == 0 {
		return nil, 0, 0, byHour
	}
	clock := newWallClock(loc)
	first, last := arr[0].at, arr[len(arr)-1].at
	res = concurrencyResolutions[len(concurrencyResolutions)-1]
	for _, r := range concurrencyResolutions {
		if (last-first)/r.Milliseconds()+1 <= maxConcurrencyPoints {
			res = r
			break
		}
	}
	step := res.Milliseconds()
	base := first - first%step
	pts = make([]ConcurrencyPoint, (last-base)/step+1)
	busyMs := make([]float64, len(pts))
	var ends endHeap
	for _, a := range arr {
		for len(ends) > 0 && ends[0] <= a.at {
			ends.pop()
		}
		end := a.at + int64(a.initMs+a.dur+0.5)
		ends.push(end)
		i := (a.at - base) / step
		if h, d := clock.at(a.at); len(ends) > byHour[d][h] {
			byHour[d][h] = len(ends)
		}
		if n := len(ends); n > pts[i].Max {
			pts[i].Max = n
			if n > peak {
				peak = n
			}
		}
		// Spread the busy time over the buckets it covers.
		for t := a.at; t < end && i < int64(len(pts)); i++ {
			bEnd := base + (i+1)*step
			e := min(end, bEnd)
			busyMs[i] += float64(e - t)
			t = e
			if t < end && i+1 < int64(len(pts)) && pts[i+1].Max == 0 {
				pts[i+1].Max = 1 // still busy in the next bucket
			}
		}
	}
	for i := range pts {
		pts[i].Time = time.UnixMilli(base + int64(i)*step).In(loc)
		pts[i].Mean = round2(busyMs[i] / float64(step))
	}
	return pts, res, peak, byHour
}
