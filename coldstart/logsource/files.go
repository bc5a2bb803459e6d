package logsource

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/rampartdev/rampart/coldstart"
)

// Files is a source of log files read one after the other. The path "-"
// is standard input. Gzip files are recognised by their magic number,
// whatever their name.
type Files struct {
	Paths []string
	// Function names the function of every file; empty means the
	// analysis takes it from the log or the file name.
	Function string
	// Shape is the shape of every file (see [coldstart.Shape]); empty
	// means each file's is detected from its first bytes.
	Shape coldstart.Shape
	// Stdin replaces os.Stdin for "-"; nil means os.Stdin.
	Stdin io.Reader
}

var _ coldstart.Source = (*Files)(nil)

// Streams implements [coldstart.Source].
func (f *Files) Streams(ctx context.Context, fn func(coldstart.Stream) error) error {
	for _, p := range f.Paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.one(p, fn); err != nil {
			return err
		}
	}
	return nil
}

func (f *Files) one(path string, fn func(coldstart.Stream) error) error {
	var r io.Reader
	size := int64(-1)
	if path == "-" {
		r = f.Stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		file, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("open log: %w", err)
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		r = file
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("open gzip log %s: %w", path, err)
		}
		defer zr.Close()
		return fn(coldstart.Stream{Name: path, Function: f.Function, R: zr, Size: -1, Shape: f.Shape})
	}
	return fn(coldstart.Stream{Name: path, Function: f.Function, R: br, Size: size, Shape: f.Shape})
}
