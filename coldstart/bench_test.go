package coldstart

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
)

var (
	corpusOnce sync.Once
	corpus     []byte
)

// benchCorpus is a generated week of mixed-format logs (about 140 MB).
func benchCorpus(tb testing.TB) []byte {
	tb.Helper()
	corpusOnce.Do(func() {
		var buf bytes.Buffer
		if _, err := Generate(&buf, GenerateConfig{Seed: 7}); err != nil {
			tb.Fatal(err)
		}
		corpus = buf.Bytes()
	})
	return corpus
}

// BenchmarkParse measures line splitting and parsing alone.
func BenchmarkParse(b *testing.B) {
	data := benchCorpus(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var ev Event
	var lines int64
	cpu := cpuSeconds()
	for b.Loop() {
		lr := &lineRecords{br: bufio.NewReaderSize(bytes.NewReader(data), maxLineBytes), s: &scratch{}}
		var platform int64
		var rec record
		var times timeCache
		for {
			if err := lr.next(&rec); err == io.EOF {
				break
			}
			lines++
			if parseMessage(rec.msg, &ev) == LinePlatform {
				platform++
				ev.Time = rec.time(&times)
			}
		}
		if platform == 0 {
			b.Fatal("no platform lines")
		}
	}
	reportRates(b, cpu, lines)
}

// reportRates adds the throughput per CPU-second, which unlike MB/s does
// not depend on how busy the machine is: lines/cpu-s and MB/cpu-s.
func reportRates(b *testing.B, cpuStart float64, lines int64) {
	cpu := cpuSeconds() - cpuStart
	if cpu <= 0 {
		return
	}
	if lines > 0 {
		b.ReportMetric(float64(lines)/cpu, "lines/cpu-s")
	}
	b.ReportMetric(float64(int64(b.N)*int64(len(corpus)))/cpu/1e6, "MB/cpu-s")
}

// BenchmarkAnalyze measures the streaming analysis (parse and aggregate)
// without the simulation.
func BenchmarkAnalyze(b *testing.B) { benchAnalyze(b, Options{SkipPlan: true}) }

// BenchmarkAnalyzePlan adds the simulation and cost model.
func BenchmarkAnalyzePlan(b *testing.B) { benchAnalyze(b, Options{}) }

func benchAnalyze(b *testing.B, opts Options) {
	data := benchCorpus(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuSeconds()
	var lines int64
	for b.Loop() {
		rep, err := Analyze(context.Background(), ReaderSource("bench", "", bytes.NewReader(data)), &opts)
		if err != nil {
			b.Fatal(err)
		}
		lines += rep.Input.Lines
	}
	reportRates(b, cpu, lines)
}
