package coldstart

import (
	"bytes"
	"strconv"
	"unsafe"
)

// LineKind classifies a log line.
type LineKind uint8

// Line kinds returned by [ParseLine].
const (
	LineOther     LineKind = iota // application output, ignored
	LinePlatform                  // a platform line, parsed into the Event
	LineMalformed                 // looks like a platform line but is truncated or corrupt
)

// ParseLine parses one log line (without its newline) into ev and reports
// what kind of line it was. It accepts:
//
//   - the Lambda text format: START, END, REPORT (tab-separated fields, all
//     after Max Memory Used optional), INIT_START, INIT_REPORT,
//     RESTORE_START, RESTORE_REPORT;
//   - the Lambda JSON log format: objects whose "type" is platform.start,
//     platform.report, platform.initStart, platform.initReport,
//     platform.restoreStart or platform.restoreReport (other platform
//     events, such as platform.runtimeDone, are returned as LineOther);
//
// each optionally prefixed by a CloudWatch export timestamp
// ("2026-11-23T07:00:02.431Z "). Application lines, including application
// JSON, are LineOther. A platform line missing a required field (for
// example a REPORT cut off before Max Memory Used) is LineMalformed.
//
// ParseLine does not allocate; ev's byte slices alias line.
func ParseLine(line []byte, ev *Event) LineKind {
	ev.reset()
	line = trimCR(line)
	msg := line
	if len(line) >= 21 && line[4] == '-' && line[10] == 'T' {
		if t, n, ok := parseTimestamp(line); ok && n < len(line) && (line[n] == ' ' || line[n] == '\t') {
			ev.Time = t
			msg = line[n+1:]
		}
	}
	if len(msg) == 0 {
		return LineOther
	}
	switch msg[0] {
	case '{':
		return parseJSON(msg, ev)
	case 'S':
		if hasPrefix(msg, "START RequestId: ") {
			return parseStart(msg[len("START RequestId: "):], ev)
		}
	case 'E':
		if hasPrefix(msg, "END RequestId: ") {
			ev.Type = EventEnd
			ev.RequestID = trimSpace(msg[len("END RequestId: "):])
			if len(ev.RequestID) == 0 {
				return LineMalformed
			}
			return LinePlatform
		}
	case 'R':
		if hasPrefix(msg, "REPORT RequestId: ") {
			return parseReport(msg[len("REPORT RequestId: "):], ev)
		}
		if hasPrefix(msg, "RESTORE_START") {
			ev.Type = EventRestoreStart
			ev.InitType = InitSnapStart
			return LinePlatform
		}
		if hasPrefix(msg, "RESTORE_REPORT ") {
			return parseInitReport(msg[len("RESTORE_REPORT "):], ev, EventRestoreReport)
		}
	case 'I':
		if hasPrefix(msg, "INIT_START") {
			ev.Type = EventInitStart
			return LinePlatform
		}
		if hasPrefix(msg, "INIT_REPORT ") {
			return parseInitReport(msg[len("INIT_REPORT "):], ev, EventInitReport)
		}
	}
	return LineOther
}

func parseStart(rest []byte, ev *Event) LineKind {
	ev.Type = EventStart
	i := bytes.IndexByte(rest, ' ')
	if i < 0 {
		ev.RequestID = trimSpace(rest)
	} else {
		ev.RequestID = rest[:i]
		v := rest[i+1:]
		if hasPrefix(v, "Version: ") {
			ev.Version = trimSpace(v[len("Version: "):])
		}
	}
	if len(ev.RequestID) == 0 {
		return LineMalformed
	}
	return LinePlatform
}

// parseReport parses the tab-separated fields after "REPORT RequestId: ".
func parseReport(rest []byte, ev *Event) LineKind {
	ev.Type = EventReport
	const required = 1<<4 - 1 // Duration, Billed Duration, Memory Size, Max Memory Used
	seen := 0
	first := true
	for len(rest) > 0 {
		var f []byte
		if i := bytes.IndexByte(rest, '\t'); i >= 0 {
			f, rest = rest[:i], rest[i+1:]
		} else {
			f, rest = rest, nil
		}
		if first {
			ev.RequestID = trimSpace(f)
			first = false
			continue
		}
		if len(f) == 0 {
			continue
		}
		var ok bool
		switch {
		case hasPrefix(f, "Duration: "):
			ev.DurationMs, ok = parseMs(f[len("Duration: "):], " ms")
			seen |= 1
		case hasPrefix(f, "Billed Duration: "):
			ev.BilledDurationMs, ok = parseMs(f[len("Billed Duration: "):], " ms")
			seen |= 2
		case hasPrefix(f, "Memory Size: "):
			var v float64
			v, ok = parseMs(f[len("Memory Size: "):], " MB")
			ev.MemoryMB = int(v)
			seen |= 4
		case hasPrefix(f, "Max Memory Used: "):
			var v float64
			v, ok = parseMs(f[len("Max Memory Used: "):], " MB")
			ev.MaxMemoryUsedMB = int(v)
			seen |= 8
		case hasPrefix(f, "Init Duration: "):
			ev.InitDurationMs, ok = parseMs(f[len("Init Duration: "):], " ms")
		case hasPrefix(f, "Restore Duration: "):
			ev.RestoreDurationMs, ok = parseMs(f[len("Restore Duration: "):], " ms")
		case hasPrefix(f, "Billed Restore Duration: "):
			ev.BilledRestoreMs, ok = parseMs(f[len("Billed Restore Duration: "):], " ms")
		case hasPrefix(f, "Status: "):
			ev.Status, ok = trimSpace(f[len("Status: "):]), true
		case hasPrefix(f, "Error Type: "):
			ev.ErrorType, ok = trimSpace(f[len("Error Type: "):]), true
		default:
			// X-Ray ids (XRAY TraceId, SegmentId, Sampled) and fields added
			// by future versions of the format are accepted and ignored.
			ok = true
		}
		if !ok {
			return LineMalformed
		}
	}
	if len(ev.RequestID) == 0 || seen != required || ev.MemoryMB <= 0 {
		return LineMalformed
	}
	return LinePlatform
}

// parseInitReport parses "Init Duration: 10000.00 ms\tPhase: init\tStatus:
// timeout\tError Type: ..." and "Restore Duration: 211.30 ms".
func parseInitReport(rest []byte, ev *Event, typ EventType) LineKind {
	ev.Type = typ
	if typ == EventRestoreReport {
		ev.InitType = InitSnapStart
	}
	ok := false
	for len(rest) > 0 {
		var f []byte
		if i := bytes.IndexByte(rest, '\t'); i >= 0 {
			f, rest = rest[:i], rest[i+1:]
		} else {
			f, rest = rest, nil
		}
		f = trimSpace(f)
		switch {
		case hasPrefix(f, "Init Duration: "):
			ev.DurationMs, ok = parseMs(f[len("Init Duration: "):], " ms")
		case hasPrefix(f, "Restore Duration: "):
			ev.DurationMs, ok = parseMs(f[len("Restore Duration: "):], " ms")
		case hasPrefix(f, "Phase: "):
			if bytes.Equal(f[len("Phase: "):], []byte("invoke")) {
				ev.Phase = PhaseInvoke
			}
		case hasPrefix(f, "Status: "):
			ev.Status = f[len("Status: "):]
		case hasPrefix(f, "Error Type: "):
			ev.ErrorType = f[len("Error Type: "):]
		}
	}
	if !ok {
		return LineMalformed
	}
	return LinePlatform
}

// platformMarker is what every JSON platform event contains; application
// JSON lines are rejected by this one search.
var platformMarker = []byte(`"platform.`)

// platformType returns the event name after "type":"platform. ("report"),
// or nil. Lambda writes the type second, after "time", which is checked
// first; other key orders and spacing are found by a search.
func platformType(msg []byte) []byte {
	rest := msg
	if hasPrefix(msg, `{"time":"`) {
		if j := bytes.IndexByte(msg[9:], '"'); j >= 0 {
			rest = msg[9+j+1:]
			if hasPrefix(rest, `,"type":"platform.`) {
				return nameUntilQuote(rest[len(`,"type":"platform.`):])
			}
		}
	}
	for {
		i := bytes.Index(rest, platformMarker)
		if i < 0 {
			return nil
		}
		// It must be the value of "type": look back over `"type" :`.
		k := i - 1
		for k >= 0 && rest[k] == ' ' {
			k--
		}
		if k >= 0 && rest[k] == ':' {
			k--
			for k >= 0 && rest[k] == ' ' {
				k--
			}
			if k >= 5 && string(rest[k-5:k+1]) == `"type"` {
				return nameUntilQuote(rest[i+len(platformMarker):])
			}
		}
		rest = rest[i+len(platformMarker):]
	}
}

func nameUntilQuote(b []byte) []byte {
	j := bytes.IndexByte(b, '"')
	if j < 0 {
		return b[:0] // truncated inside the name
	}
	return b[:j]
}

func parseJSON(msg []byte, ev *Event) LineKind {
	name := platformType(msg)
	if name == nil {
		return LineOther
	}
	ev.JSON = true
	switch string(name) { // the conversion does not allocate in a switch
	case "start":
		ev.Type = EventStart
	case "report":
		ev.Type = EventReport
	case "initStart":
		ev.Type = EventInitStart
	case "initReport":
		ev.Type = EventInitReport
	case "restoreStart":
		ev.Type = EventRestoreStart
		ev.InitType = InitSnapStart
	case "restoreReport":
		ev.Type = EventRestoreReport
		ev.InitType = InitSnapStart
	default:
		if len(name) == 0 {
			return LineMalformed
		}
		return LineOther // platform.runtimeDone, platform.extension, ...
	}
	// One pass over the fields, at any depth.
	const (
		hasRequestID = 1 << iota
		hasDuration
		hasBilled
		hasMemory
	)
	var seen int
	var timeStr []byte
	sc := jsonScanner{b: msg}
	for {
		key, val, isStr, ok := sc.next()
		if !ok {
			break
		}
		if isStr {
			switch string(key) {
			case "time":
				timeStr = val
			case "requestId":
				ev.RequestID = val
				seen |= hasRequestID
			case "version", "functionVersion":
				ev.Version = val
			case "functionName":
				ev.FunctionName = val
			case "status":
				ev.Status = val
			case "errorType":
				ev.ErrorType = val
			case "initializationType":
				if ev.InitType == InitUnknown {
					ev.InitType = parseInitType(val)
				}
			case "phase":
				if string(val) == "invoke" {
					ev.Phase = PhaseInvoke
				}
			}
			continue
		}
		if len(val) == 0 {
			continue // an object or array opens; its fields follow
		}
		v, numOK := parseFloat(val)
		if !numOK {
			return LineMalformed
		}
		switch string(key) {
		case "durationMs":
			ev.DurationMs = v
			seen |= hasDuration
		case "billedDurationMs":
			ev.BilledDurationMs = v
			seen |= hasBilled
		case "memorySizeMB":
			ev.MemoryMB = int(v)
			seen |= hasMemory
		case "maxMemoryUsedMB":
			ev.MaxMemoryUsedMB = int(v)
		case "initDurationMs":
			ev.InitDurationMs = v
		case "restoreDurationMs":
			ev.RestoreDurationMs = v
		case "billedRestoreDurationMs":
			ev.BilledRestoreMs = v
		}
	}
	if !sc.complete() {
		return LineMalformed
	}
	switch ev.Type {
	case EventStart:
		if seen&hasRequestID == 0 {
			return LineMalformed
		}
	case EventReport:
		if seen != hasRequestID|hasDuration|hasBilled|hasMemory || ev.MemoryMB <= 0 {
			return LineMalformed
		}
	case EventInitReport, EventRestoreReport:
		if seen&hasDuration == 0 {
			return LineMalformed
		}
	}
	if ev.Time == 0 && len(timeStr) > 0 {
		if t, _, ok := parseTimestamp(timeStr); ok {
			ev.Time = t
		}
	}
	return LinePlatform
}

// jsonScanner walks the "key": value pairs of a JSON object at any depth,
// in one pass and without allocating. String values are returned raw
// (escapes are kept), numbers and literals as their text, and objects or
// arrays as an empty value, after which their own pairs follow.
type jsonScanner struct {
	b     []byte
	i     int
	depth int
	bad   bool
}

func (s *jsonScanner) next() (key, val []byte, isStr, ok bool) {
	b := s.b
	for s.i < len(b) {
		c := b[s.i]
		switch c {
		case '{', '[':
			s.depth++
			s.i++
		case '}', ']':
			s.depth--
			s.i++
		case '"':
			str, end, sok := scanString(b, s.i)
			if !sok {
				return s.fail()
			}
			j := end
			for j < len(b) && b[j] == ' ' {
				j++
			}
			if j >= len(b) || b[j] != ':' {
				s.i = end // a string value inside an array
				continue
			}
			j++
			for j < len(b) && b[j] == ' ' {
				j++
			}
			if j >= len(b) {
				return s.fail()
			}
			key = str
			switch b[j] {
			case '"':
				v, vend, vok := scanString(b, j)
				if !vok {
					return s.fail()
				}
				s.i = vend
				return key, v, true, true
			case '{', '[':
				s.i = j
				return key, nil, false, true
			default:
				k := j
				for k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' && b[k] != ' ' {
					k++
				}
				if k == len(b) { // cut off inside a number
					return s.fail()
				}
				s.i = k
				return key, b[j:k], false, true
			}
		default:
			s.i++
		}
	}
	return nil, nil, false, false
}

// fail ends the scan of a truncated or corrupt object.
func (s *jsonScanner) fail() (key, val []byte, isStr, ok bool) {
	s.bad = true
	s.i = len(s.b)
	return nil, nil, false, false
}

// complete reports whether the object was read to its closing brace.
func (s *jsonScanner) complete() bool { return !s.bad && s.depth == 0 }

// scanString returns the contents of the string starting at b[i] == '"' and
// the index after its closing quote.
func scanString(b []byte, i int) ([]byte, int, bool) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return nil, 0, false
		}
		j += k
		// Count the backslashes before the quote.
		n := 0
		for m := j - 1; m > i && b[m] == '\\'; m-- {
			n++
		}
		if n%2 == 0 {
			return b[i+1 : j], j + 1, true
		}
		j++
	}
}

func parseInitType(b []byte) InitType {
	switch string(b) {
	case "on-demand":
		return InitOnDemand
	case "provisioned-concurrency":
		return InitProvisioned
	case "snap-start":
		return InitSnapStart
	}
	return InitUnknown
}

// parseMs parses "180.21 ms" (unit given) into 180.21.
func parseMs(b []byte, unit string) (float64, bool) {
	b = trimSpace(b)
	if !bytes.HasSuffix(b, s2b(unit)) {
		return 0, false
	}
	return parseFloat(b[:len(b)-len(unit)])
}

// parseFloat parses a plain decimal number ("180.21", "2491") without
// allocating; other syntaxes fall back to strconv.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var ip uint64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		ip = ip*10 + uint64(b[i]-'0')
		i++
		if i > 15 {
			return parseFloatSlow(b)
		}
	}
	if i == 0 {
		return parseFloatSlow(b)
	}
	if i == len(b) {
		return float64(ip), true
	}
	if b[i] != '.' {
		return parseFloatSlow(b)
	}
	i++
	var fp uint64
	scale := 1.0
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && i-start < 9 {
		fp = fp*10 + uint64(b[i]-'0')
		scale *= 10
		i++
	}
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++ // digits beyond nanosecond precision are dropped
	}
	if i != len(b) || i == start {
		return parseFloatSlow(b)
	}
	return float64(ip) + float64(fp)/scale, true
}

func parseFloatSlow(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil
}

// parseTimestamp parses an RFC 3339 UTC timestamp with optional fraction
// ("2026-11-23T07:00:02.431Z") at the start of b into Unix milliseconds and
// returns the number of bytes it used.
func parseTimestamp(b []byte) (ms int64, n int, ok bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, 0, false
	}
	d := func(i, w int) (int, bool) {
		v := 0
		for _, c := range b[i : i+w] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := d(0, 4)
	mo, ok2 := d(5, 2)
	dd, ok3 := d(8, 2)
	hh, ok4 := d(11, 2)
	mi, ok5 := d(14, 2)
	ss, ok6 := d(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 60 {
		return 0, 0, false
	}
	n = 19
	frac := 0
	if n < len(b) && b[n] == '.' {
		n++
		digits := 0
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			if digits < 3 {
				frac = frac*10 + int(b[n]-'0')
			}
			digits++
			n++
		}
		for ; digits < 3; digits++ {
			frac *= 10
		}
	}
	if n >= len(b) || b[n] != 'Z' {
		return 0, 0, false
	}
	n++
	days := daysFromCivil(y, mo, dd)
	ms = ((days*24+int64(hh))*60+int64(mi))*60000 + int64(ss)*1000 + int64(frac)
	return ms, n, true
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// s2b views a constant string as bytes without copying; the result must not
// be modified.
func s2b(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
