package devserver_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/devserver"
)

// A second dev server on a folder another one serves must not start: its
// Open would sweep the first's uploads in progress as a crash's leftovers.
func TestOpen_dataFolderInUse(t *testing.T) {
	dir := t.TempDir()
	a := MustOpen(t, dir, io.Discard, nil)
	defer a.Close()

	// An upload of a that is streaming when b opens the folder.
	pr, pw := io.Pipe()
	type result struct {
		size int64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		obj, _, err := a.Upload(t.Context(), "uploads/streaming.bin", pr, "application/octet-stream", "REQ-A")
		done <- result{obj.Size, err}
	}()
	if _, err := pw.Write([]byte(strings.Repeat("a", 1<<20))); err != nil {
		t.Fatal(err)
	}

	b, err := devserver.Open(t.Context(), dir, nil)
	if err == nil {
		b.Close()
	}
	pw.Write([]byte(strings.Repeat("b", 1<<20)))
	pw.Close()
	r := <-done
	if r.err != nil || r.size != 2<<20 {
		t.Errorf("the first server's upload, while a second opened the folder: %d bytes, %v", r.size, r.err)
	}
	if !errors.Is(err, devserver.ErrDataFolderInUse) {
		t.Fatalf("second Open of a folder in use: %v, want ErrDataFolderInUse", err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "pid ") {
		t.Errorf("the error should name the folder and the holder's pid: %v", err)
	}
	if _, err := a.Objects().Head(t.Context(), "uploads/streaming.bin"); err != nil {
		t.Errorf("the upload is not in the bucket: %v", err)
	}

	// Released by Close (and, as TestCrash_sigkill shows, by a SIGKILL).
	a.Close()
	c := MustOpen(t, dir, io.Discard, nil)
	c.Close()
}
