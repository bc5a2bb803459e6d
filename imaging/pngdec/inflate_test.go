package pngdec

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// pieces feeds b to an inflater in pieces of n bytes (PNG's IDAT chunks).
func pieces(b []byte, n int) func() ([]byte, error) {
	return func() ([]byte, error) {
		if len(b) == 0 {
			return nil, io.EOF
		}
		k := min(n, len(b))
		p := b[:k]
		b = b[k:]
		return p, nil
	}
}

func inflateAll(b []byte, piece int) ([]byte, error) {
	return io.ReadAll(newInflater(pieces(b, piece)))
}

// zlibData makes zlib streams of every block type: stored (level 0),
// fixed and dynamic Huffman (levels 1 to 9, HuffmanOnly), over data that
// exercises long matches, overlapping matches and literals.
func zlibData(tb testing.TB) map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog; "), 3000)
	noise := make([]byte, 100000)
	for i := range noise {
		noise[i] = byte(r.IntN(256))
	}
	runs := bytes.Repeat([]byte{7}, 70000)
	mixed := append(append(append([]byte{}, text[:20000]...), noise[:30000]...), runs...)
	out := map[string][]byte{}
	for name, d := range map[string][]byte{"text": text, "noise": noise, "runs": runs, "mixed": mixed, "empty": nil, "one": {42}} {
		for _, lvl := range []int{0, 1, 6, 9, flate.HuffmanOnly} {
			var b bytes.Buffer
			zw, _ := zlib.NewWriterLevel(&b, lvl)
			zw.Write(d)
			zw.Close()
			out[name+"-"+string(rune('A'+lvl+2))] = b.Bytes()
		}
	}
	return out
}

func TestInflate(t *testing.T) {
	for name, z := range zlibData(t) {
		want, err := io.ReadAll(mustZlib(t, z))
		if err != nil {
			t.Fatal(err)
		}
		for _, piece := range []int{1, 7, 1000, len(z) + 1} {
			if piece == 1 && len(z) > 20000 {
				continue // byte by byte is covered by the smaller streams
			}
			got, err := inflateAll(z, piece)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s in pieces of %d: %d bytes, %v; want %d bytes", name, piece, len(got), err, len(want))
			}
		}
		// Truncated anywhere: an error, never a silent short result.
		for _, cut := range []int{0, 1, len(z) / 2, len(z) - 1} {
			if got, err := inflateAll(z[:cut], 5); err == nil {
				t.Fatalf("%s cut at %d: no error (%d bytes)", name, cut, len(got))
			}
		}
	}
}

func mustZlib(tb testing.TB, b []byte) io.Reader {
	tb.Helper()
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	return zr
}

// FuzzInflate checks the inflater against compress/zlib: the same bytes
// when both accept, the same verdict otherwise.
func FuzzInflate(f *testing.F) {
	for _, z := range zlibData(f) {
		if len(z) < 4096 {
			f.Add(z, uint16(3))
		}
	}
	f.Add([]byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}, uint16(1))
	f.Fuzz(func(t *testing.T, z []byte, piece uint16) {
		want, werr := io.ReadAll(io.LimitReader(zlibOrNil(z), 1<<22))
		got, gerr := io.ReadAll(io.LimitReader(newInflater(pieces(z, int(piece)+1)), 1<<22))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("compress/zlib: %d bytes, %v; inflater: %d bytes, %v", len(want), werr, len(got), gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("outputs differ: %d bytes vs compress/zlib's %d", len(got), len(want))
		}
	})
}

// zlibOrNil is compress/zlib's reader over z, or a reader failing with its
// header error.
func zlibOrNil(z []byte) io.Reader {
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return errReader{err}
	}
	return zr
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

var _ = errors.New

// cpuSeconds is the process's user and system time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkInflate compares the inflater with compress/zlib on the image
// data of PNGs: $RAMPART_PNGS (a folder of PNGs, e.g. the photo set made
// PNG by the sharp benchmark's setup) or a generated one.
//
//	RAMPART_PNGS=/tmp/pngs go test -run '^$' -bench Inflate -cpu 1 ./imaging/pngdec
func BenchmarkInflate(b *testing.B) {
	var streams [][]byte
	if dir := os.Getenv("RAMPART_PNGS"); dir != "" {
		names, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for _, n := range names {
			src, err := os.ReadFile(n)
			if err != nil {
				b.Fatal(err)
			}
			streams = append(streams, idatStream(b, src))
		}
	} else {
		streams = append(streams, idatStream(b, mkPNG(b, spec{w: 2000, h: 1500, colorType: RGB, depth: 8})))
	}
	var total int64
	for _, s := range streams {
		n, _ := io.Copy(io.Discard, mustZlib(b, s))
		total += n
	}
	buf := make([]byte, 64<<10)
	for _, impl := range []struct {
		name string
		open func([]byte) io.Reader
	}{
		{"compress-zlib", func(s []byte) io.Reader { return mustZlib(b, s) }},
		{"pngdec", func(s []byte) io.Reader { return newInflater(pieces(s, 1<<16)) }},
	} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(total)
			cpu0 := cpuSeconds()
			for b.Loop() {
				for _, s := range streams {
					if _, err := io.CopyBuffer(io.Discard, impl.open(s), buf); err != nil {
						b.Fatal(err)
					}
				}
			}
			// CPU time, not wall time: the figure that holds on a
			// shared machine.
			b.ReportMetric(float64(total)*float64(b.N)/(cpuSeconds()-cpu0)/1e6, "MB/cpu-s")
		})
	}
}

// idatStream concatenates a PNG's IDAT data.
func idatStream(tb testing.TB, src []byte) []byte {
	tb.Helper()
	cfg, err := DecodeConfig(src)
	if err != nil {
		tb.Fatal(err)
	}
	var out []byte
	for i := cfg.data; ; {
		ch, err := readChunk(src, i)
		if err != nil || ch.typ != "IDAT" {
			return out
		}
		out = append(out, ch.data...)
		i = ch.next
	}
}

func TestAdler32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 15, 16, 17, 5551, 5552, 5553, 100000} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		if n == 100000 {
			for i := range b {
				b[i] = 255 // the largest sums
			}
		}
		if got, want := adler32Update(1, b), adler32.Checksum(b); got != want {
			t.Errorf("%d bytes: %08x, hash/adler32 %08x", n, got, want)
		}
		if got, want := adler32Update(adler32Update(1, b[:n/3]), b[n/3:]), adler32.Checksum(b); got != want {
			t.Errorf("%d bytes in two parts: %08x, hash/adler32 %08x", n, got, want)
		}
	}
}

// TestInflateView reads streams through view, in runs of varying length up
// to and past maxView mixed with Read, as the decoder reads rows: the same
// bytes as compress/zlib, and views stay intact until the next call.
func TestInflateView(t *testing.T) {
	for name, z := range zlibData(t) {
		want, err := io.ReadAll(mustZlib(t, z))
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []int{7, 15361, maxView, maxView + 1} {
			if step == 7 && len(want) > 5000 {
				continue // short views are covered by the smaller streams
			}
			zr := newInflater(pieces(z, 4096))
			var got []byte
			for len(got) < len(want) {
				n := min(step, len(want)-len(got))
				b, err := zr.view(n)
				if err == errTooLong {
					b = make([]byte, n)
					_, err = io.ReadFull(zr, b)
				}
				if err != nil {
					t.Fatalf("%s, views of %d: after %d bytes: %v", name, step, len(got), err)
				}
				got = append(got, b...)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s, views of %d: wrong bytes", name, step)
			}
			if _, err := zr.view(1); err == nil {
				t.Fatalf("%s: a view past the end", name)
			}
		}
	}
}
