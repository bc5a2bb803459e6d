package httpproxy_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway/httpproxy"
)

// countingWriter records each Write it receives.
type countingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	err    error
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.writes++
	return w.buf.Write(p)
}

func (w *countingWriter) snapshot() (string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String(), w.writes
}

func TestLogWriter_batchesWholeRecords(t *testing.T) {
	cw := &countingWriter{}
	lw := httpproxy.NewLogWriter(cw, time.Hour, 0)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				fmt.Fprintf(lw, "{\"g\":%d,\"i\":%d}\n", g, i)
			}
		}()
	}
	wg.Wait()
	if _, n := cw.snapshot(); n != 0 {
		t.Fatalf("%d writes before the interval or a full buffer", n)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	out, n := cw.snapshot()
	if n != 1 {
		t.Errorf("Close wrote in %d writes, want 1", n)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"g":`) || !strings.HasSuffix(l, "}") || seen[l] {
			t.Fatalf("split, mixed or repeated record %q", l)
		}
		seen[l] = true
	}
}

func TestLogWriter_flushesEveryInterval(t *testing.T) {
	cw := &countingWriter{}
	lw := httpproxy.NewLogWriter(cw, time.Millisecond, 0)
	defer lw.Close()
	if _, err := lw.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out, _ := cw.snapshot(); out == "one\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("record not written by the periodic flush")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLogWriter_fullBufferWritesAtOnce(t *testing.T) {
	cw := &countingWriter{}
	lw := httpproxy.NewLogWriter(cw, time.Hour, 16)
	defer lw.Close()
	lw.Write([]byte("0123456789\n"))
	if _, n := cw.snapshot(); n != 0 {
		t.Fatal("written before the buffer was full")
	}
	lw.Write([]byte("abcdefghij\n"))
	if out, n := cw.snapshot(); n != 1 || out != "0123456789\nabcdefghij\n" {
		t.Fatalf("after filling the buffer: %d writes, %q", n, out)
	}
}

func TestLogWriter_reportsWriteError(t *testing.T) {
	boom := errors.New("disk full")
	cw := &countingWriter{err: boom}
	lw := httpproxy.NewLogWriter(cw, time.Hour, 0)
	lw.Write([]byte("x\n"))
	if err := lw.Flush(); !errors.Is(err, boom) {
		t.Fatalf("Flush: %v, want %v", err, boom)
	}
	if _, err := lw.Write([]byte("y\n")); !errors.Is(err, boom) {
		t.Fatalf("Write after a failed flush: %v, want %v", err, boom)
	}
	if err := lw.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v, want %v", err, boom)
	}
}
