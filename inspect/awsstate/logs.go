package awsstate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/rampartdev/rampart/inspect"
)

// Bounds of a log query.
const (
	// LogBatch is the Limit of one FilterLogEvents request. It is fixed, not
	// derived from the page size, so that a cursor's pagination token
	// fetches the same events again whatever limit the next call asks.
	LogBatch = 200
	// MaxLogReads is the most FilterLogEvents requests one page makes,
	// beyond one per log group.
	MaxLogReads = 10
)

// correlationFields are the top-level fields a request id is matched in
// (those inspect.LogQuery matches, at the top level).
var correlationFields = []string{"correlation_id", "request_id", "requestId", "correlationId", "sqs_message_id", "sns_message_id", "s3_request_id", "api_request_id"}

// levelNames are the level names a minimum level admits on the server; the
// exact check runs on the lines returned.
var levelNames = []struct {
	name  string
	level slog.Level
}{{"DEBUG", slog.LevelDebug}, {"INFO", slog.LevelInfo}, {"WARN", slog.LevelWarn}, {"ERROR", slog.LevelError}, {"FATAL", slog.LevelError + 4}}

// FilterPattern returns the CloudWatch Logs JSON filter pattern that selects
// the lines of q on the server: its request id in any correlation field and
// its minimum level. It returns "" when q selects neither.
func FilterPattern(q inspect.LogQuery) (string, error) {
	var clauses []string
	if id := q.CorrelationID; id != "" {
		if strings.ContainsAny(id, "\"\\") {
			return "", fmt.Errorf("request id %q: quotes and backslashes cannot be searched for", id)
		}
		var or []string
		for _, f := range correlationFields {
			or = append(or, fmt.Sprintf("($.%s = %q)", f, id))
		}
		clauses = append(clauses, strings.Join(or, " || "))
	}
	if q.MinLevel != "" {
		var min slog.Level
		if err := min.UnmarshalText([]byte(q.MinLevel)); err != nil {
			return "", fmt.Errorf("level %q: %w", q.MinLevel, err)
		}
		if min > slog.LevelDebug {
			var or []string
			for _, l := range levelNames {
				if l.level+4 > min { // "NAME+3" may still reach min
					or = append(or, fmt.Sprintf("($.level = \"%s*\")", l.name))
				}
			}
			clauses = append(clauses, strings.Join(or, " || "))
		}
	}
	switch len(clauses) {
	case 0:
		return "", nil
	case 1:
		return "{ " + clauses[0] + " }", nil
	}
	return "{ (" + strings.Join(clauses, ") && (") + ") }", nil
}

// groupState is where a log query stands in one log group: the pagination
// token of the page being read ("" for the first) and how many of that
// page's events were consumed.
type groupState struct {
	Token string `json:"t,omitempty"`
	Skip  int    `json:"s,omitempty"`
	Done  bool   `json:"d,omitempty"`
}

const logCursorPrefix = "l1."

func logCursor(states []groupState) string {
	b, _ := json.Marshal(states)
	return logCursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func parseLogCursor(c string, groups int) ([]groupState, error) {
	b64, ok := strings.CutPrefix(c, logCursorPrefix)
	b, err := base64.RawURLEncoding.DecodeString(b64)
	var states []groupState
	if !ok || err != nil || json.Unmarshal(b, &states) != nil || len(states) != groups {
		return nil, fmt.Errorf("%w: %q", inspect.ErrInvalidCursor, c)
	}
	return states, nil
}

// groupReader reads one log group's events page by page.
type groupReader struct {
	group  string
	st     groupState
	events []types.FilteredLogEvent // of the current page, after st.Skip
	next   *string                  // the current page's next token
}

// Logs implements [inspect.Source] with FilterLogEvents over the log
// groups; see the package documentation.
func (s *Source) Logs(ctx context.Context, q inspect.LogQuery) (inspect.Page[inspect.LogEntry], error) {
	groups := s.cfg.LogGroups
	if len(groups) == 0 {
		return inspect.Page[inspect.LogEntry]{}, notConfigured("CloudWatch log group", "--log-group")
	}
	pattern, err := FilterPattern(q)
	if err != nil {
		return inspect.Page[inspect.LogEntry]{}, err
	}
	states := make([]groupState, len(groups))
	if q.After != "" {
		if states, err = parseLogCursor(q.After, len(groups)); err != nil {
			return inspect.Page[inspect.LogEntry]{}, err
		}
	}
	base := cloudwatchlogs.FilterLogEventsInput{Limit: aws.Int32(LogBatch)}
	if pattern != "" {
		base.FilterPattern = aws.String(pattern)
	}
	if !q.Since.IsZero() {
		base.StartTime = aws.Int64(q.Since.UnixMilli())
	}
	if !q.Until.IsZero() {
		// EndTime is inclusive, Until exclusive.
		base.EndTime = aws.Int64(q.Until.Add(-time.Millisecond).UnixMilli())
	}
	budget := MaxLogReads + len(groups)
	// fill reads pages of g until it has events, is done, or the budget
	// is spent.
	fill := func(g *groupReader) error {
		for len(g.events) == 0 && !g.st.Done && budget > 0 {
			if g.next != nil {
				g.st = groupState{Token: *g.next}
			}
			in := base
			in.LogGroupName = aws.String(g.group)
			if g.st.Token != "" {
				in.NextToken = aws.String(g.st.Token)
			}
			budget--
			out, err := s.clients.Logs.FilterLogEvents(ctx, &in)
			if err != nil {
				return fmt.Errorf("awsstate: filter log events in %s: %w", g.group, err)
			}
			g.events, g.next = out.Events, out.NextToken
			if g.st.Skip > len(g.events) {
				return fmt.Errorf("%w: the page of log group %s has fewer events than the cursor consumed", inspect.ErrInvalidCursor, g.group)
			}
			g.events = g.events[g.st.Skip:]
			if len(g.events) == 0 && (g.next == nil || *g.next == "" || *g.next == g.st.Token) {
				g.st.Done = true
			}
		}
		return nil
	}
	readers := make([]*groupReader, len(groups))
	for i, g := range groups {
		readers[i] = &groupReader{group: g, st: states[i]}
		if err := fill(readers[i]); err != nil {
			return inspect.Page[inspect.LogEntry]{}, err
		}
	}
	limit := inspect.PageSize(q.Limit)
	page := inspect.Page[inspect.LogEntry]{Items: []inspect.LogEntry{}}
	for len(page.Items) < limit {
		// Take the oldest buffered event; stop when a group that may
		// still hold earlier events has none buffered (budget spent).
		var first *groupReader
		stalled := false
		for _, g := range readers {
			if len(g.events) == 0 {
				stalled = stalled || !g.st.Done
				continue
			}
			if first == nil || aws.ToInt64(g.events[0].Timestamp) < aws.ToInt64(first.events[0].Timestamp) {
				first = g
			}
		}
		if first == nil || stalled {
			break
		}
		ev := first.events[0]
		first.events = first.events[1:]
		first.st.Skip++
		if len(first.events) == 0 {
			if first.next == nil || *first.next == "" {
				first.st.Done = true
			} else if err := fill(first); err != nil {
				return inspect.Page[inspect.LogEntry]{}, err
			}
		}
		if e, ok := logEntry(first.group, ev); ok && q.Prefilter([]byte(aws.ToString(ev.Message))) && q.Match(e) {
			page.Items = append(page.Items, e)
		}
	}
	out := make([]groupState, len(readers))
	more := false
	for i, g := range readers {
		out[i] = g.st
		more = more || !g.st.Done
	}
	if more {
		page.Next = logCursor(out)
	}
	return page, nil
}

// logEntry parses a log event as a structured log line. Lines written with
// logging.ReplaceAttr name the message "message" and the time "timestamp";
// a line without a time gets the event's.
func logEntry(group string, ev types.FilteredLogEvent) (inspect.LogEntry, bool) {
	e, ok := inspect.ParseLogLine([]byte(aws.ToString(ev.Message)))
	if !ok {
		return e, false
	}
	if e.Message == "" {
		if m, ok := e.Attrs["message"].(string); ok {
			e.Message = m
			delete(e.Attrs, "message")
		}
	}
	if e.Time.IsZero() {
		e.Time = time.UnixMilli(aws.ToInt64(ev.Timestamp)).UTC()
		if ts, ok := e.Attrs["timestamp"].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
				e.Time = t
				delete(e.Attrs, "timestamp")
			}
		}
	}
	e.Stream = group
	if st := aws.ToString(ev.LogStreamName); st != "" {
		e.Stream += ":" + st
	}
	return e, true
}
