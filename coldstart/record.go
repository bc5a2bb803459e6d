package coldstart

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLineBytes bounds the memory a single line or message can take;
// longer ones (never platform lines, which are a few hundred bytes) are
// skipped and counted as oversized.
const maxLineBytes = 1 << 20

// record is one log event as its stream's shape carries it.
type record struct {
	msg    []byte // the message as Lambda wrote it, escapes undone
	ts     []byte // the timestamp's text (ISO 8601 or Unix ms), parsed only when needed
	stream []byte // the log stream name, when the shape carries it
	group  []byte // the log group (Logs Insights @log, subscription payloads)
	kind   prefixKind
	// bad is set when the shape itself is broken around this record (CSV
	// or JSON syntax, a truncated file): the record counts as malformed
	// and msg holds what was read of it.
	bad bool
}

// time returns the record's timestamp in Unix milliseconds, or 0.
func (r *record) time(c *timeCache) int64 {
	if len(r.ts) == 0 {
		return 0
	}
	return c.parse(r.ts)
}

// recordReader yields the records of one stream.
type recordReader interface {
	// next reads the next record; its slices are valid until the next
	// call. At the end it returns io.EOF.
	next(*record) error
	// counts returns the bytes read so far and the lines or messages
	// skipped as longer than maxLineBytes.
	counts() (bytes, oversized int64)
}

// newRecordReader returns the reader of shape over br.
func newRecordReader(shape Shape, br *bufio.Reader, scratch *scratch) recordReader {
	switch shape.family() {
	case familyCSV:
		return newCSVRecords(br, scratch)
	case familyJSON:
		return newJSONRecords(br, scratch)
	}
	return &lineRecords{br: br, s: scratch}
}

// scratch holds the buffers readers copy records into, kept across the
// streams of an analysis.
type scratch struct {
	msg, val, ts, stream, group, key []byte
}

// appendBounded appends b to dst, up to limit bytes in all, and reports
// whether all of b fit.
func appendBounded(dst, b []byte, limit int) ([]byte, bool) {
	if room := limit - len(dst); len(b) > room {
		if room > 0 {
			dst = append(dst, b[:room]...)
		}
		return dst, false
	}
	return append(dst, b...), true
}

// lineRecords reads line shapes: one record per line, except for JSON
// pretty-printed over several lines (aws logs tail --format json, sam
// logs), which is joined, and the REPORT of serverless logs, whose fields
// are joined from the next line.
type lineRecords struct {
	br        *bufio.Reader
	s         *scratch
	buf       []byte // the buffered bytes of br being split, from pos
	pos       int
	bytes     int64
	oversized int64
	pending   []byte // a line read ahead and given back
	held      bool
	err       error // the read error, returned once the bytes before it are split
}

func (r *lineRecords) counts() (int64, int64) { return r.bytes, r.oversized }

// line returns the next line without its newline (and CR), skipping
// oversized lines. The slice is valid until the next call. Lines are cut
// from the read buffer directly (cheaper than bufio's ReadSlice per line).
func (r *lineRecords) line() ([]byte, error) {
	if r.held {
		r.held = false
		return r.pending, nil
	}
	for {
		if i := bytes.IndexByte(r.buf[r.pos:], '\n'); i >= 0 {
			line := r.buf[r.pos : r.pos+i]
			r.pos += i + 1
			r.bytes += int64(i + 1)
			return trimCR(line), nil
		}
		if err := r.refill(); err != nil {
			if len(r.buf) > r.pos && errors.Is(err, io.EOF) {
				line := r.buf[r.pos:] // a last line without newline
				r.bytes += int64(len(line))
				r.pos = len(r.buf)
				return trimCR(line), nil
			}
			return nil, err
		}
	}
}

// refill discards the lines split so far and makes more bytes available
// in buf; a full buffer without a newline is an oversized line, skipped to
// its end.
func (r *lineRecords) refill() error {
	if r.pos > 0 {
		r.br.Discard(r.pos)
		r.buf, r.pos = nil, 0
	}
	n := r.br.Buffered()
	if n > len(r.buf) { // buffered bytes not looked at yet
		r.buf, _ = r.br.Peek(n)
		return nil
	}
	if n == r.br.Size() {
		r.oversized++
		for {
			b, _ := r.br.Peek(r.br.Buffered())
			if i := bytes.IndexByte(b, '\n'); i >= 0 {
				r.br.Discard(i + 1)
				r.bytes += int64(i + 1)
				break
			}
			r.br.Discard(len(b))
			r.bytes += int64(len(b))
			if _, err := r.br.Peek(1); err != nil {
				r.buf = nil
				return err
			}
		}
		r.buf, _ = r.br.Peek(r.br.Buffered())
		return nil
	}
	if r.err == nil {
		_, r.err = r.br.Peek(n + 1)
	}
	r.buf, _ = r.br.Peek(r.br.Buffered())
	if len(r.buf) > n {
		return nil
	}
	return r.err
}

// unread gives a line back; the next call of line returns it.
func (r *lineRecords) unread(line []byte) { r.pending, r.held = line, true }

func (r *lineRecords) next(rec *record) error {
	line, err := r.line()
	if err != nil {
		return err
	}
	var p prefixed
	if len(line) > 25 && line[24] == ' ' && line[23] == 'Z' && line[19] == '.' && line[10] == 'T' && line[16] == ':' &&
		line[4] == '-' && isDigit(line[0]) && isDigit(line[22]) && !isDigit(line[25]) {
		// "2026-11-23T07:00:02.431Z message", as CloudWatch exports write
		// it; a message starting with a digit may be a log stream name.
		p = prefixed{ts: line[:24], msg: line[25:], kind: prefixTime}
	} else {
		p = splitPrefix(line)
	}
	rec.msg, rec.ts, rec.stream, rec.kind = p.msg, p.ts, p.stream, p.kind
	if rec.group != nil || rec.bad {
		rec.group, rec.bad = nil, false
	}
	switch {
	case len(p.msg) == 1 && p.msg[0] == '{':
		// "sam logs" puts a pretty-printed JSON message behind its prefix.
		r.keepPrefix(rec)
		return r.gatherJSON(rec, line[len(line)-1:])
	case len(p.msg) == 0 && p.kind != prefixNone:
		// aws logs tail --format json: the prefix, then the JSON from the
		// next line on.
		r.keepPrefix(rec)
		next, err := r.line()
		if err != nil {
			return nil // the prefix alone; the end (or the error) comes next
		}
		if t := trimSpace(next); len(t) == 1 && t[0] == '{' {
			return r.gatherJSON(rec, t)
		}
		r.unread(next)
	case len(p.msg) > 0 && p.msg[0] == 'R' && isBareServerlessReport(p.msg):
		// serverless logs: "REPORT - id", then "Duration: ..." on the next line.
		r.keepPrefix(rec)
		r.s.msg = append(r.s.msg[:0], p.msg...)
		rec.msg = r.s.msg
		next, err := r.line()
		if err != nil {
			return nil
		}
		if hasPrefix(next, "Duration:") {
			r.s.msg = append(append(r.s.msg, '\t'), next...)
			rec.msg = r.s.msg
			return nil
		}
		r.unread(next)
	}
	return nil
}

// isBareServerlessReport reports whether msg is serverless logs' "REPORT -
// id" with its fields still to come on the next line.
func isBareServerlessReport(msg []byte) bool {
	return hasPrefix(msg, "REPORT -") && !bytes.Contains(msg, []byte("Duration:"))
}

// keepPrefix copies the record's timestamp and stream into the scratch
// buffers before more lines are read.
func (r *lineRecords) keepPrefix(rec *record) {
	r.s.ts = append(r.s.ts[:0], rec.ts...)
	r.s.stream = append(r.s.stream[:0], rec.stream...)
	rec.ts, rec.stream = r.s.ts, r.s.stream
}

// gatherJSON joins the lines of a pretty-printed JSON object, first its
// opening line, into one message, up to maxLineBytes.
func (r *lineRecords) gatherJSON(rec *record, first []byte) error {
	buf := append(r.s.msg[:0], first...)
	depth := jsonDepth(first, 0)
	for depth > 0 && len(buf) < maxLineBytes {
		line, err := r.line()
		if err != nil {
			break // truncated: what was gathered goes to the parser
		}
		buf = append(append(buf, '\n'), line...)
		depth = jsonDepth(line, depth)
	}
	if len(buf) > maxLineBytes {
		buf = buf[:maxLineBytes]
	}
	r.s.msg = buf
	rec.msg = buf
	return nil
}

// jsonDepth returns the nesting depth after one line of JSON, starting at
// depth. JSON strings cannot hold newlines, so each line starts outside
// any string.
func jsonDepth(line []byte, depth int) int {
	in := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == '{' || c == '['):
			depth++
		case !in && (c == '}' || c == ']'):
			depth--
		}
	}
	return depth
}
