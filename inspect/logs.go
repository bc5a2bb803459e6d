package inspect

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// LogQuery selects structured log lines. Every set field must match.
type LogQuery struct {
	// CorrelationID keeps the lines of one request: those whose
	// correlation_id, request_id or requestId attribute, or the outer id
	// package logging keeps (sqs_message_id, sns_message_id,
	// s3_request_id, api_request_id), top level or in a group, equals it.
	CorrelationID string
	// MinLevel keeps lines at or above this level (DEBUG, INFO, WARN,
	// ERROR); "" means all.
	MinLevel string
	// Contains keeps lines whose raw text contains it.
	Contains string
	// Since (inclusive) and Until (exclusive) bound the line's time.
	Since, Until time.Time
	After        string
	Limit        int
}

// LogEntry is one structured log line.
type LogEntry struct {
	Time          time.Time      `json:"time"`
	Level         string         `json:"level,omitempty"`
	Message       string         `json:"msg"`
	CorrelationID string         `json:"correlationId,omitempty"`
	Attrs         map[string]any `json:"attrs,omitempty"`
	// Stream names where the line was read (a file or a log stream).
	Stream string `json:"stream,omitempty"`
}

// correlationKeys are the attributes that carry a request's id: the usual
// names, then the keys package logging keeps an outer event's id under when
// correlation_id names the event inside it (an S3 notification's request
// id, with its SQS message's id in sqs_message_id).
var correlationKeys = []string{"correlation_id", "request_id", "requestId", "correlationId", "sqs_message_id", "sns_message_id", "s3_request_id", "api_request_id"}

// ParseLogLine parses one JSON log line as log/slog's JSON handler writes it
// (time, level, msg and attributes). It reports false for anything else.
func ParseLogLine(line []byte) (LogEntry, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return LogEntry{}, false
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		return LogEntry{}, false
	}
	var e LogEntry
	if s, ok := m["time"].(string); ok {
		e.Time, _ = time.Parse(time.RFC3339Nano, s)
		delete(m, "time")
	}
	if s, ok := m["level"].(string); ok {
		e.Level = s
		delete(m, "level")
	}
	if s, ok := m["msg"].(string); ok {
		e.Message = s
		delete(m, "msg")
	}
	e.CorrelationID = correlationOf(m)
	if len(m) > 0 {
		e.Attrs = m
	}
	return e, true
}

func correlationOf(m map[string]any) string {
	for _, k := range correlationKeys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	for _, v := range m {
		if g, ok := v.(map[string]any); ok {
			for _, k := range correlationKeys {
				if s, ok := g[k].(string); ok && s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// hasID reports whether any correlation attribute of m, at the top level or
// in a group at any depth, equals id. (The CorrelationID of an entry, by
// contrast, is taken from the top level or one group down.)
func hasID(m map[string]any, id string) bool {
	for _, k := range correlationKeys {
		if s, ok := m[k].(string); ok && s == id {
			return true
		}
	}
	for _, v := range m {
		if g, ok := v.(map[string]any); ok && hasID(g, id) {
			return true
		}
	}
	return false
}

// Prefilter reports whether a raw line may match q, cheaply: lines it
// rejects cannot match; lines it accepts must still be parsed and checked
// with Match.
func (q LogQuery) Prefilter(line []byte) bool {
	if q.CorrelationID != "" && !bytes.Contains(line, []byte(q.CorrelationID)) {
		return false
	}
	if q.Contains != "" && !bytes.Contains(line, []byte(q.Contains)) {
		return false
	}
	return true
}

// Match reports whether e passes the filters of q (not the cursor).
func (q LogQuery) Match(e LogEntry) bool {
	if q.CorrelationID != "" && e.CorrelationID != q.CorrelationID && !hasID(e.Attrs, q.CorrelationID) {
		return false
	}
	if q.MinLevel != "" {
		var min, lvl slog.Level
		if min.UnmarshalText([]byte(q.MinLevel)) == nil && lvl.UnmarshalText([]byte(e.Level)) == nil && lvl < min {
			return false
		}
	}
	if !q.Since.IsZero() && e.Time.Before(q.Since) {
		return false
	}
	if !q.Until.IsZero() && !e.Time.Before(q.Until) {
		return false
	}
	return true
}

// ValidLevel reports whether s names a log level ("" means any).
func ValidLevel(s string) bool {
	var l slog.Level
	return s == "" || l.UnmarshalText([]byte(s)) == nil
}

// NewDeadLetter builds the read model's view of a dead message whose body is
// an S3 event notification (or anything else).
func NewDeadLetter(id string, body []byte, attrs map[string]string) DeadLetter {
	d := DeadLetter{ID: id, Attributes: attrs, CorrelationID: attrs["correlation_id"]}
	var ev events.S3Event
	if json.Unmarshal(body, &ev) == nil {
		for _, r := range ev.Records {
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				key = r.S3.Object.Key
			}
			d.Keys = append(d.Keys, key)
			if d.CorrelationID == "" {
				d.CorrelationID = r.ResponseElements["x-amz-request-id"]
			}
		}
	}
	s := string(body)
	if len(s) > MaxBodyPreview {
		s = strings.ToValidUTF8(s[:MaxBodyPreview], "") + "…"
	}
	d.Body = s
	return d
}
