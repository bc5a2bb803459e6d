package coldstart

import "bytes"

// Shape is how a stream carries Lambda's log lines: as Lambda writes them,
// behind a prefix, or wrapped in the CSV or JSON of an export. [Analyze]
// detects it per stream (see [DetectShape]) unless [Stream.Shape] says.
type Shape string

// The shapes [Analyze] reads. Line shapes may be mixed within a stream
// (every line's prefix is read on its own); a line stream is named after
// the prefix most of its platform lines had.
const (
	// ShapeLambda is Lambda's lines with no prefix (the text format's START,
	// REPORT, ... and the JSON format's platform.* records), as the Lambda
	// console, `sam local`, `serverless logs` and copies of either show them.
	ShapeLambda Shape = "lambda"
	// ShapeTimestamped is lines behind a timestamp (RFC 3339 or
	// "2026-11-23 07:00:02.431", any fraction, a zone or UTC): CloudWatch
	// Logs' S3 export, `aws logs tail --format short`, log shippers.
	ShapeTimestamped Shape = "timestamped"
	// ShapeTail is `aws logs tail` output: a timestamp, the log stream name
	// and the message ("2026-11-23T07:00:02.431000+00:00
	// 2026/11/23/[$LATEST]8a4b... START RequestId: ..."); with --format json,
	// JSON messages pretty-printed over several lines.
	ShapeTail Shape = "aws-logs-tail"
	// ShapeSAM is `sam logs` output: the log stream name, then a timestamp.
	ShapeSAM Shape = "sam-logs"
	// ShapeServerless is `serverless logs` output of Serverless Framework
	// v3 and later ("START - id - Version: ...", "REPORT - id" with its
	// fields on the next line); its platform lines carry no timestamp.
	ShapeServerless Shape = "serverless-logs"
	// ShapeCSV is a CloudWatch console CSV download: a header naming a
	// timestamp and a message column (timestamp,message), or no header and
	// those two columns; quoted messages may span lines.
	ShapeCSV Shape = "cloudwatch-csv"
	// ShapeInsightsCSV is a CloudWatch Logs Insights CSV export
	// (@timestamp,@message and optionally @logStream, @log).
	ShapeInsightsCSV Shape = "insights-csv"
	// ShapeEventsJSON is JSON holding CloudWatch log events (objects with
	// message and timestamp, optionally logStreamName): the output of `aws
	// logs filter-log-events` and `get-log-events`, the console's JSON
	// download, subscription-filter payloads ({"logGroup", "logStream",
	// "logEvents"}) and one event per line.
	ShapeEventsJSON Shape = "cloudwatch-json"
	// ShapeInsightsJSON is JSON from CloudWatch Logs Insights: the console
	// export (objects with @timestamp and @message) or the output of `aws
	// logs get-query-results` (arrays of {"field", "value"}).
	ShapeInsightsJSON Shape = "insights-json"
)

// Shapes lists every shape, line shapes first.
var Shapes = []Shape{ShapeLambda, ShapeTimestamped, ShapeTail, ShapeSAM, ShapeServerless,
	ShapeCSV, ShapeInsightsCSV, ShapeEventsJSON, ShapeInsightsJSON}

// family is the reader a shape needs.
type family uint8

const (
	familyLines family = iota
	familyCSV
	familyJSON
)

func (s Shape) family() family {
	switch s {
	case ShapeCSV, ShapeInsightsCSV:
		return familyCSV
	case ShapeEventsJSON, ShapeInsightsJSON:
		return familyJSON
	}
	return familyLines
}

// Valid reports whether s is one of [Shapes].
func (s Shape) Valid() bool {
	for _, v := range Shapes {
		if s == v {
			return true
		}
	}
	return false
}

// DetectShapeBytes is how much of a stream [Analyze] gives [DetectShape].
const DetectShapeBytes = 64 << 10

// DetectShape returns the shape of a stream from its first bytes (at most
// [DetectShapeBytes] are looked at). JSON is recognised by an array or by
// the keys of its first object (events, logEvents, results, or message
// with timestamp, logStreamName, ingestionTime or eventId; @message),
// CSV by a header naming a timestamp and a message column or by a first
// line of a timestamp, a comma and a quote. Anything else is read as
// lines, named after the prefix of its first platform lines.
func DetectShape(head []byte) Shape {
	if len(head) > DetectShapeBytes {
		head = head[:DetectShapeBytes]
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	b := skipWS(head)
	if len(b) > 0 {
		switch b[0] {
		case '[':
			if bytes.Contains(b, []byte(`"@message"`)) || bytes.Contains(b, []byte(`"field"`)) {
				return ShapeInsightsJSON
			}
			return ShapeEventsJSON
		case '{':
			if s, ok := detectJSONObject(b); ok {
				return s
			}
		}
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if s, ok := detectCSVHeader(trimCR(line)); ok {
		return s
	}
	return detectLines(head)
}

// detectJSONObject looks at the top-level keys of the object starting b.
func detectJSONObject(b []byte) (Shape, bool) {
	sc := jsonScanner{b: b}
	var message, eventish, insights, wrapper bool
	for {
		key, val, isStr, ok := sc.next()
		if !ok {
			break
		}
		if sc.depth != 1 {
			if sc.depth == 0 {
				break
			}
			continue
		}
		switch string(key) {
		case "events", "logEvents", "searchedLogStreams", "nextForwardToken", "nextBackwardToken", "messageType":
			wrapper = true
		case "results":
			return ShapeInsightsJSON, true
		case "@message", "@timestamp", "@logStream", "@ptr":
			insights = true
		case "message":
			message = isStr
		case "logStreamName", "ingestionTime", "eventId":
			eventish = true
		case "timestamp":
			eventish = eventish || (!isStr && len(val) > 0)
		case "type", "time", "level", "msg":
			// A Lambda JSON-format or application record.
			if !wrapper && !insights {
				return "", false
			}
		}
		if wrapper {
			return ShapeEventsJSON, true
		}
	}
	switch {
	case insights:
		return ShapeInsightsJSON, true
	case message && eventish:
		return ShapeEventsJSON, true
	}
	return "", false
}

// detectLines names a line stream after the prefix of its first platform
// lines (a few dozen are enough).
func detectLines(head []byte) Shape {
	var counts [prefixKinds]int
	seen := 0
	for len(head) > 0 && seen < 32 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			if len(head) == DetectShapeBytes {
				break // cut off
			}
			head = nil
		}
		p := splitPrefix(trimCR(line))
		var ev Event
		if kind := parseMessage(p.msg, &ev); kind != LineOther {
			counts[platformPrefix(p.kind, p.msg)]++
			seen++
		}
	}
	return linesShape(counts)
}

// platformPrefix is the prefix kind a platform line counts as: serverless
// logs' rewritten platform lines have no prefix but their own form.
func platformPrefix(k prefixKind, msg []byte) prefixKind {
	if k == prefixNone && isServerlessPlatform(msg) {
		return prefixServerless
	}
	return k
}

// linesShape names a line stream from the prefixes of its platform lines.
// Serverless logs prints JSON records as they are, so any of its
// rewritten lines names the unprefixed ones too.
func linesShape(counts [prefixKinds]int) Shape {
	if counts[prefixServerless] > 0 {
		counts[prefixServerless] += counts[prefixNone]
		counts[prefixNone] = 0
	}
	best := prefixNone
	for k := range counts {
		if counts[k] > counts[best] {
			best = prefixKind(k)
		}
	}
	return prefixShapes[best]
}

var prefixShapes = [prefixKinds]Shape{ShapeLambda, ShapeTimestamped, ShapeTail, ShapeSAM, ShapeServerless}

func skipWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}
