package coldstart

import (
	"bufio"
	"errors"
	"io"
	"unicode/utf8"
)

// jsonKey is a key of CloudWatch's JSON the reader keeps.
type jsonKey uint8

const (
	kOther     jsonKey = iota
	kMessage           // message, @message
	kTimestamp         // timestamp, @timestamp
	kStream            // logStreamName, logStream, @logStream
	kGroup             // logGroup, logGroupName, @log
	kField             // field (get-query-results)
	kValue             // value (get-query-results)
)

func classifyKey(k []byte) jsonKey {
	switch string(k) {
	case "message", "@message":
		return kMessage
	case "timestamp", "@timestamp":
		return kTimestamp
	case "logStreamName", "logStream", "@logStream":
		return kStream
	case "logGroup", "logGroupName", "@log":
		return kGroup
	case "field":
		return kField
	case "value":
		return kValue
	}
	return kOther
}

// maxJSONDepth bounds the nesting the reader follows.
const maxJSONDepth = 64

// jsonRecords reads JSON holding CloudWatch log events at any depth: an
// object with a message (and timestamp, log stream, log group) is one
// event, and so is an array of {"field", "value"} objects
// (get-query-results). Values of a wrapper object (a subscription
// payload's logStream and logGroup) apply to the events inside it. It
// streams: only the event being read is kept, within maxLineBytes.
type jsonRecords struct {
	br        *bufio.Reader
	s         *scratch
	bytes     int64
	oversized int64

	stack  []byte // '{' or '[' per open level
	expect []bool // per level: an object expects a key next
	key    jsonKey

	// The object being read as an event, at depth objDepth (0: none).
	objDepth        int
	objMsg, objFull bool
	// Inherited from an enclosing object.
	inhDepth  int
	inhStream []byte
	inhGroup  []byte
	objStream []byte
	objGroup  []byte
	objTS     []byte
	pairField []byte
	pairDepth int // the {"field","value"} object, 0: none
	arrDepth  int // the array of pairs, 0: none
	arrMsg    []byte
	arrTS     []byte
	arrStream []byte
	arrGroup  []byte
	arrHasMsg bool
	syntaxAt  int64 // a syntax error to report, at this byte (0: none)
}

func newJSONRecords(br *bufio.Reader, s *scratch) *jsonRecords {
	return &jsonRecords{br: br, s: s}
}

func (r *jsonRecords) counts() (int64, int64) { return r.bytes, r.oversized }

func (r *jsonRecords) readByte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		r.bytes++
	}
	return c, err
}

// nonSpace returns the next byte that is not JSON whitespace.
func (r *jsonRecords) nonSpace() (byte, error) {
	for {
		buf, _ := r.br.Peek(r.br.Buffered())
		i := 0
		for i < len(buf) && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r') {
			i++
		}
		if i > 0 {
			r.br.Discard(i)
			r.bytes += int64(i)
		}
		if i < len(buf) {
			return r.readByte()
		}
		if _, err := r.br.Peek(1); err != nil {
			return 0, err
		}
	}
}

func (r *jsonRecords) depth() int { return len(r.stack) }

func (r *jsonRecords) next(rec *record) error {
	for {
		if r.syntaxAt > 0 {
			*rec = record{msg: append(r.s.msg[:0], "JSON syntax error; reading resumed at the next object"...), bad: true}
			r.s.msg = rec.msg
			r.syntaxAt = 0
			return nil
		}
		c, err := r.nonSpace()
		if err != nil {
			return r.eof(err, rec)
		}
		d := r.depth()
		inObj := d > 0 && r.stack[d-1] == '{'
		switch c {
		case '{', '[':
			if d >= maxJSONDepth {
				r.resync()
				continue
			}
			r.stack = append(r.stack, c)
			r.expect = append(r.expect, c == '{')
			r.open(c, d+1)
			r.key = kOther
		case '}', ']':
			if d == 0 || (c == '}') != (r.stack[d-1] == '{') {
				r.resync()
				continue
			}
			emitted := r.close(c, d, rec)
			r.stack, r.expect = r.stack[:d-1], r.expect[:d-1]
			r.key = kOther
			if emitted {
				return nil
			}
		case ',':
			if inObj {
				r.expect[d-1] = true
			}
		case ':':
			if inObj {
				r.expect[d-1] = false
			}
		case '"':
			if inObj && r.expect[d-1] {
				r.s.key = r.s.key[:0]
				if err := r.str(&r.s.key, 64); err != nil {
					return r.eof(err, rec)
				}
				r.key = classifyKey(r.s.key)
				r.expect[d-1] = false
				continue
			}
			dst, limit := r.target(d, inObj)
			if err := r.str(dst, limit); err != nil {
				return r.eof(err, rec)
			}
			r.key = kOther
		default:
			if !isJSONScalar(c) {
				r.resync()
				continue
			}
			dst, limit := r.target(d, inObj)
			if err := r.scalar(c, dst, limit); err != nil {
				return r.eof(err, rec)
			}
			r.key = kOther
		}
	}
}

// eof ends the read at an error; a file that ends inside an event gives
// that event, bad.
func (r *jsonRecords) eof(err error, rec *record) error {
	if errors.Is(err, io.EOF) && r.objDepth > 0 && r.objMsg {
		r.emitObject(rec)
		rec.bad = true
		r.reset()
		return nil
	}
	return err
}

func isJSONScalar(c byte) bool {
	return c == '-' || isDigit(c) || c == 't' || c == 'f' || c == 'n'
}

// open starts an object or array at depth d.
func (r *jsonRecords) open(c byte, d int) {
	if c == '[' {
		if r.pairDepth == 0 {
			r.arrDepth = d
			r.arrHasMsg = false
			r.arrMsg, r.arrTS, r.arrStream, r.arrGroup = r.arrMsg[:0], r.arrTS[:0], r.arrStream[:0], r.arrGroup[:0]
		}
		return
	}
	if r.arrDepth == d-1 && r.arrDepth > 0 {
		// An object in an array: maybe a {"field","value"} pair.
		r.pairDepth = d
		r.pairField = r.pairField[:0]
	}
	if r.objDepth > 0 && r.objDepth < d && (len(r.objStream) > 0 || len(r.objGroup) > 0) {
		// A wrapper's values apply to the events inside it.
		r.inhDepth = r.objDepth
		r.inhStream = append(r.inhStream[:0], r.objStream...)
		r.inhGroup = append(r.inhGroup[:0], r.objGroup...)
	}
	r.objDepth = d
	r.objMsg, r.objFull = false, true
	r.s.msg, r.objTS, r.objStream, r.objGroup = r.s.msg[:0], r.objTS[:0], r.objStream[:0], r.objGroup[:0]
}

// target returns where a value at depth d goes, if anywhere.
func (r *jsonRecords) target(d int, inObj bool) (*[]byte, int) {
	if !inObj {
		return nil, 0
	}
	if r.pairDepth == d {
		switch r.key {
		case kField:
			r.pairField = r.pairField[:0]
			return &r.pairField, 64
		case kValue:
			r.s.val = r.s.val[:0]
			return &r.s.val, maxLineBytes
		}
	}
	if r.objDepth != d {
		return nil, 0
	}
	switch r.key {
	case kMessage:
		r.objMsg = true
		return &r.s.msg, maxLineBytes
	case kTimestamp:
		r.objTS = r.objTS[:0]
		return &r.objTS, 64
	case kStream:
		r.objStream = r.objStream[:0]
		return &r.objStream, 1024
	case kGroup:
		r.objGroup = r.objGroup[:0]
		return &r.objGroup, 1024
	}
	return nil, 0
}

// close ends the object or array at depth d and reports whether an event
// was completed into rec.
func (r *jsonRecords) close(c byte, d int, rec *record) bool {
	if c == ']' {
		if r.arrDepth == d {
			r.arrDepth = 0
			if r.arrHasMsg {
				*rec = record{msg: r.arrMsg, ts: trimSpace(r.arrTS), stream: r.arrStream, group: r.arrGroup}
				r.arrHasMsg = false
				return true
			}
		}
		return false
	}
	if r.pairDepth == d {
		r.pairDepth = 0
		switch string(r.pairField) {
		case "@message", "message":
			r.arrMsg = append(r.arrMsg[:0], r.s.val...)
			r.arrHasMsg = true
		case "@timestamp", "timestamp":
			r.arrTS = append(r.arrTS[:0], r.s.val...)
		case "@logStream", "logStreamName":
			r.arrStream = append(r.arrStream[:0], r.s.val...)
		case "@log", "logGroup":
			r.arrGroup = append(r.arrGroup[:0], r.s.val...)
		}
	}
	if r.inhDepth == d {
		r.inhDepth = 0
		r.inhStream, r.inhGroup = r.inhStream[:0], r.inhGroup[:0]
	}
	if r.objDepth != d {
		return false
	}
	r.objDepth = 0
	if !r.objMsg {
		return false
	}
	if !r.objFull {
		r.oversized++
		return false
	}
	r.emitObject(rec)
	return true
}

func (r *jsonRecords) emitObject(rec *record) {
	*rec = record{msg: r.s.msg, ts: trimSpace(r.objTS), stream: r.objStream, group: r.objGroup}
	if len(rec.stream) == 0 && r.inhDepth > 0 {
		rec.stream = r.inhStream
	}
	if len(rec.group) == 0 && r.inhDepth > 0 {
		rec.group = r.inhGroup
	}
	r.objMsg = false
}

// reset forgets every open level.
func (r *jsonRecords) reset() {
	r.stack, r.expect = r.stack[:0], r.expect[:0]
	r.objDepth, r.pairDepth, r.arrDepth, r.inhDepth = 0, 0, 0, 0
	r.objMsg, r.arrHasMsg = false, false
	r.key = kOther
}

// resync recovers from a syntax error: what was open is dropped and
// reading goes on at the next object.
func (r *jsonRecords) resync() {
	r.reset()
	r.syntaxAt = r.bytes
	for {
		buf, _ := r.br.Peek(r.br.Buffered())
		for i, c := range buf {
			if c == '{' {
				r.br.Discard(i)
				r.bytes += int64(i)
				return
			}
		}
		r.br.Discard(len(buf))
		r.bytes += int64(len(buf))
		if _, err := r.br.Peek(1); err != nil {
			return
		}
	}
}

// str reads a string whose opening quote was read, undoing its escapes
// into *dst (when dst is not nil) up to limit bytes.
func (r *jsonRecords) str(dst *[]byte, limit int) error {
	full := true
	add := func(b []byte) {
		if dst != nil && full {
			*dst, full = appendBounded(*dst, b, limit)
		}
	}
	for {
		buf, _ := r.br.Peek(r.br.Buffered())
		if len(buf) == 0 {
			if _, err := r.br.Peek(1); err != nil {
				return err
			}
			continue
		}
		i := 0
		for i < len(buf) && buf[i] != '"' && buf[i] != '\\' {
			i++
		}
		add(buf[:i])
		if i == len(buf) {
			r.br.Discard(i)
			r.bytes += int64(i)
			continue
		}
		r.br.Discard(i + 1)
		r.bytes += int64(i + 1)
		if buf[i] == '"' {
			if !full && dst == &r.s.msg {
				r.objFull = false
			}
			return nil
		}
		// An escape.
		e, err := r.readByte()
		if err != nil {
			return err
		}
		switch e {
		case 'n':
			add([]byte{'\n'})
		case 't':
			add([]byte{'\t'})
		case 'r':
			add([]byte{'\r'})
		case 'b':
			add([]byte{'\b'})
		case 'f':
			add([]byte{'\f'})
		case 'u':
			rn, err := r.hex4()
			if err != nil {
				return err
			}
			if utf16IsHigh(rn) {
				// A surrogate pair: \uD83D\uDE00.
				if b, _ := r.br.Peek(2); len(b) == 2 && b[0] == '\\' && b[1] == 'u' {
					r.br.Discard(2)
					r.bytes += 2
					lo, err := r.hex4()
					if err != nil {
						return err
					}
					rn = (rn-0xd800)<<10 | (lo - 0xdc00) + 0x10000
				}
			}
			var u [4]byte
			add(u[:utf8.EncodeRune(u[:], rn)])
		default: // \" \\ \/ and anything else: the character itself
			add([]byte{e})
		}
	}
}

func utf16IsHigh(r rune) bool { return r >= 0xd800 && r < 0xdc00 }

func (r *jsonRecords) hex4() (rune, error) {
	var v rune
	for range 4 {
		c, err := r.readByte()
		if err != nil {
			return 0, err
		}
		switch {
		case isDigit(c):
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return utf8.RuneError, nil
		}
	}
	return v, nil
}

// scalar reads a number or literal whose first byte c was read.
func (r *jsonRecords) scalar(c byte, dst *[]byte, limit int) error {
	add := func(b byte) {
		if dst != nil && len(*dst) < limit {
			*dst = append(*dst, b)
		}
	}
	add(c)
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if b[0] == ',' || b[0] == '}' || b[0] == ']' || b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r' || b[0] == ':' {
			return nil
		}
		add(b[0])
		r.br.Discard(1)
		r.bytes++
	}
}
