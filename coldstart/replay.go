package coldstart

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"time"
)

// replay is what every simulation of one function's arrivals shares,
// computed once per plan: the arrivals cut into runs of one clock hour (so
// that a schedule's level and the hour of day are looked up once a run,
// not once a request), the order in which the requests would end if none
// had to wait for an init, and the handler durations by hour of day.
//
// Most requests are warm or provisioned in every option, and then when one
// ends does not depend on the option; only cold starts, which add an init,
// do. So a simulation walks the shared end order and keeps a heap of the
// few cold environments only, and starts its latency histograms from the
// shared ones, moving a cold start's value from its duration to its
// duration plus init: the results are those of [simulateHeap], value for
// value (TestReplay_matchesHeap), for a fraction of its work.
//
// That holds when environments are interchangeable, which they are unless
// [Model.MaxLifetime] is set: then which environment serves a request
// decides when it retires, and run uses simulateHeap.
type replay struct {
	arr   []arrival
	loc   *time.Location
	hours []hourRun
	// ends[k] is (end-base)<<endShift | i for the k-th request i to end if
	// warm, at end = arr[i].at + its duration rounded to the millisecond,
	// ascending (by end, then i), then math.MaxUint64. nil when the ends do not fit in the
	// packing (timestamps centuries apart): run uses simulateHeap.
	ends     []uint64
	base     int64
	endShift uint
	// dur[h] is the handler durations of the requests in hour of day h.
	dur [24]Histogram
}

// hourRun is a run of arrivals in one clock hour: arr[previous run's end:end].
type hourRun struct {
	end       int
	hour, day uint8
}

func newReplay(arr []arrival, clock *wallClock) *replay {
	r := &replay{arr: arr, loc: clock.loc}
	if len(arr) == 0 {
		return r
	}
	for i, a := range arr {
		h, d := clock.at(a.at)
		if k := len(r.hours) - 1; k >= 0 && int(r.hours[k].hour) == h && int(r.hours[k].day) == d {
			r.hours[k].end = i + 1
		} else {
			r.hours = append(r.hours, hourRun{end: i + 1, hour: uint8(h), day: uint8(d)})
		}
		r.dur[h].Add(float64(a.dur))
	}
	r.base = arr[0].at
	r.endShift = uint(bits.Len(uint(len(arr))))
	limit := int64(1) << (63 - r.endShift)
	ends := make([]uint64, len(arr), len(arr)+1)
	for i, a := range arr {
		end := warmEnd(a)
		if end < a.at || end-r.base >= limit {
			return r // unsorted input or an absurd duration: no fast path
		}
		ends[i] = uint64(end-r.base)<<r.endShift | uint64(i)
	}
	sortNearlySorted(ends)
	r.ends = append(ends, math.MaxUint64) // a sentinel, after every key

	return r
}

// sortNearlySorted sorts s, which is close to sorted (requests end in
// about the order they arrive): an insertion sort moves each element past
// the few that end after it, about the concurrency; past 8 moves an element
// on average it gives up for slices.Sort.
func sortNearlySorted(s []uint64) {
	budget := 8 * len(s)
	for i := 1; i < len(s); i++ {
		v, j := s[i], i
		for ; j > 0 && s[j-1] > v; j-- {
			s[j] = s[j-1]
		}
		s[j] = v
		if budget -= i - j; budget < 0 {
			slices.Sort(s)
			return
		}
	}
}

// warmEnd is when a request ends if it does not wait for an init, as
// pool.occupy rounds it.
func warmEnd(a arrival) int64 { return a.at + int64(float64(a.dur)+0.5) }

// run simulates one model and schedule.
func (r *replay) run(m Model, s Schedule, initTime InitSampler, rng *rand.Rand) *SimResult {
	if m.MaxLifetime > 0 || r.ends == nil {
		return simulateHeap(r.arr, m, s, newWallClock(r.loc), initTime, rng)
	}
	idleTimeout := m.IdleTimeout.Milliseconds()
	n := len(r.arr)
	res := &SimResult{Invocations: int64(n)}
	for h := range res.ByHour {
		res.ByHour[h] = r.dur[h].clone()
	}
	// How each request was served (replayWarm, replayPC or replayCold),
	// two bits a request.
	kind := make([]uint64, (n+31)/32)
	var (
		coldBusy   endHeap // the ends of busy environments that started cold
		idle       []int64 // since when each idle on-demand environment is idle, ascending
		head       int     // idle[head:] are alive
		pcBusy     int     // busy provisioned environments
		busy       int     // busy environments, provisioned or not
		k          int     // ends[k:] have not ended
		latencySum float64
		hourSum    [24]float64
		// The totals, in locals the compiler keeps in registers.
		pcServed, coldStarts, peak int64
		pcMs, onDemandMs, initSum  float64
	)
	ends, shift, base := r.ends, r.endShift, r.base
	mask := uint64(1)<<shift - 1
	i := 0
	for _, run := range r.hours {
		level := s.Level(int(run.hour), int(run.day))
		hist, sum := &res.ByHour[run.hour], hourSum[run.hour]
		for ; i < run.end; i++ {
			a := &r.arr[i]
			t := a.at
			// A request provisioned concurrency serves needs nothing else:
			// with the environments that have ended still counted busy,
			// pcBusy < level holds all the more, and an alive count that
			// does not reach the peak does not either. Otherwise the state
			// is brought to t, as the releases deferred would have left it.
			if pcBusy >= level || int64(busy+len(idle)-head) >= peak {
				// The environments free by t become idle (or provisioned ones
				// available again) in the order they became free, the warm
				// ends merged with the cold ones. ends[k] < key is an end
				// before t, or at t of a request before this one (a later one
				// arriving at t with a zero duration has not started).
				key := uint64(t-base)<<shift | uint64(i)
				for ; ends[k] < key; k++ { // the sentinel ends it
					j := ends[k] & mask
					switch kind[j>>5] >> (j & 31 * 2) & 3 {
					case replayPC:
						pcBusy--
						busy--
					case replayWarm:
						end := int64(ends[k]>>shift) + base
						for len(coldBusy) > 0 && coldBusy[0] <= end {
							idle = append(idle, coldBusy.pop())
							busy--
						}
						idle = append(idle, end)
						busy--
					}
				}
				for len(coldBusy) > 0 && coldBusy[0] <= t {
					idle = append(idle, coldBusy.pop())
					busy--
				}
				for head < len(idle) && t-idle[head] > idleTimeout {
					head++
				}
				if head > 1024 && head*2 > len(idle) { // compact the deque
					idle = idle[:copy(idle, idle[head:])]
					head = 0
				}
			}
			dur := float64(a.dur)
			lat := dur
			busy++
			switch {
			case pcBusy < level:
				pcBusy++
				kind[i>>5] |= replayPC << (i & 31 * 2)
				pcServed++
				pcMs += dur
			case head < len(idle):
				idle = idle[:len(idle)-1]
				onDemandMs += dur
			default:
				coldStarts++
				initMs := initTime(rng)
				initSum += initMs
				onDemandMs += dur
				lat = initMs + dur
				kind[i>>5] |= replayCold << (i & 31 * 2)
				coldBusy.push(t + int64(lat+0.5))
				hist.move(dur, lat)
			}
			latencySum += lat
			sum += lat
			if alive := int64(busy + len(idle) - head); alive > peak {
				peak = alive
			}
		}
		hourSum[run.hour] = sum
	}
	for h := range res.ByHour {
		res.ByHour[h].sum = hourSum[h]
		res.Latency.Merge(&res.ByHour[h])
	}
	res.Latency.sum = latencySum
	res.PCServed, res.ColdStarts, res.PeakEnvironments = pcServed, coldStarts, int(peak)
	res.PCMs, res.OnDemandMs, res.InitMs = pcMs, onDemandMs, initSum
	return res
}

// How the replay records a request was served; the most common, warm, is
// the zero value.
const (
	replayWarm = iota
	replayPC
	replayCold
)
