package coldstart

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// csvColumns maps the columns of a CSV export.
type csvColumns struct {
	ts, msg, stream, group int // -1 when absent
	header                 bool
	insights               bool
}

var (
	csvTimestampNames = []string{"@timestamp", "timestamp", "time", "datetime", "date"}
	csvMessageNames   = []string{"@message", "message"}
	csvStreamNames    = []string{"@logstream", "logstreamname", "logstream", "log stream", "log stream name", "log_stream"}
	csvGroupNames     = []string{"@log", "loggroup", "loggroupname", "log group", "log_group"}
)

// parseCSVHeader reads the columns of a CSV export from its first line: a
// header naming a message column and a timestamp column (or any Logs
// Insights @field), or, without a header, a first record of a timestamp
// (ISO 8601 or Unix ms, quoted or not) and a quoted message.
func parseCSVHeader(line []byte) (csvColumns, bool) {
	cols := csvColumns{ts: -1, msg: -1, stream: -1, group: -1}
	var names [][]byte
	var buf []byte
	rest := line
	for len(names) < 64 {
		var f []byte
		var ok bool
		f, rest, ok = csvField(rest, buf[:0])
		if !ok {
			break
		}
		names = append(names, bytes.ToLower(trimSpace(f)))
		if len(rest) == 0 {
			break
		}
		rest = rest[1:] // the comma
	}
	find := func(cands []string) int {
		for _, c := range cands {
			for i, n := range names {
				if string(n) == c {
					return i
				}
			}
		}
		return -1
	}
	cols.ts, cols.msg = find(csvTimestampNames), find(csvMessageNames)
	cols.stream, cols.group = find(csvStreamNames), find(csvGroupNames)
	for _, n := range names {
		if len(n) > 1 && n[0] == '@' {
			cols.insights = true
		}
	}
	if cols.msg >= 0 && (cols.ts >= 0 || cols.insights) {
		cols.header = true
		return cols, true
	}
	// No header: timestamp,"message".
	if first, rest, ok := csvField(line, nil); ok && len(rest) > 1 && rest[0] == ',' && rest[1] == '"' {
		if _, ok := parseAnyTime(first); ok {
			return csvColumns{ts: 0, msg: 1, stream: -1, group: -1}, true
		}
	}
	return csvColumns{}, false
}

// detectCSVHeader reports whether line starts a CSV export, and which.
func detectCSVHeader(line []byte) (Shape, bool) {
	if bytes.IndexByte(line, ',') < 0 {
		return "", false
	}
	cols, ok := parseCSVHeader(line)
	switch {
	case !ok:
		return "", false
	case cols.insights:
		return ShapeInsightsCSV, true
	}
	return ShapeCSV, true
}

// csvField reads one complete field of a single line (a quoted field must
// close on it) into buf and returns the rest of the line from the comma.
func csvField(line, buf []byte) (field, rest []byte, ok bool) {
	if len(line) > 0 && line[0] == '"' {
		i := 1
		for {
			j := bytes.IndexByte(line[i:], '"')
			if j < 0 {
				return nil, nil, false
			}
			buf = append(buf, line[i:i+j]...)
			i += j + 1
			if i < len(line) && line[i] == '"' {
				buf = append(buf, '"')
				i++
				continue
			}
			return buf, line[i:], true
		}
	}
	if j := bytes.IndexByte(line, ','); j >= 0 {
		return line[:j], line[j:], true
	}
	return line, nil, true
}

// csvRecords reads CSV exports (RFC 4180: fields separated by commas,
// quoted fields may hold commas, newlines and doubled quotes).
type csvRecords struct {
	br        *bufio.Reader
	s         *scratch
	cols      csvColumns
	started   bool
	bytes     int64
	oversized int64
}

func newCSVRecords(br *bufio.Reader, s *scratch) *csvRecords {
	return &csvRecords{br: br, s: s}
}

func (r *csvRecords) counts() (int64, int64) { return r.bytes, r.oversized }

// physLine reads one physical line with its newline, or the last one
// without. Oversized parts come back in pieces, flagged.
func (r *csvRecords) physLine() (line []byte, full bool, err error) {
	line, err = r.br.ReadSlice('\n')
	r.bytes += int64(len(line))
	switch {
	case err == nil:
		return line, true, nil
	case errors.Is(err, bufio.ErrBufferFull):
		return line, false, nil
	case err == io.EOF && len(line) > 0:
		return line, true, nil
	}
	return nil, false, err
}

func (r *csvRecords) next(rec *record) error {
	if !r.started {
		r.started = true
		head, _ := r.br.Peek(DetectShapeBytes)
		head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			head = head[:i]
		}
		cols, ok := parseCSVHeader(trimCR(head))
		if !ok {
			cols = csvColumns{ts: 0, msg: 1, stream: -1, group: -1}
		}
		r.cols = cols
		if cols.header {
			if _, _, err := r.physLine(); err != nil {
				return err
			}
		}
	}
	for {
		ok, err := r.record(rec)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// record reads one CSV record; it reports false for blank lines and
// oversized records, which are skipped.
func (r *csvRecords) record(rec *record) (bool, error) {
	s := r.s
	s.msg, s.ts, s.stream, s.group = s.msg[:0], s.ts[:0], s.stream[:0], s.group[:0]
	*rec = record{}
	col, inQuote, started, fit := 0, false, false, true
	var read int64
	dst := r.column(0)
	add := func(b []byte) {
		if dst == nil || len(b) == 0 {
			return
		}
		limit := 4 << 10
		if col == r.cols.msg {
			limit = maxLineBytes
		}
		var ok bool
		if *dst, ok = appendBounded(*dst, b, limit); !ok && col == r.cols.msg {
			fit = false
		}
	}
	for {
		line, _, err := r.physLine()
		if err != nil {
			if errors.Is(err, io.EOF) && started {
				rec.bad = inQuote // a quote that never closed: the file is cut
				break
			}
			return false, err
		}
		read += int64(len(line))
		started = true
		for i := 0; i < len(line); {
			if inQuote {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					add(line[i:])
					i = len(line)
					continue
				}
				add(line[i : i+j])
				i += j + 1
				if i < len(line) && line[i] == '"' { // a doubled quote
					add(line[i : i+1])
					i++
					continue
				}
				inQuote = false
				continue
			}
			switch line[i] {
			case '"':
				inQuote = true
				i++
			case ',':
				col++
				dst = r.column(col)
				i++
			case '\r':
				i++
			case '\n':
				if col == 0 && len(trimSpace(line)) == 0 {
					return false, nil // a blank line
				}
				goto done
			default:
				j := i + 1
				for j < len(line) && line[j] != ',' && line[j] != '"' && line[j] != '\r' && line[j] != '\n' {
					j++
				}
				add(line[i:j])
				i = j
			}
		}
		if inQuote && read > 2*maxLineBytes {
			// A quote that does not close within any sane message: end the
			// record here so that the records after it are read.
			fit = false
			break
		}
	}
done:
	if !fit {
		r.oversized++
		return false, nil
	}
	rec.msg, rec.ts, rec.stream, rec.group = s.msg, trimSpace(s.ts), s.stream, s.group
	return true, nil
}

// column returns the buffer column i is read into, or nil.
func (r *csvRecords) column(i int) *[]byte {
	switch i {
	case r.cols.msg:
		return &r.s.msg
	case r.cols.ts:
		return &r.s.ts
	case r.cols.stream:
		return &r.s.stream
	case r.cols.group:
		return &r.s.group
	}
	return nil
}
