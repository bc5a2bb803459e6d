package logsource

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/rampartdev/rampart/coldstart"
)

// FilterLogEventsAPI is the part of the CloudWatch Logs client that
// [CloudWatch] uses; *cloudwatchlogs.Client implements it.
type FilterLogEventsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// CloudWatch is a source reading Lambda log groups from CloudWatch Logs
// with FilterLogEvents, following its pagination tokens. Each log group is
// one stream; its function is the NAME of /aws/lambda/NAME. Events are
// handed to the analysis as CloudWatch JSON events, one a line
// ({"timestamp", "logStreamName", "message"}: [coldstart.ShapeEventsJSON]),
// one page at a time, so that log stream names count execution
// environments and a message of several lines (a REPORT with its X-Ray
// line) stays one event.
type CloudWatch struct {
	Client    FilterLogEventsAPI
	LogGroups []string
	// Start and End bound the events by timestamp; zero means unbounded.
	Start, End time.Time
	// FilterPattern is passed to FilterLogEvents when set; empty means all
	// events, which the analysis filters itself.
	FilterPattern string
	// OnPage, when set, is called after each page with the log group, the
	// events read from it so far and the timestamp of the page's last event.
	OnPage func(group string, events int64, last time.Time)
}

var _ coldstart.Source = (*CloudWatch)(nil)

// Streams implements [coldstart.Source].
func (c *CloudWatch) Streams(ctx context.Context, fn func(coldstart.Stream) error) error {
	for _, g := range c.LogGroups {
		in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(g)}
		if !c.Start.IsZero() {
			in.StartTime = aws.Int64(c.Start.UnixMilli())
		}
		if !c.End.IsZero() {
			in.EndTime = aws.Int64(c.End.UnixMilli())
		}
		if c.FilterPattern != "" {
			in.FilterPattern = aws.String(c.FilterPattern)
		}
		r := &pageReader{ctx: ctx, group: g, pages: cloudwatchlogs.NewFilterLogEventsPaginator(c.Client, in), onPage: c.OnPage}
		if err := fn(coldstart.Stream{Name: g, Function: FunctionOfLogGroup(g), R: r, Size: -1, Shape: coldstart.ShapeEventsJSON}); err != nil {
			return err
		}
	}
	return nil
}

// FunctionOfLogGroup returns NAME for the log group /aws/lambda/NAME and
// the group itself otherwise.
func FunctionOfLogGroup(group string) string {
	if name, ok := strings.CutPrefix(group, "/aws/lambda/"); ok && name != "" {
		return name
	}
	return group
}

// pageReader renders the pages of FilterLogEvents as lines.
type pageReader struct {
	ctx    context.Context
	group  string
	pages  *cloudwatchlogs.FilterLogEventsPaginator
	onPage func(string, int64, time.Time)
	buf    []byte
	off    int
	events int64
}

func (r *pageReader) Read(p []byte) (int, error) {
	for r.off == len(r.buf) {
		if !r.pages.HasMorePages() {
			return 0, io.EOF
		}
		out, err := r.pages.NextPage(r.ctx)
		if err != nil {
			return 0, fmt.Errorf("filter log events in %s: %w", r.group, err)
		}
		r.buf, r.off = r.buf[:0], 0
		var last int64
		for _, e := range out.Events {
			if e.Timestamp == nil || e.Message == nil {
				continue
			}
			last = *e.Timestamp
			r.buf = append(r.buf, `{"timestamp":`...)
			r.buf = strconv.AppendInt(r.buf, last, 10)
			if e.LogStreamName != nil {
				r.buf = append(r.buf, `,"logStreamName":`...)
				r.buf = appendJSONString(r.buf, *e.LogStreamName)
			}
			r.buf = append(r.buf, `,"message":`...)
			r.buf = appendJSONString(r.buf, *e.Message)
			r.buf = append(r.buf, "}\n"...)
		}
		r.events += int64(len(out.Events))
		if r.onPage != nil {
			r.onPage(r.group, r.events, time.UnixMilli(last))
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
