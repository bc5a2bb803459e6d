package metrics_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/rampartdev/rampart/metrics"
)

// BenchmarkFlush100 measures Flush of a Set holding 100 metrics of one value
// each, with two dimensions and a property: one full EMF document.
func BenchmarkFlush100(b *testing.B) {
	r, err := metrics.New(io.Discard, &metrics.Options{Namespace: "Rampart/Bench", Dimensions: []metrics.Dimension{{Name: "service", Value: "orders"}}})
	if err != nil {
		b.Fatal(err)
	}
	set := r.NewSet()
	_ = set.AddDimension("region", "eu-west-1")
	_ = set.SetProperty("orderId", "o-1842")
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("Metric%03d", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for i, n := range names {
			_ = set.Add(n, metrics.Milliseconds, float64(i)+0.5)
		}
		b.StartTimer()
		if err := set.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddFlush100 is BenchmarkFlush100 including the 100 Add calls.
func BenchmarkAddFlush100(b *testing.B) {
	var buf bytes.Buffer
	r, _ := metrics.New(&buf, &metrics.Options{Namespace: "Rampart/Bench"})
	set := r.NewSet()
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("Metric%03d", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		for i, n := range names {
			_ = set.Add(n, metrics.Count, float64(i))
		}
		if err := set.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
