package coldstart

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistogram_quantileError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]float64, 100000)
	for i := range vals {
		vals[i] = 150 * math.Exp(1.2*rng.NormFloat64()) // log-normal, 1 ms to a minute
		h.Add(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.01, 0.1, 0.5, 0.9, 0.99, 0.999} {
		exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.Quantile(q)
		if rel := math.Abs(got-exact) / exact; rel > HistogramRelativeError {
			t.Errorf("q%.3f = %.3f, exact %.3f: relative error %.4f > %.4f", q, got, exact, rel, HistogramRelativeError)
		}
	}
	if h.Quantile(1) != vals[len(vals)-1] || h.Max() != vals[len(vals)-1] {
		t.Errorf("max = %v, want %v", h.Max(), vals[len(vals)-1])
	}
	var sum float64
	for _, v := range vals {
		sum += v
	}
	if math.Abs(h.Mean()-sum/float64(len(vals))) > 1e-6*sum {
		t.Errorf("mean = %v", h.Mean())
	}
}

func TestHistogram_edges(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Count() != 0 {
		t.Fatal("empty histogram is not empty")
	}
	h.Add(0)
	h.Add(0.001)
	h.Add(math.NaN())
	h.Add(1e15) // beyond the last bucket
	if h.Count() != 3 {
		t.Errorf("count = %d, want 3 (NaN is dropped)", h.Count())
	}
	if h.Quantile(0.5) != 0 {
		t.Errorf("median of tiny values = %v, want 0", h.Quantile(0.5))
	}
	if h.Quantile(1) != 1e15 {
		t.Errorf("max = %v", h.Quantile(1))
	}
}

func TestHistogram_mergeAndCoarse(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		v := float64(i)
		all.Add(v)
		if i%2 == 0 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	a.Merge(&b)
	for _, q := range []float64{0.1, 0.5, 0.99} {
		if a.Quantile(q) != all.Quantile(q) {
			t.Errorf("merged q%v = %v, want %v", q, a.Quantile(q), all.Quantile(q))
		}
	}
	var n uint64
	prev := 0.0
	for _, bk := range all.Coarse(16) {
		n += bk.Count
		if bk.LowMs < prev || bk.HighMs <= bk.LowMs {
			t.Errorf("bucket %+v out of order", bk)
		}
		prev = bk.HighMs
	}
	if n != all.Count() {
		t.Errorf("coarse buckets hold %d values, want %d", n, all.Count())
	}
}

func BenchmarkHistogramAdd(b *testing.B) {
	var h Histogram
	v := 0.5
	for b.Loop() {
		h.Add(v)
		v = v*1.37 + 1
		if v > 1e6 {
			v = 0.5
		}
	}
}
