package idempotency

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event"
	"github.com/rampartdev/rampart/internal/s3seq"
)

// Payloader is implemented by inputs that say which of their bytes identify
// the request, for the payload hash that detects a reused key.
type Payloader interface {
	IdempotencyPayload() ([]byte, error)
}

// Payload returns the bytes of v that [Handler] hashes to detect a key
// reused with a different payload: the default [PayloadFunc]. It keeps what
// the sender chose and leaves out what the transport adds or changes between
// two deliveries of the same input:
//
//   - a [Payloader] gives its own bytes;
//   - an SQS message: its body only, in [CanonicalJSON] form when the body
//     is JSON (so a resend with its keys in another order or other spacing
//     is the same payload), else as is. Not the message attributes (a
//     producer's resend may carry another trace id), nor the system
//     attributes, receipt handle or receive count;
//   - an S3 record: event name, bucket, URL-decoded key, size, eTag,
//     versionId and sequencer (so the same key with other content is a
//     mismatch); not the request parameters, user identity or response
//     elements. An S3 notification: its records';
//   - an EventBridge event: source, detail-type, account, region,
//     resources and the detail in canonical form; not the time or the
//     delivery's version;
//   - an API Gateway request: method, path, query and body (not the
//     per-request headers or request context);
//   - []byte and string: as they are;
//   - anything else: its JSON encoding.
func Payload(v any) ([]byte, error) {
	switch v := v.(type) {
	case Payloader:
		return v.IdempotencyPayload()
	case events.SQSMessage:
		return canonicalOrRaw([]byte(v.Body)), nil
	case events.S3EventRecord:
		return json.Marshal(s3Payload(v))
	case events.S3Event:
		recs := make([]s3Fields, len(v.Records))
		for i, r := range v.Records {
			recs[i] = s3Payload(r)
		}
		return json.Marshal(recs)
	case events.EventBridgeEvent:
		return json.Marshal(struct {
			Source     string          `json:"source"`
			DetailType string          `json:"detail-type"`
			Account    string          `json:"account"`
			Region     string          `json:"region"`
			Resources  []string        `json:"resources"`
			Detail     json.RawMessage `json:"detail"`
		}{v.Source, v.DetailType, v.AccountID, v.Region, v.Resources, rawJSON(canonicalOrRaw(v.Detail))})
	case events.APIGatewayProxyRequest:
		return json.Marshal(struct {
			Method, Path string
			Query        map[string][]string
			Body         string
			Base64       bool
		}{v.HTTPMethod, v.Path, v.MultiValueQueryStringParameters, v.Body, v.IsBase64Encoded})
	case events.APIGatewayV2HTTPRequest:
		return json.Marshal(struct {
			Method, Path, Query, Body string
			Base64                    bool
		}{v.RequestContext.HTTP.Method, v.RawPath, v.RawQueryString, v.Body, v.IsBase64Encoded})
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("idempotency: encode payload: %w", err)
	}
	return b, nil
}

// s3Fields is what identifies the content of one S3 event.
type s3Fields struct {
	Event     string `json:"event"`
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	Size      int64  `json:"size"`
	ETag      string `json:"eTag"`
	VersionID string `json:"versionId,omitempty"`
	Sequencer string `json:"sequencer"`
}

func s3Payload(r events.S3EventRecord) s3Fields {
	o := r.S3.Object
	key, err := s3ObjectKey(o)
	if err != nil {
		key = o.Key
	}
	seq, err := s3seq.Normalize(o.Sequencer)
	if err != nil {
		seq = o.Sequencer
	}
	return s3Fields{s3event.EventName(r), r.S3.Bucket.Name, key, o.Size, strings.Trim(o.ETag, `"`), o.VersionID, seq}
}

// rawJSON returns b as a json.RawMessage, or JSON null for an empty b (an
// empty RawMessage does not encode).
func rawJSON(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return json.RawMessage("null")
	}
	if !json.Valid(b) {
		s, _ := json.Marshal(string(b))
		return s
	}
	return b
}

// SQSBody is the [PayloadFunc] that hashes an SQS message's body exactly as
// sent, byte for byte (no JSON canonicalisation).
func SQSBody(m events.SQSMessage) ([]byte, error) { return []byte(m.Body), nil }

// SQSBodyFields returns a [PayloadFunc] that hashes only the named members of
// an SQS message's JSON body, as Powertools' payload_validation_jmespath
// does for simple paths: each path is a dot-separated list of object member
// names ("order.id"); a path that is absent counts as null. Other members
// (a timestamp, a trace id the producer adds) may then differ between two
// messages with one key. A body that is not a JSON object is an error.
func SQSBodyFields(paths ...string) PayloadFunc[events.SQSMessage] {
	split := make([][]string, len(paths))
	for i, p := range paths {
		split[i] = strings.Split(p, ".")
	}
	return func(m events.SQSMessage) ([]byte, error) {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal([]byte(m.Body), &doc); err != nil {
			return nil, fmt.Errorf("idempotency: payload fields of an SQS body that is not a JSON object: %w", err)
		}
		vals := make([]json.RawMessage, len(split))
		for i, path := range split {
			vals[i] = lookup(doc, path)
		}
		out, err := json.Marshal(vals)
		if err != nil {
			return nil, err
		}
		return CanonicalJSON(out)
	}
}

// lookup returns the member at path in doc, or JSON null.
func lookup(doc map[string]json.RawMessage, path []string) json.RawMessage {
	v, ok := doc[path[0]]
	if !ok {
		return json.RawMessage("null")
	}
	if len(path) == 1 {
		return v
	}
	var sub map[string]json.RawMessage
	if json.Unmarshal(v, &sub) != nil {
		return json.RawMessage("null")
	}
	return lookup(sub, path[1:])
}

// canonicalOrRaw returns the canonical form of b when b is a JSON object or
// array, and b itself otherwise.
func canonicalOrRaw(b []byte) []byte {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return b
	}
	if c, err := CanonicalJSON(t); err == nil {
		return c
	}
	return b
}

// errDuplicateMember rejects objects that name a member twice: decoders
// disagree about which one counts, so two such documents cannot be said to
// be the same.
var errDuplicateMember = errors.New("duplicate object member")

// maxCanonicalDepth bounds the nesting CanonicalJSON follows.
const maxCanonicalDepth = 1000

// CanonicalJSON returns the JSON document b in one canonical form: object
// members sorted by name, no insignificant space, strings re-encoded, numbers
// kept exactly as written. Two documents that differ only in member order or
// spacing get the same bytes. A document that is invalid, names an object
// member twice or nests deeper than 1000 levels is an error.
func CanonicalJSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	if err := canonical(dec, &out, 0); err != nil {
		return nil, fmt.Errorf("idempotency: canonical JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("idempotency: canonical JSON: data after the document")
	}
	return out.Bytes(), nil
}

func canonical(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	if depth > maxCanonicalDepth {
		return errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := canonical(dec, out, depth+1); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		case '{':
			type member struct {
				name string
				val  []byte
			}
			var ms []member
			for dec.More() {
				nt, err := dec.Token()
				if err != nil {
					return err
				}
				name, _ := nt.(string)
				var v bytes.Buffer
				if err := canonical(dec, &v, depth+1); err != nil {
					return err
				}
				ms = append(ms, member{name, v.Bytes()})
			}
			slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.name, b.name) })
			out.WriteByte('{')
			for i, m := range ms {
				if i > 0 {
					if ms[i-1].name == m.name {
						return fmt.Errorf("%w %q", errDuplicateMember, m.name)
					}
					out.WriteByte(',')
				}
				writeString(out, m.name)
				out.WriteByte(':')
				out.Write(m.val)
			}
			out.WriteByte('}')
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return err
		}
	case string:
		writeString(out, t)
	case json.Number:
		out.WriteString(t.String())
	case bool:
		if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null")
	}
	return nil
}

func writeString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	enc.Encode(s)               // a string always encodes
	out.Truncate(out.Len() - 1) // Encode's newline
}
