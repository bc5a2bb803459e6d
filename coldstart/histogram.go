package coldstart

import (
	"math"
	"slices"
)

// Histogram is a fixed log-bucket histogram of non-negative durations in
// milliseconds, in the style of HDR histograms: every power of two is split
// into 64 equal buckets, so a bucket is at most 1/64 of its lower bound
// wide, and quantiles are reported as the middle of their bucket: within
// 1/128 (0.8%) of the exact value, relative, for values from 2^-7 ms
// (0.008 ms) up; smaller values are reported as 0. Finding a bucket takes
// a few bit operations on the float64, with no logarithm.
//
// Memory is bounded by the range of values seen: the buckets from 2^-7 ms to
// 15 minutes (27 powers of two) take 14 KiB. The zero value is an empty
// histogram ready to use. A Histogram is not safe for concurrent use.
type Histogram struct {
	counts []uint64
	zero   uint64 // values below histMin
	n      uint64
	sum    float64
	max    float64
}

const (
	histSubBits = 6 // 64 buckets per power of two
	histMinExp  = -7
	histMaxExp  = 40 // values of 2^40 ms and more share the last bucket
	histMin     = 1.0 / (1 << -histMinExp)
	histBuckets = (histMaxExp - histMinExp) << histSubBits
)

// HistogramRelativeError is the largest relative error of a quantile
// reported by [Histogram] (1/128).
const HistogramRelativeError = 1.0 / (2 << histSubBits)

// bucketOf returns the bucket of v ≥ histMin.
func bucketOf(v float64) int {
	b := math.Float64bits(v)
	exp := int(b>>52&0x7ff) - 1023
	i := (exp-histMinExp)<<histSubBits | int(b>>(52-histSubBits)&(1<<histSubBits-1))
	return min(i, histBuckets-1)
}

// bucketLow is the lower bound of bucket i.
func bucketLow(i int) float64 {
	exp := i>>histSubBits + histMinExp
	frac := float64(i&(1<<histSubBits-1)) / (1 << histSubBits)
	return math.Ldexp(1+frac, exp)
}

// bucketMid is the middle of bucket i.
func bucketMid(i int) float64 {
	return (bucketLow(i) + bucketLow(i+1)) / 2
}

// Add records one value.
func (h *Histogram) Add(v float64) {
	if v >= histMin && v <= h.max {
		// The common case, with the bucket array grown already.
		if i := bucketOf(v); i < len(h.counts) {
			h.n++
			h.sum += v
			h.counts[i]++
			return
		}
	}
	h.AddN(v, 1)
}

// AddN records n copies of value v.
func (h *Histogram) AddN(v float64, n uint64) {
	if n == 0 || math.IsNaN(v) {
		return
	}
	h.n += n
	h.sum += v * float64(n)
	if v > h.max {
		h.max = v
	}
	if v < histMin {
		h.zero += n
		return
	}
	i := bucketOf(v)
	if i >= len(h.counts) {
		grow := max(i+1, 2*len(h.counts), 16<<histSubBits)
		c := make([]uint64, min(grow, histBuckets))
		copy(c, h.counts)
		h.counts = c
	}
	h.counts[i] += n
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		c := make([]uint64, len(o.counts))
		copy(c, h.counts)
		h.counts = c
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.zero += o.zero
	h.n += o.n
	h.sum += o.sum
	h.max = math.Max(h.max, o.max)
}

// clone returns a copy of h that shares no memory with it.
func (h *Histogram) clone() Histogram {
	c := *h
	c.counts = slices.Clone(h.counts)
	return c
}

// move replaces a recorded value old by v: the counts are as if v had been
// added instead of old, and so is the maximum when v ≥ old. The sum is
// left to the caller.
func (h *Histogram) move(old, v float64) {
	if old < histMin {
		h.zero--
	} else {
		h.counts[bucketOf(old)]--
	}
	h.n--
	h.AddN(v, 1)
}

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Mean returns the exact mean of the values, or 0 when there are none.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Max returns the exact largest value recorded.
func (h *Histogram) Max() float64 { return h.max }

// Quantile returns the q-quantile (0 ≤ q ≤ 1, nearest-rank) within
// [HistogramRelativeError], or 0 when the histogram is empty. Quantile(1)
// is the exact maximum.
func (h *Histogram) Quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(max(q, 0) * float64(h.n)))
	if rank == 0 {
		rank = 1
	}
	if rank <= h.zero {
		return 0
	}
	seen := h.zero
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return math.Min(bucketMid(i), h.max)
		}
	}
	return h.max
}

// Percentiles summarises a distribution of durations in milliseconds.
type Percentiles struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Percentiles returns the summary of h.
func (h *Histogram) Percentiles() Percentiles {
	return Percentiles{
		Count: h.n,
		Mean:  round2(h.Mean()),
		P50:   round2(h.Quantile(0.50)),
		P90:   round2(h.Quantile(0.90)),
		P99:   round2(h.Quantile(0.99)),
		Max:   round2(h.max),
	}
}

// Bucket is one bar of a coarse histogram for charts: Count values in
// [LowMs, HighMs).
type Bucket struct {
	LowMs  float64 `json:"low_ms"`
	HighMs float64 `json:"high_ms"`
	Count  uint64  `json:"count"`
}

// Coarse returns the histogram regrouped into buckets that are perBucket
// fine buckets wide (perBucket = 16 gives 4 buckets per doubling),
// leaving out empty buckets at both ends.
func (h *Histogram) Coarse(perBucket int) []Bucket {
	if perBucket < 1 {
		perBucket = 1
	}
	var out []Bucket
	for i := 0; i < len(h.counts); i += perBucket {
		var c uint64
		for j := i; j < i+perBucket && j < len(h.counts); j++ {
			c += h.counts[j]
		}
		out = append(out, Bucket{LowMs: round2(bucketLow(i)), HighMs: round2(bucketLow(i + perBucket)), Count: c})
	}
	for len(out) > 0 && out[0].Count == 0 {
		out = out[1:]
	}
	for len(out) > 0 && out[len(out)-1].Count == 0 {
		out = out[:len(out)-1]
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
