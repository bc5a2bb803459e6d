package pngdec

import (
	"hash/adler32"
	"testing"
)

// BenchmarkAdler32 measures the checksum against hash/adler32 on 1 MB,
// per CPU-second of the process (robust on a shared machine).
func BenchmarkAdler32(b *testing.B) {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.Run("pngdec", func(b *testing.B) {
		c0 := cpuSeconds()
		for b.Loop() {
			adler32Update(1, buf)
		}
		b.ReportMetric(float64(b.N)/(cpuSeconds()-c0), "MB/cpu-s")
	})
	b.Run("hash-adler32", func(b *testing.B) {
		c0 := cpuSeconds()
		for b.Loop() {
			adler32.Checksum(buf)
		}
		b.ReportMetric(float64(b.N)/(cpuSeconds()-c0), "MB/cpu-s")
	})
}
