package coldstart

import (
	"bufio"
	"context"
	"errors"
	"io"
)

// A Source provides the log streams to analyze. Implementations for files,
// stdin and CloudWatch Logs are in package
// github.com/rampartdev/rampart/coldstart/logsource.
type Source interface {
	// Streams calls fn once per stream, in order, and stops at the first
	// error fn returns. It must honour ctx.
	Streams(ctx context.Context, fn func(Stream) error) error
}

// Stream is one sequence of log lines.
type Stream struct {
	// Name identifies the stream in messages: a file name or a log group.
	Name string
	// Function is the Lambda function the lines belong to (for a log group
	// /aws/lambda/NAME, NAME). When empty, the functionName of a
	// platform.initStart before the first REPORT is used, else Name.
	Function string
	// R yields the lines, each ending in '\n'.
	R io.Reader
	// Size is the number of bytes R will yield, or -1 when unknown; it is
	// only used for progress reports.
	Size int64
}

// ReaderSource returns a Source of one stream.
func ReaderSource(name, function string, r io.Reader) Source {
	return readerSource{Stream{Name: name, Function: function, R: r, Size: -1}}
}

type readerSource struct{ s Stream }

func (s readerSource) Streams(ctx context.Context, fn func(Stream) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(s.s)
}

// maxLineBytes bounds the memory a single line can take; longer lines
// (never platform lines, which are a few hundred bytes) are skipped and
// counted as oversized.
const maxLineBytes = 1 << 20

// lineReader reads lines from a stream with one large buffer and no
// per-line allocation.
type lineReader struct {
	br        *bufio.Reader
	bytes     int64
	oversized int64
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, maxLineBytes)}
}

// next returns the next line without its newline. The slice is valid until
// the next call. At the end it returns io.EOF; a final line without newline
// is returned first.
func (lr *lineReader) next() ([]byte, error) {
	for {
		line, err := lr.br.ReadSlice('\n')
		lr.bytes += int64(len(line))
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			lr.oversized++
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = lr.br.ReadSlice('\n')
				lr.bytes += int64(len(line))
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			if err == io.EOF {
				return nil, io.EOF
			}
		case err == io.EOF:
			if len(line) > 0 {
				return line, nil
			}
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}
