// Package inflatebench measures github.com/klauspost/compress/zlib against
// compress/zlib on the image data of PNGs, with the method of pngdec's
// BenchmarkInflate (which measures pngdec's own inflater against
// compress/zlib), so the three compare through their common baseline:
//
//	cd imaging/pngdec/testdata/inflatebench
//	RAMPART_PNGS=/tmp/pngs go test -bench . -cpu 1
package inflatebench

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	kzlib "github.com/klauspost/compress/zlib"
)

// idat concatenates the IDAT data of a PNG (no validation: the inputs are
// the benchmark's own).
func idat(b []byte) []byte {
	var out []byte
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if string(b[i+4:i+8]) == "IDAT" {
			out = append(out, b[i+8:i+8+n]...)
		}
		i += 12 + n
	}
	return out
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func BenchmarkInflate(b *testing.B) {
	dir := os.Getenv("RAMPART_PNGS")
	if dir == "" {
		b.Skip("set RAMPART_PNGS to a folder of PNGs")
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	var streams [][]byte
	var total int64
	for _, n := range names {
		src, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		s := idat(src)
		zr, err := zlib.NewReader(bytes.NewReader(s))
		if err != nil {
			b.Fatal(err)
		}
		m, _ := io.Copy(io.Discard, zr)
		total += m
		streams = append(streams, s)
	}
	buf := make([]byte, 64<<10)
	for _, impl := range []struct {
		name string
		open func([]byte) (io.Reader, error)
	}{
		{"compress-zlib", func(s []byte) (io.Reader, error) { return zlib.NewReader(bytes.NewReader(s)) }},
		{"klauspost-zlib", func(s []byte) (io.Reader, error) { return kzlib.NewReader(bytes.NewReader(s)) }},
	} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(total)
			cpu0 := cpuSeconds()
			for b.Loop() {
				for _, s := range streams {
					r, err := impl.open(s)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(total)*float64(b.N)/(cpuSeconds()-cpu0)/1e6, "MB/cpu-s")
		})
	}
}
