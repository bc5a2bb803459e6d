package coldstart

// prefixKind is what came before the message on a line.
type prefixKind uint8

const (
	prefixNone       prefixKind = iota // the message alone
	prefixTime                         // timestamp, message
	prefixTimeStream                   // timestamp, log stream name, message (aws logs tail)
	prefixStreamTime                   // log stream name, timestamp, message (sam logs)
	prefixServerless                   // "START - id" platform lines (serverless logs v3+)
	prefixKinds
)

// prefixed is a line split into its prefix and message.
type prefixed struct {
	ts     []byte // the timestamp's text, parsed only when needed
	stream []byte // the log stream name
	msg    []byte
	kind   prefixKind
}

// splitPrefix splits a line into a timestamp and a Lambda log stream name,
// in either order and each optional, and the message after them.
// Timestamps are ISO 8601 as [parseTimestamp] reads them; a log stream
// name is Lambda's "2026/11/23/[$LATEST]8a4b..." (any version in the
// brackets). Each is followed by one space or tab.
func splitPrefix(line []byte) prefixed {
	p := prefixed{msg: line}
	if len(line) < 12 || !isDigit(line[0]) {
		return p
	}
	if n := streamNameLen(line); n > 0 {
		p.stream, p.msg = line[:n], skipOneBlank(line[n:])
		p.kind = prefixStreamTime
		if n := timestampLen(p.msg); n > 0 && n < len(p.msg) && isBlank(p.msg[n]) {
			p.ts, p.msg = p.msg[:n], skipOneBlank(p.msg[n:])
		}
		return p
	}
	n := timestampLen(line)
	if n == 0 || n == len(line) || !isBlank(line[n]) {
		return p
	}
	p.ts, p.msg, p.kind = line[:n], skipOneBlank(line[n:]), prefixTime
	if n := streamNameLen(p.msg); n > 0 {
		p.stream, p.msg = p.msg[:n], skipOneBlank(p.msg[n:])
		p.kind = prefixTimeStream
	}
	return p
}

// timestampLen returns the length of the ISO 8601 timestamp starting b, or
// 0. It checks the layout only; [parseTimestamp] checks the values.
func timestampLen(b []byte) int {
	n, _ := scanTimestamp(b)
	return n
}

// streamNameLen returns the length of the Lambda log stream name starting
// b ("2026/11/23/[$LATEST]8a4b..." up to a space, a tab or the end), or 0.
func streamNameLen(b []byte) int {
	if len(b) < 13 || b[4] != '/' || b[7] != '/' || b[10] != '/' || b[11] != '[' || !isDigit(b[0]) || !isDigit(b[5]) || !isDigit(b[8]) {
		return 0
	}
	for i := 12; i < len(b); i++ {
		if isBlank(b[i]) {
			return i
		}
	}
	return len(b) // no message on this line (aws logs tail --format json puts it on the next)
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// skipOneBlank drops the one space or tab the tools write between a prefix
// and what follows it; a message's own leading blanks are the message's.
func skipOneBlank(b []byte) []byte {
	if len(b) > 0 && isBlank(b[0]) {
		b = b[1:]
	}
	return b
}
