package coldstart

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// shapeWriter renders log events in one shape, as the tool that writes the
// shape does (see [Shape]); [Generate] writes through it, and the tests
// re-shape logs with it.
type shapeWriter struct {
	variant string
	n       int // events written
}

// The variants a shapeWriter writes: every Shape, plus the other outputs
// read as one of them.
const (
	variantTailJSON        = "aws-logs-tail-json" // aws logs tail --format json
	variantGetLogEvents    = "get-log-events"     // aws logs get-log-events (no stream names)
	variantGetQueryResults = "get-query-results"  // aws logs get-query-results
	variantSubscription    = "subscription"       // a subscription filter's payload
)

// shapeVariants are every variant, with the shape each is read as.
var shapeVariants = []struct {
	name  string
	shape Shape
}{
	{string(ShapeLambda), ShapeLambda},
	{string(ShapeTimestamped), ShapeTimestamped},
	{string(ShapeTail), ShapeTail},
	{variantTailJSON, ShapeTail},
	{string(ShapeSAM), ShapeSAM},
	{string(ShapeServerless), ShapeServerless},
	{string(ShapeCSV), ShapeCSV},
	{string(ShapeInsightsCSV), ShapeInsightsCSV},
	{string(ShapeEventsJSON), ShapeEventsJSON},
	{variantGetLogEvents, ShapeEventsJSON},
	{string(ShapeInsightsJSON), ShapeInsightsJSON},
	{variantGetQueryResults, ShapeInsightsJSON},
	{variantSubscription, ShapeEventsJSON},
}

const exampleGroup = "123456789012:/aws/lambda/"

// head returns what comes before the first event.
func (w *shapeWriter) head() string {
	switch w.variant {
	case string(ShapeCSV):
		return "\"timestamp\",\"message\"\n"
	case string(ShapeInsightsCSV):
		return "@timestamp,@message,@logStream,@log\n"
	case string(ShapeEventsJSON), variantGetLogEvents:
		return "{\n    \"events\": ["
	case string(ShapeInsightsJSON):
		return "["
	case variantGetQueryResults:
		return "{\n    \"results\": ["
	}
	return ""
}

// tail returns what comes after the last event.
func (w *shapeWriter) tail() string {
	switch w.variant {
	case string(ShapeEventsJSON):
		return "\n    ],\n    \"searchedLogStreams\": []\n}\n"
	case variantGetLogEvents:
		return "\n    ],\n    \"nextForwardToken\": \"f/0\",\n    \"nextBackwardToken\": \"b/0\"\n}\n"
	case string(ShapeInsightsJSON):
		return "\n]\n"
	case variantGetQueryResults:
		return "\n    ],\n    \"status\": \"Complete\"\n}\n"
	}
	return ""
}

// event appends one event: Unix ms, log stream, function, message (which
// may hold newlines; a final newline is not needed).
func (w *shapeWriter) event(b []byte, ms int64, stream, function string, msg []byte) []byte {
	if w.n == 0 {
		b = append(b, w.head()...)
	}
	w.n++
	t := time.UnixMilli(ms).UTC()
	switch w.variant {
	case string(ShapeLambda):
		b = append(append(b, msg...), '\n')
	case string(ShapeTimestamped):
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(append(append(b, ' '), msg...), '\n')
	case string(ShapeTail):
		// aws-cli: isoformat(timespec='microseconds'), stream, message,
		// then rstrip() and a newline.
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000000-07:00")
		b = append(append(append(append(b, ' '), stream...), ' '), trimRightSpace(msg)...)
		b = append(b, '\n')
	case variantTailJSON:
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000000-07:00")
		b = append(append(append(b, ' '), stream...), ' ')
		if m := trimRightSpace(msg); len(m) > 1 && m[0] == '{' && json.Valid(m) {
			// Messages that are JSON, pretty-printed (json.dumps(indent=4)).
			var buf bytes.Buffer
			json.Indent(&buf, m, "", "    ")
			b = append(append(b, '\n'), buf.Bytes()...)
		} else {
			b = append(b, m...)
		}
		b = append(trimRightSpace(b), '\n')
	case string(ShapeSAM):
		b = append(append(b, stream...), ' ')
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000000")
		b = append(append(append(b, ' '), msg...), '\n')
	case string(ShapeServerless):
		b = append(appendServerless(b, msg), '\n')
	case string(ShapeCSV):
		b = strconv.AppendInt(append(b, '"'), ms, 10)
		b = append(b, `","`...)
		b = appendCSVQuoted(b, msg)
		b = append(b, "\n\"\n"...)
	case string(ShapeInsightsCSV):
		b = t.AppendFormat(b, "2006-01-02 15:04:05.000")
		b = append(b, ",\""...)
		b = appendCSVQuoted(b, msg)
		b = append(append(append(b, "\n\","...), stream...), ',')
		b = append(append(b, exampleGroup...), function...)
		b = append(b, '\n')
	case string(ShapeEventsJSON), variantGetLogEvents:
		if w.n > 1 {
			b = append(b, ',')
		}
		b = append(b, "\n        {\n"...)
		if w.variant == string(ShapeEventsJSON) {
			b = appendJSONString(append(b, `            "logStreamName": `...), stream)
			b = append(b, ",\n"...)
		}
		b = strconv.AppendInt(append(b, `            "timestamp": `...), ms, 10)
		b = appendJSONString(append(b, ",\n            \"message\": "...), string(msg)+"\n")
		b = strconv.AppendInt(append(b, ",\n            \"ingestionTime\": "...), ms+412, 10)
		b = append(b, "\n        }"...)
	case string(ShapeInsightsJSON):
		if w.n > 1 {
			b = append(b, ',')
		}
		b = append(b, "\n  {\n    \"@timestamp\": \""...)
		b = t.AppendFormat(b, "2006-01-02 15:04:05.000")
		b = appendJSONString(append(b, "\",\n    \"@message\": "...), string(msg)+"\n")
		b = appendJSONString(append(b, ",\n    \"@logStream\": "...), stream)
		b = appendJSONString(append(b, ",\n    \"@log\": "...), exampleGroup+function)
		b = append(b, "\n  }"...)
	case variantGetQueryResults:
		if w.n > 1 {
			b = append(b, ',')
		}
		b = append(b, "\n        [\n            {\"field\": \"@timestamp\", \"value\": \""...)
		b = t.AppendFormat(b, "2006-01-02 15:04:05.000")
		b = appendJSONString(append(b, "\"},\n            {\"field\": \"@message\", \"value\": "...), string(msg)+"\n")
		b = appendJSONString(append(b, "},\n            {\"field\": \"@logStream\", \"value\": "...), stream)
		b = append(b, "}\n        ]"...)
	case variantSubscription:
		// One payload per event, as a subscription delivers them in batches.
		b = appendJSONString(append(b, `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":`...), "/aws/lambda/"+function)
		b = appendJSONString(append(b, `,"logStream":`...), stream)
		b = strconv.AppendInt(append(b, `,"subscriptionFilters":["to-firehose"],"logEvents":[{"id":"`...), ms, 10)
		b = strconv.AppendInt(append(b, `","timestamp":`...), ms, 10)
		b = appendJSONString(append(b, `,"message":`...), string(msg)+"\n")
		b = append(b, "}]}\n"...)
	}
	return b
}

// finish appends what ends the document.
func (w *shapeWriter) finish(b []byte) []byte {
	if w.n == 0 {
		b = append(b, w.head()...)
	}
	return append(b, w.tail()...)
}

// appendServerless rewrites a message as serverless logs (v3 and later)
// prints it: "RequestId:" becomes "-", "Version:" "- Version:", a
// REPORT's fields go to the next line; other lines are trimmed.
func appendServerless(b, msg []byte) []byte {
	m := string(msg)
	if !strings.HasPrefix(m, "REPORT") {
		m = strings.TrimRight(m, " \t\r\n")
	}
	for _, w := range []string{"START", "INIT_START", "REPORT", "END"} {
		if strings.HasPrefix(m, w) {
			m = strings.Replace(m, "RequestId:", "-", 1)
			m = strings.Replace(m, "Version:", "- Version:", 1)
			m = strings.ReplaceAll(m, "\tDuration:", "\nDuration:")
			return append(b, strings.TrimRight(m, "\n")...)
		}
	}
	return append(b, m...)
}

func appendCSVQuoted(b, s []byte) []byte {
	for _, c := range s {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return b
}

// appendJSONString appends s as a JSON string, escaping what JSON requires
// (bytes that are not UTF-8 are kept as they are).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
