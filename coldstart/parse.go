package coldstart

import (
	"bytes"
	"strconv"
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
//   - the Lambda text format: START, END, REPORT (its fields in any order,
//     separated by tabs, runs of spaces or newlines; every field after Max
//     Memory Used optional), INIT_START, INIT_REPORT, RESTORE_START,
//     RESTORE_REPORT, and the "START - id" variants of serverless logs;
//   - the Lambda JSON log format: objects whose "type" is platform.start,
//     platform.report, platform.initStart, platform.initReport,
//     platform.restoreStart or platform.restoreReport (other platform
//     events, such as platform.runtimeDone, are returned as LineOther);
//     a platform.report needs only its requestId and durationMs;
//
// each optionally behind a timestamp, a log stream name or both, as
// exports and tools write them (see [Shape]); the timestamp goes to
// ev.Time, the log stream name to ev.LogStream. Application lines,
// including application JSON, are LineOther. A platform line missing a
// required field (for example a REPORT cut off before Max Memory Used) is
// LineMalformed.
//
// ParseLine does not allocate; ev's byte slices alias line.
func ParseLine(line []byte, ev *Event) LineKind {
	p := splitPrefix(trimCR(line))
	kind := parseMessage(p.msg, ev)
	if kind == LinePlatform {
		ev.LogStream = p.stream
		ts := p.ts
		if len(ts) == 0 {
			ts = ev.jsonTime
		}
		if t, _, ok := parseTimestamp(ts); ok {
			ev.Time = t
		}
	}
	return kind
}

// parseMessage parses one Lambda log message (a line as Lambda wrote it,
// without any prefix) into ev. It leaves ev.Time 0: the time comes from
// the shape, else from the JSON format's "time" (ev.jsonTime).
func parseMessage(msg []byte, ev *Event) LineKind {
	msg = trimRightSpace(msg)
	if len(msg) < 3 {
		return LineOther
	}
	switch msg[0] {
	case '{', 'S', 'E', 'R', 'I':
		ev.reset()
	default:
		return LineOther
	}
	switch msg[0] {
	case '{':
		return parseJSON(msg, ev)
	case 'S':
		if rest, ok := cutPlatform(msg, "START"); ok {
			return parseStart(rest, ev)
		}
	case 'E':
		if rest, ok := cutPlatform(msg, "END"); ok {
			ev.Type = EventEnd
			ev.RequestID = firstToken(skipSep(rest))
			if len(ev.RequestID) == 0 {
				return LineMalformed
			}
			return LinePlatform
		}
	case 'R':
		if rest, ok := cutPlatform(msg, "REPORT"); ok {
			return parseReport(rest, ev)
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

// cutPlatform cuts "WORD RequestId: " (Lambda) or "WORD - " (serverless
// logs v3 and later) off msg.
func cutPlatform(msg []byte, word string) ([]byte, bool) {
	if len(msg) <= len(word)+1 || string(msg[:len(word)]) != word || msg[len(word)] != ' ' {
		return nil, false
	}
	rest := msg[len(word)+1:]
	switch {
	case hasPrefix(rest, "RequestId: "):
		return rest[len("RequestId: "):], true
	case hasPrefix(rest, "RequestId:"):
		return rest[len("RequestId:"):], true
	case len(rest) > 0 && rest[0] == '-':
		return rest[1:], true
	}
	return nil, false
}

// isServerlessPlatform reports whether msg is a platform line as
// serverless logs (v3 and later) rewrites them.
func isServerlessPlatform(msg []byte) bool {
	for _, w := range []string{"START -", "END -", "REPORT -"} {
		if hasPrefix(msg, w) {
			return true
		}
	}
	return false
}

func parseStart(rest []byte, ev *Event) LineKind {
	ev.Type = EventStart
	rest = skipSep(rest)
	ev.RequestID = firstToken(rest)
	if len(ev.RequestID) == 0 {
		return LineMalformed
	}
	v := skipSep(rest[len(ev.RequestID):])
	if len(v) > 0 && v[0] == '-' { // serverless logs: "START - id - Version: $LATEST"
		v = skipSep(v[1:])
	}
	if hasPrefix(v, "Version:") {
		ev.Version = firstToken(skipSep(v[len("Version:"):]))
	}
	return LinePlatform
}

// reportLabels are the fields of REPORT and INIT_REPORT lines, longest
// first where one is the prefix of another's first word.
var reportLabels = [...]string{
	fDuration:              "Duration:",
	fBilledDuration:        "Billed Duration:",
	fBilledRestoreDuration: "Billed Restore Duration:",
	fMemorySize:            "Memory Size:",
	fMaxMemoryUsed:         "Max Memory Used:",
	fInitDuration:          "Init Duration:",
	fRestoreDuration:       "Restore Duration:",
	fStatus:                "Status:",
	fErrorType:             "Error Type:",
	fPhase:                 "Phase:",
}

type reportField uint8

const (
	fNone reportField = iota
	fDuration
	fBilledDuration
	fBilledRestoreDuration
	fMemorySize
	fMaxMemoryUsed
	fInitDuration
	fRestoreDuration
	fStatus
	fErrorType
	fPhase
	fieldCount
)

// reportLabel returns the field whose label starts b, and the label's
// length.
func reportLabel(b []byte) (reportField, int) {
	var f reportField
	switch b[0] {
	case 'D':
		f = fDuration
	case 'B':
		f = fBilledDuration
		if len(b) > 7 && b[7] == 'R' {
			f = fBilledRestoreDuration
		}
	case 'M':
		f = fMemorySize
		if len(b) > 1 && b[1] == 'a' {
			f = fMaxMemoryUsed
		}
	case 'I':
		f = fInitDuration
	case 'R':
		f = fRestoreDuration
	case 'S':
		f = fStatus
	case 'E':
		f = fErrorType
	case 'P':
		f = fPhase
	default:
		return fNone, 0
	}
	if l := reportLabels[f]; hasPrefix(b, l) {
		return f, len(l)
	}
	return fNone, 0
}

// fields scans "Label: value unit" fields separated by any run of spaces,
// tabs or newlines, in any order; words that start no known label (X-Ray
// ids, fields of future versions) are skipped. fn is called per field with
// its value and unit (empty when the next word is not one); it returns
// whether the unit word was used and false to stop the scan.
func fields(b []byte, fn func(f reportField, value, unit []byte) (usedUnit, ok bool)) bool {
	for {
		b = skipSep(b)
		if len(b) == 0 {
			return true
		}
		f, n := reportLabel(b)
		if f == fNone {
			b = b[len(firstToken(b)):]
			continue
		}
		b = skipSep(b[n:])
		value := firstToken(b)
		b = b[len(value):]
		rest := skipSep(b)
		unit := firstToken(rest)
		used, ok := fn(f, value, unit)
		if !ok {
			return false
		}
		if used {
			b = rest[len(unit):]
		}
	}
}

// number parses a value with its unit ("180.21" "ms", or "180.21ms").
func number(value, unit []byte, want string) (v float64, usedUnit, ok bool) {
	if len(value) > len(want) && string(value[len(value)-len(want):]) == want {
		v, ok = parseFloat(value[:len(value)-len(want)])
		return v, false, ok
	}
	if string(unit) != want {
		return 0, false, false
	}
	v, ok = parseFloat(value)
	return v, true, ok
}

// parseReport parses the fields after "REPORT RequestId: ".
func parseReport(rest []byte, ev *Event) LineKind {
	ev.Type = EventReport
	rest = skipSep(rest)
	ev.RequestID = firstToken(rest)
	if len(ev.RequestID) == 0 || ev.RequestID[len(ev.RequestID)-1] == ':' {
		ev.RequestID = nil
		return LineMalformed
	}
	const required = 1<<fDuration | 1<<fBilledDuration | 1<<fMemorySize | 1<<fMaxMemoryUsed
	seen := 0
	rest = rest[len(ev.RequestID):]
	if tail, ok := reportLayout(rest, ev); ok {
		rest, seen = tail, required
	}
	ok := fields(rest, func(f reportField, value, unit []byte) (bool, bool) {
		var v float64
		var used, ok bool
		switch f {
		case fDuration:
			ev.DurationMs, used, ok = number(value, unit, "ms")
		case fBilledDuration:
			ev.BilledDurationMs, used, ok = number(value, unit, "ms")
		case fMemorySize:
			v, used, ok = number(value, unit, "MB")
			ev.MemoryMB = int(v)
		case fMaxMemoryUsed:
			v, used, ok = number(value, unit, "MB")
			ev.MaxMemoryUsedMB = int(v)
		case fInitDuration:
			ev.InitDurationMs, used, ok = number(value, unit, "ms")
		case fRestoreDuration:
			ev.RestoreDurationMs, used, ok = number(value, unit, "ms")
		case fBilledRestoreDuration:
			ev.BilledRestoreMs, used, ok = number(value, unit, "ms")
		case fStatus:
			ev.Status, ok = value, len(value) > 0
		case fErrorType:
			ev.ErrorType, ok = value, len(value) > 0
		default:
			ok = true // Phase: on a REPORT, ignored
		}
		seen |= 1 << f
		return used, ok
	})
	if !ok || seen&required != required || ev.MemoryMB <= 0 {
		return LineMalformed
	}
	return LinePlatform
}

// reportLayout reads the four fields every REPORT starts with in the
// layout Lambda writes them ("\tDuration: 174.07 ms\tBilled Duration: 175
// ms\tMemory Size: 1024 MB\tMax Memory Used: 88 MB"), the common case made
// fast, and returns the rest; any other layout is left to [fields].
func reportLayout(b []byte, ev *Event) ([]byte, bool) {
	var d, billed, mem, used float64
	var ok bool
	if b, d, ok = layoutField(b, "\tDuration: ", " ms"); !ok {
		return nil, false
	}
	if b, billed, ok = layoutField(b, "\tBilled Duration: ", " ms"); !ok {
		return nil, false
	}
	if b, mem, ok = layoutField(b, "\tMemory Size: ", " MB"); !ok {
		return nil, false
	}
	if b, used, ok = layoutField(b, "\tMax Memory Used: ", " MB"); !ok {
		return nil, false
	}
	ev.DurationMs, ev.BilledDurationMs, ev.MemoryMB, ev.MaxMemoryUsedMB = d, billed, int(mem), int(used)
	return b, true
}

// layoutField reads label, a number and unit at the start of b.
func layoutField(b []byte, label, unit string) ([]byte, float64, bool) {
	if !hasPrefix(b, label) {
		return nil, 0, false
	}
	b = b[len(label):]
	i := 0
	for i < len(b) && b[i] != ' ' {
		i++
	}
	v, ok := parseFloat(b[:i])
	if !ok || !hasPrefix(b[i:], unit) {
		return nil, 0, false
	}
	return b[i+len(unit):], v, true
}

// parseInitReport parses "Init Duration: 10000.00 ms\tPhase: init\tStatus:
// timeout\tError Type: ..." and "Restore Duration: 211.30 ms".
func parseInitReport(rest []byte, ev *Event, typ EventType) LineKind {
	ev.Type = typ
	if typ == EventRestoreReport {
		ev.InitType = InitSnapStart
	}
	have := false
	ok := fields(rest, func(f reportField, value, unit []byte) (bool, bool) {
		var used, ok bool
		switch f {
		case fInitDuration, fRestoreDuration:
			ev.DurationMs, used, ok = number(value, unit, "ms")
			have = true
		case fPhase:
			if string(value) == "invoke" {
				ev.Phase = PhaseInvoke
			}
			ok = true
		case fStatus:
			ev.Status, ok = value, true
		case fErrorType:
			ev.ErrorType, ok = value, true
		default:
			ok = true
		}
		return used, ok
	})
	if !ok || !have {
		return LineMalformed
	}
	return LinePlatform
}

// platformMarker is what every JSON platform event contains (after a
// quote); application JSON lines are rejected by this one search. It
// starts with a letter rarer in JSON than the quote.
var platformMarker = []byte(`platform.`)

// platformType returns the event name after "type":"platform. ("report"),
// or nil. Lambda writes the type second, after "time", which is checked
// first: then it also returns the time and where the fields after the type
// start (else 0); other key orders and spacing are found by a search.
func platformType(msg []byte) (name, time []byte, resume int) {
	rest := msg
	if hasPrefix(msg, `{"time":"`) {
		if j := bytes.IndexByte(msg[9:], '"'); j >= 0 {
			rest = msg[9+j+1:]
			if hasPrefix(rest, `,"type":"platform.`) {
				name = nameUntilQuote(rest[len(`,"type":"platform.`):])
				return name, msg[9 : 9+j], 9 + j + 1 + len(`,"type":"platform.`) + len(name) + 1
			}
		}
	}
	for {
		i := bytes.Index(rest, platformMarker)
		if i < 0 {
			return nil, nil, 0
		}
		if i == 0 || rest[i-1] != '"' {
			rest = rest[i+len(platformMarker):]
			continue
		}
		// It must be the value of "type": look back over `"type" :`.
		k := i - 2
		for k >= 0 && isSep(rest[k]) {
			k--
		}
		if k >= 0 && rest[k] == ':' {
			k--
			for k >= 0 && isSep(rest[k]) {
				k--
			}
			if k >= 5 && string(rest[k-5:k+1]) == `"type"` {
				return nameUntilQuote(rest[i+len(platformMarker):]), nil, 0
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
	name, timeStr, resume := platformType(msg)
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
	var seen int
	b := msg
	i, depth := 0, 0
	if resume > 0 {
		i, depth = resume, 1 // after "time" and "type"
	}
	for i < len(b) {
		switch b[i] {
		case '{', '[':
			depth++
			i++
			continue
		case '}', ']':
			depth--
			i++
			continue
		case '"':
		default:
			i++
			continue
		}
		// A string: a key when a colon follows.
		k1 := closeQuote(b, i+1)
		if k1 < 0 {
			return LineMalformed
		}
		key := b[i+1 : k1]
		j := skipJSONSpace(b, k1+1)
		if j >= len(b) || b[j] != ':' {
			i = j // a string in an array
			continue
		}
		j = skipJSONSpace(b, j+1)
		if j >= len(b) {
			return LineMalformed
		}
		switch b[j] {
		case '"':
			v1 := closeQuote(b, j+1)
			if v1 < 0 {
				return LineMalformed
			}
			i = v1 + 1
			if f, _ := jsonField(key); f != 0 {
				setJSONString(ev, f, b[j+1:v1], &seen, &timeStr)
			}
			continue
		case '{', '[':
			i = j // its fields follow
			continue
		}
		k := j
		for k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' && b[k] > ' ' {
			k++
		}
		if k == len(b) { // cut off inside a number
			return LineMalformed
		}
		i = k
		val := b[j:k]
		if len(val) == 0 {
			return LineMalformed // a key without a value
		}
		if val[0] == 'n' {
			continue // null
		}
		_, f := jsonField(key)
		if f == 0 {
			continue
		}
		v, ok := parseFloat(val)
		if !ok || v < 0 {
			return LineMalformed
		}
		switch f {
		case fDuration:
			ev.DurationMs = v
			seen |= hasDuration
		case fBilledDuration:
			ev.BilledDurationMs = v
		case fMemorySize:
			ev.MemoryMB = int(v)
			seen |= hasMemory
		case fMaxMemoryUsed:
			ev.MaxMemoryUsedMB = int(v)
		case fInitDuration:
			ev.InitDurationMs = v
		case fRestoreDuration:
			ev.RestoreDurationMs = v
		case fBilledRestoreDuration:
			ev.BilledRestoreMs = v
		}
	}
	if depth != 0 {
		return LineMalformed
	}
	switch ev.Type {
	case EventStart:
		if seen&hasRequestID == 0 {
			return LineMalformed
		}
	case EventReport:
		// Only the request id and the duration are required: Lambda leaves
		// the other metrics out of some records (a timed-out invocation's
		// report may carry durationMs alone), and a zero memory size means
		// the environment's (see [Analyze]).
		if seen&(hasRequestID|hasDuration) != hasRequestID|hasDuration || (seen&hasMemory != 0 && ev.MemoryMB <= 0) {
			return LineMalformed
		}
	case EventInitReport, EventRestoreReport:
		if seen&hasDuration == 0 {
			return LineMalformed
		}
	}
	ev.jsonTime = timeStr
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
		switch b[s.i] {
		case '{', '[':
			s.depth++
			s.i++
		case '}', ']':
			s.depth--
			s.i++
		case '"':
			str, end := quoted(b, s.i)
			if end < 0 {
				return s.fail()
			}
			j := end
			for j < len(b) && isSep(b[j]) {
				j++
			}
			if j >= len(b) || b[j] != ':' {
				s.i = end // a string value inside an array
				continue
			}
			j++
			for j < len(b) && isSep(b[j]) {
				j++
			}
			if j >= len(b) {
				return s.fail()
			}
			key = str
			switch b[j] {
			case '"':
				v, vend := quoted(b, j)
				if vend < 0 {
					return s.fail()
				}
				s.i = vend
				return key, v, true, true
			case '{', '[':
				s.i = j
				return key, nil, false, true
			default:
				k := j
				for k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' && !isSep(b[k]) {
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

// quoted returns the contents of the string starting at b[i] == '"'
// (escapes kept) and the index after its closing quote, or -1.
func quoted(b []byte, i int) ([]byte, int) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return nil, -1
		}
		j += k
		// The quote is escaped after an odd number of backslashes.
		n := 0
		for m := j - 1; m > i && b[m] == '\\'; m-- {
			n++
		}
		if n%2 == 0 {
			return b[i+1 : j], j + 1
		}
		j++
	}
}

// fail ends the scan of a truncated or corrupt object.
func (s *jsonScanner) fail() (key, val []byte, isStr, ok bool) {
	s.bad = true
	s.i = len(s.b)
	return nil, nil, false, false
}

// What the fields of a JSON platform record mean to [parseJSON].
const (
	hasRequestID = 1 << iota
	hasDuration
	hasMemory
)

// JSON string fields.
const (
	jTime = iota + 1
	jRequestID
	jVersion
	jFunctionName
	jStatus
	jErrorType
	jInitType
	jPhase
)

// jsonField returns what a key of a JSON platform record holds: a string
// field (j...) or a metric (f...), or neither; keys are told apart by
// length first.
func jsonField(k []byte) (str int, num reportField) {
	switch len(k) {
	case 4:
		if string(k) == "time" {
			return jTime, 0
		}
	case 5:
		if string(k) == "phase" {
			return jPhase, 0
		}
	case 6:
		if string(k) == "status" {
			return jStatus, 0
		}
	case 7:
		if string(k) == "version" {
			return jVersion, 0
		}
	case 9:
		switch string(k) {
		case "requestId":
			return jRequestID, 0
		case "errorType":
			return jErrorType, 0
		}
	case 10:
		if string(k) == "durationMs" {
			return 0, fDuration
		}
	case 12:
		switch string(k) {
		case "functionName":
			return jFunctionName, 0
		case "memorySizeMB":
			return 0, fMemorySize
		}
	case 14:
		if string(k) == "initDurationMs" {
			return 0, fInitDuration
		}
	case 15:
		switch string(k) {
		case "functionVersion":
			return jVersion, 0
		case "maxMemoryUsedMB":
			return 0, fMaxMemoryUsed
		}
	case 16:
		if string(k) == "billedDurationMs" {
			return 0, fBilledDuration
		}
	case 17:
		if string(k) == "restoreDurationMs" {
			return 0, fRestoreDuration
		}
	case 18:
		if string(k) == "initializationType" {
			return jInitType, 0
		}
	case 23:
		if string(k) == "billedRestoreDurationMs" {
			return 0, fBilledRestoreDuration
		}
	}
	return 0, 0
}

func setJSONString(ev *Event, f int, val []byte, seen *int, timeStr *[]byte) {
	switch f {
	case jTime:
		*timeStr = val
	case jRequestID:
		ev.RequestID = val
		*seen |= hasRequestID
	case jVersion:
		ev.Version = val
	case jFunctionName:
		ev.FunctionName = val
	case jStatus:
		ev.Status = val
	case jErrorType:
		ev.ErrorType = val
	case jInitType:
		if ev.InitType == InitUnknown {
			ev.InitType = parseInitType(val)
		}
	case jPhase:
		if string(val) == "invoke" {
			ev.Phase = PhaseInvoke
		}
	}
}

// closeQuote returns the index of the quote closing the JSON string whose
// contents start at b[i], or -1.
func closeQuote(b []byte, i int) int {
	for {
		k := bytes.IndexByte(b[i:], '"')
		if k < 0 {
			return -1
		}
		j := i + k
		// The quote is escaped after an odd number of backslashes.
		n := 0
		for m := j - 1; m >= i && b[m] == '\\'; m-- {
			n++
		}
		if n%2 == 0 {
			return j
		}
		i = j + 1
	}
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' {
		i++
	}
	return i
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

// parseFloat parses a plain decimal number ("180.21", "2491") without
// allocating; other syntaxes fall back to strconv.
func parseFloat(b []byte) (float64, bool) {
	n := len(b)
	var ip uint64
	i := 0
	for ; i < n; i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		ip = ip*10 + uint64(d)
	}
	if i == 0 || i > 15 {
		return parseFloatSlow(b)
	}
	if i == n {
		return float64(ip), true
	}
	if b[i] != '.' {
		return parseFloatSlow(b)
	}
	i++
	start := i
	var fp uint64
	for ; i < n && i-start < 9; i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		fp = fp*10 + uint64(d)
	}
	places := i - start
	for i < n && b[i]-'0' <= 9 {
		i++ // digits beyond nanosecond precision are dropped
	}
	if i != n || places == 0 {
		return parseFloatSlow(b)
	}
	return float64(ip) + float64(fp)/pow10[places], true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

func parseFloatSlow(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// isSep reports whether c separates the words of a platform line.
func isSep(c byte) bool { return sepTable[c] }

var sepTable = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func skipSep(b []byte) []byte {
	for len(b) > 0 && isSep(b[0]) {
		b = b[1:]
	}
	return b
}

// firstToken returns b up to its first separator.
func firstToken(b []byte) []byte {
	for i, c := range b {
		if isSep(c) {
			return b[:i]
		}
	}
	return b
}

func trimSpace(b []byte) []byte { return skipSep(trimRightSpace(b)) }

func trimRightSpace(b []byte) []byte {
	for len(b) > 0 && isSep(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}
