package coldstart

import (
	"context"
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
	// Size is the number of bytes R will yield, or 0 or -1 when unknown;
	// it sizes the read buffer of small streams and is used for progress
	// reports.
	Size int64
	// Shape is how R carries the lines; empty means detect it from the
	// first bytes ([DetectShape]).
	Shape Shape
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
