package logging

import (
	"bytes"
	"encoding/json"
)

// eventRecord holds the fields of a record of an S3, SQS, SNS, Kinesis or
// DynamoDB Streams event that identify it. encoding/json matches keys
// case-insensitively, which covers both the "messageId" of SQS and the
// "MessageId" of SNS.
type eventRecord struct {
	EventSource      string            `json:"eventSource"`
	MessageID        string            `json:"messageId"`
	EventID          string            `json:"eventID"`
	ResponseElements map[string]string `json:"responseElements"`
	SNS              *struct {
		MessageID string `json:"MessageId"`
	} `json:"Sns"`
}

// id returns the record's correlation id and the key of its source.
func (r *eventRecord) id() (string, string) {
	switch {
	case r.EventSource == "aws:s3":
		return r.ResponseElements["x-amz-request-id"], KeyS3RequestID
	case r.SNS != nil:
		return r.SNS.MessageID, KeySNSMessageID
	case r.MessageID != "":
		return r.MessageID, KeySQSMessageID
	}
	return r.EventID, KeyEventID
}

// CorrelationID returns the id that ties an invocation to the request that
// caused it, from the raw event payload:
//
//   - API Gateway (REST, HTTP and WebSocket APIs) and function URLs:
//     requestContext.requestId;
//   - S3 notifications: the x-amz-request-id of the first record;
//   - SQS: the messageId of the first record (the batch package switches to
//     each record's own id while that record is processed);
//   - SNS: the MessageId of the first record;
//   - Kinesis and DynamoDB Streams: the eventID of the first record;
//   - EventBridge: the event's id.
//
// It returns "" for any other payload.
//
// It runs on every invocation, and payloads reach 6 MB, so it decodes only
// what it needs: it scans the top-level object's members, skipping values
// without decoding them, decodes requestContext or the identifying members
// of the first element of Records when it reaches them, and stops there: a
// batch costs its first record's scan, not the batch's decoding. Keys match case-insensitively, as in encoding/json.
// A payload malformed after the member that gave the id is not noticed, and
// were requestContext to follow a non-empty Records (no AWS event has both)
// the record would win.
func CorrelationID(payload []byte) string {
	id, _ := correlation(payload)
	return id
}

// correlation returns the correlation id of payload and the key its source
// is logged under when an inner event's id replaces it (see
// [WithInnerCorrelationID]).
func correlation(payload []byte) (id, source string) {
	if len(payload) == 0 || payload[0] != '{' {
		return "", ""
	}
	var eventID, detailType string
	s := scanner{b: payload, i: 1}
	for first := true; ; first = false {
		key, ok := s.member(first)
		if !ok {
			break
		}
		switch {
		case bytes.EqualFold(key, []byte("requestContext")):
			v, ok := s.value()
			if !ok {
				return "", ""
			}
			if id := requestID(v); id != "" {
				return id, KeyAPIRequestID
			}
		case bytes.EqualFold(key, []byte("Records")):
			v, ok := s.firstElement()
			if !ok {
				return "", ""
			}
			if v != nil {
				return recordID(v)
			}
		case bytes.EqualFold(key, []byte("id")):
			if !s.str(&eventID) {
				return "", ""
			}
		case bytes.EqualFold(key, []byte("detail-type")):
			if !s.str(&detailType) {
				return "", ""
			}
		default:
			if _, ok := s.value(); !ok {
				return "", ""
			}
		}
	}
	if eventID != "" && detailType != "" {
		return eventID, KeyEventID
	}
	return "", ""
}

// requestID returns requestId of the requestContext v, decoding nothing
// else, or "".
func requestID(v []byte) string {
	if v[0] != '{' {
		return ""
	}
	var id string
	s := scanner{b: v, i: 1}
	for first := true; ; first = false {
		key, ok := s.member(first)
		if !ok {
			return id
		}
		if bytes.EqualFold(key, []byte("requestId")) {
			if !s.str(&id) {
				return ""
			}
		} else if _, ok := s.value(); !ok {
			return ""
		}
	}
}

// recordID returns the correlation id of the record v and its source's
// key, decoding only the members that identify it: a message body is
// skipped, not decoded.
func recordID(v []byte) (string, string) {
	if v[0] != '{' {
		return "", ""
	}
	var r eventRecord
	s := scanner{b: v, i: 1}
	for first := true; ; first = false {
		key, ok := s.member(first)
		if !ok {
			return r.id()
		}
		var dst any
		switch {
		case bytes.EqualFold(key, []byte("eventSource")):
			dst = &r.EventSource
		case bytes.EqualFold(key, []byte("messageId")):
			dst = &r.MessageID
		case bytes.EqualFold(key, []byte("eventID")):
			dst = &r.EventID
		case bytes.EqualFold(key, []byte("responseElements")):
			dst = &r.ResponseElements
		case bytes.EqualFold(key, []byte("Sns")):
			dst = &r.SNS
		}
		val, ok := s.value()
		if !ok || dst != nil && json.Unmarshal(val, dst) != nil {
			return "", ""
		}
	}
}

// scanner walks the members of a JSON object without decoding the values it
// skips. Its checks are only those needed to find value boundaries; the
// values it returns are decoded (and so validated) by encoding/json.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// member reads up to the value of the object's next member and returns the
// member's key, unquoted. It reports false at the object's end or on
// malformed input.
func (s *scanner) member(first bool) ([]byte, bool) {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] == '}' {
		return nil, false
	}
	if !first {
		if s.b[s.i] != ',' {
			return nil, false
		}
		s.i++
		s.space()
	}
	start := s.i
	if !s.skipString() {
		return nil, false
	}
	key := s.b[start+1 : s.i-1]
	if bytes.IndexByte(key, '\\') >= 0 { // rare: unescape
		var k string
		if json.Unmarshal(s.b[start:s.i], &k) != nil {
			return nil, false
		}
		key = []byte(k)
	}
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return nil, false
	}
	s.i++
	s.space()
	return key, true
}

// value skips the value at the cursor and returns its bytes.
func (s *scanner) value() ([]byte, bool) {
	start := s.i
	if s.i >= len(s.b) {
		return nil, false
	}
	switch c := s.b[s.i]; c {
	case '"':
		if !s.skipString() {
			return nil, false
		}
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if !s.skipString() {
					return nil, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return s.b[start:s.i], true
			}
		}
		return nil, false
	default: // number, true, false, null
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.b[start:s.i], s.i > start
			}
			s.i++
		}
		return nil, false
	}
	return s.b[start:s.i], true
}

// skipString moves past the string at the cursor, reporting false if there
// is none or it is unterminated.
func (s *scanner) skipString() bool {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return false
	}
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return true
		}
	}
	return false
}

// firstElement returns the first element of the array at the cursor, or nil
// when the value is an empty array or not an array (which it skips).
func (s *scanner) firstElement() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		_, ok := s.value()
		return nil, ok
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil, true
	}
	v, ok := s.value()
	return v, ok && v != nil
}

// str decodes the string value at the cursor into dst; a value of another
// type leaves dst unchanged.
func (s *scanner) str(dst *string) bool {
	v, ok := s.value()
	if ok && len(v) > 0 && v[0] == '"' {
		var x string
		if json.Unmarshal(v, &x) == nil {
			*dst = x
		}
	}
	return ok
}
