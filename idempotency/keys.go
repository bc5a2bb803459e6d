package idempotency

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Key extractors for the event sources that deliver at least once. Each is a
// [KeyFunc] and returns [ErrMissingKey] when the identifying fields are
// absent. Fields are used exactly as AWS delivers them (an S3 object key
// stays URL-encoded), joined with "|", which none of them can contain
// unescaped where it matters (bucket names cannot; S3 encodes it in keys).

// IdempotencyKeyHeader is the HTTP header the API Gateway extractors read.
const IdempotencyKeyHeader = "Idempotency-Key"

// S3Key returns the key of one S3 event record: bucket, object key, eTag and,
// when present, versionId. Two uploads to the same object key have different
// eTags (or versions), so each is processed once.
func S3Key(r events.S3EventRecord) (string, error) {
	b, o := r.S3.Bucket.Name, r.S3.Object
	if b == "" || o.Key == "" {
		return "", fmt.Errorf("%w: S3 record without bucket or object key", ErrMissingKey)
	}
	k := "s3|" + b + "|" + o.Key + "|" + o.ETag
	if o.VersionID != "" {
		k += "|" + o.VersionID
	}
	return k, nil
}

// S3EventKey returns the key of an S3 notification: the [S3Key] of its
// records (S3 sends one record per event; several are joined in order).
func S3EventKey(e events.S3Event) (string, error) {
	if len(e.Records) == 0 {
		return "", fmt.Errorf("%w: S3 event without records", ErrMissingKey)
	}
	keys := make([]string, len(e.Records))
	for i, r := range e.Records {
		k, err := S3Key(r)
		if err != nil {
			return "", err
		}
		keys[i] = k
	}
	return strings.Join(keys, "\n"), nil
}

// SQSKey returns the key of one SQS message: for a FIFO queue the
// MessageDeduplicationId (scoped by queue and message group), which a
// producer's retry reuses; otherwise the messageId, scoped by queue.
func SQSKey(m events.SQSMessage) (string, error) {
	if d := m.Attributes["MessageDeduplicationId"]; d != "" {
		return "sqs-fifo|" + m.EventSourceARN + "|" + m.Attributes["MessageGroupId"] + "|" + d, nil
	}
	if m.MessageId == "" {
		return "", fmt.Errorf("%w: SQS message without messageId", ErrMissingKey)
	}
	return "sqs|" + m.EventSourceARN + "|" + m.MessageId, nil
}

// EventBridgeKey returns the key of an EventBridge event: its id, which
// EventBridge keeps across redeliveries.
func EventBridgeKey(e events.EventBridgeEvent) (string, error) {
	if e.ID == "" {
		return "", fmt.Errorf("%w: EventBridge event without id", ErrMissingKey)
	}
	return "events|" + e.Source + "|" + e.ID, nil
}

// APIGatewayKey returns the key of a REST API (payload v1) request: the
// client's Idempotency-Key header (any case), scoped by method and resource
// so that one key cannot replay another endpoint's response.
func APIGatewayKey(r events.APIGatewayProxyRequest) (string, error) {
	v := header(r.Headers, IdempotencyKeyHeader)
	if v == "" {
		if vs := headerValues(r.MultiValueHeaders, IdempotencyKeyHeader); len(vs) > 0 {
			v = vs[0]
		}
	}
	if v == "" {
		return "", fmt.Errorf("%w: request without %s header", ErrMissingKey, IdempotencyKeyHeader)
	}
	return "http|" + r.HTTPMethod + " " + r.Resource + "|" + v, nil
}

// APIGatewayV2Key returns the key of an HTTP API or function URL (payload
// v2) request: the client's Idempotency-Key header, scoped by method and
// route.
func APIGatewayV2Key(r events.APIGatewayV2HTTPRequest) (string, error) {
	v := header(r.Headers, IdempotencyKeyHeader)
	if v == "" {
		return "", fmt.Errorf("%w: request without %s header", ErrMissingKey, IdempotencyKeyHeader)
	}
	route := r.RouteKey
	if route == "" || route == "$default" {
		route = r.RequestContext.HTTP.Method + " " + r.RawPath
	}
	return "http|" + route + "|" + v, nil
}

// header returns the value of header name in h, matching case-insensitively
// (API Gateway passes headers as the client sent them; HTTP APIs lowercase
// them).
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return strings.TrimSpace(v)
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func headerValues(h map[string][]string, name string) []string {
	for k, v := range h {
		if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(name) {
			return v
		}
	}
	return nil
}

// Payloader is implemented by inputs that say which of their bytes identify
// the request, for the payload hash that detects a reused key.
type Payloader interface {
	IdempotencyPayload() ([]byte, error)
}

// Payload returns the bytes of v that [Handler] hashes to detect a key
// reused with a different payload. It leaves out what changes between two
// deliveries of the same request:
//
//   - a [Payloader] gives its own bytes;
//   - an SQS message: its body and message attributes (not the receipt
//     handle or the receive count);
//   - an API Gateway request: method, path, query and body (not the
//     per-request headers or request context);
//   - anything else: its JSON encoding.
func Payload(v any) ([]byte, error) {
	switch v := v.(type) {
	case Payloader:
		return v.IdempotencyPayload()
	case events.SQSMessage:
		return json.Marshal(struct {
			Body       string                                `json:"body"`
			Attributes map[string]events.SQSMessageAttribute `json:"messageAttributes,omitempty"`
		}{v.Body, v.MessageAttributes})
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
