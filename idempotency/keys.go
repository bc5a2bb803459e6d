package idempotency

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event"
	"github.com/rampartdev/rampart/internal/s3seq"
)

// Key extractors for the event sources that deliver at least once. Each is a
// [KeyFunc]: it returns the same key for every delivery of one event and
// different keys for different events, and [ErrMissingKey] when the input
// lacks what identifies it (run such inputs unguarded with
// Options.AllowMissingKey, or reject them). Each documents what counts as
// "the same event". The S3, SQS and EventBridge keys join their fields
// with "|", and only their last field (an S3 object key, a message id) may
// contain "|", so two different field lists never make one key; the API
// Gateway keys, several of whose fields are the client's or the
// authorizer's, length-prefix every field.

// IdempotencyKeyHeader is the HTTP header the API Gateway extractors read.
const IdempotencyKeyHeader = "Idempotency-Key"

// S3Key returns the key of one S3 event record: bucket, event name,
// versionId (when the bucket is versioned), the sequencer and the URL-decoded
// object key.
//
// The same event is one notification that S3 (or SQS, or Lambda's retry)
// delivers again: it repeats every field. The sequencer is S3's per-key
// order token, different for each PUT and DELETE of a key, so a second
// upload of the same content (A, B, then A again: same eTag) and a second
// delete of one key are distinct events, processed again. The eTag is not
// part of the key: it identifies content, not events, and [Payload] hashes
// it, so one event seen with other content is a *[PayloadMismatchError].
// The key is decoded (S3 delivers it URL-encoded, "+" for space), so
// "a+b.jpg", "a%20b.jpg" and a decoded "a b.jpg" in URLDecodedKey are one
// object. Sequencers are normalised exactly as the media service orders
// them (one shared definition): hexadecimal ones left-padded with zeros
// to 32 digits and upper-cased.
// An S3-compatible server's record (eventSource "minio:s3", "ceph:s3")
// is keyed under its name without the "s3:" MinIO writes
// (s3:ObjectCreated:Put is ObjectCreated:Put), as [SQSS3Keys] keys it.
// Records of other event types (restore, lifecycle, replication, tagging)
// also carry their eventTime, since S3 does not document their sequencer as
// unique per event.
//
// A record without bucket, object key or sequencer is [ErrMissingKey], and
// so is an ObjectCreated record without eTag (S3 always sends one; without
// it the content cannot be validated). Delete events carry no eTag.
func S3Key(r events.S3EventRecord) (string, error) {
	b, o, name := r.S3.Bucket.Name, r.S3.Object, s3event.EventName(r)
	if b == "" || o.Key == "" && o.URLDecodedKey == "" {
		return "", fmt.Errorf("%w: S3 record without bucket or object key", ErrMissingKey)
	}
	if o.Sequencer == "" {
		return "", fmt.Errorf("%w: S3 record for %s/%s without a sequencer", ErrMissingKey, b, o.Key)
	}
	if o.ETag == "" && strings.HasPrefix(name, "ObjectCreated:") {
		return "", fmt.Errorf("%w: S3 %s record for %s/%s without an eTag", ErrMissingKey, name, b, o.Key)
	}
	key, err := s3ObjectKey(o)
	if err != nil {
		return "", err
	}
	seq, err := s3seq.Normalize(o.Sequencer)
	if err != nil {
		seq = o.Sequencer // not hexadecimal (test samples): compared as it is
	}
	var k strings.Builder
	k.Grow(len(b) + len(name) + len(o.VersionID) + len(seq) + len(key) + 48)
	for _, f := range []string{"s3", b, name, o.VersionID, seq} {
		k.WriteString(f)
		k.WriteByte('|')
	}
	if !strings.HasPrefix(name, "ObjectCreated:") && !strings.HasPrefix(name, "ObjectRemoved:") {
		k.WriteString(r.EventTime.UTC().Format("2006-01-02T15:04:05.000Z"))
		k.WriteByte('|')
	}
	k.WriteString(key)
	return k.String(), nil
}

// s3ObjectKey returns the decoded object key: URLDecodedKey when set (as
// aws-lambda-go's decoder sets it), else Key decoded.
func s3ObjectKey(o events.S3Object) (string, error) {
	if o.URLDecodedKey != "" {
		return o.URLDecodedKey, nil
	}
	k, err := url.QueryUnescape(o.Key)
	if err != nil {
		return "", fmt.Errorf("idempotency: S3 object key %q is not URL-encoded as S3 encodes keys: %w", o.Key, err)
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

// SQSKey returns the key of one SQS message: its messageId, scoped by the
// queue's ARN, for standard and FIFO queues alike.
//
// The same event is one message that SQS delivers again (after its
// visibility timeout, or when Lambda retries a batch): the messageId is
// kept. A producer's second send is a new message with a new messageId,
// processed again; on a FIFO queue SQS itself drops a second send with the
// same MessageDeduplicationId within its five-minute window. The
// deduplication id is deliberately not the key: with content-based
// deduplication it is a hash of the body, so the same command sent an hour
// later (a new message to SQS) would be replayed instead of run. To
// deduplicate by a business id in the body, write a KeyFunc over it. S3
// notifications sent to a queue (directly, through SNS or from
// EventBridge) are such a producer: S3 itself may send one event twice, as
// two messages; key them by [SQSS3Keys], not by SQSKey.
//
// A message without messageId is [ErrMissingKey].
func SQSKey(m events.SQSMessage) (string, error) {
	if m.MessageId == "" {
		return "", fmt.Errorf("%w: SQS message without messageId", ErrMissingKey)
	}
	return "sqs|" + m.EventSourceARN + "|" + m.MessageId, nil
}

// EventBridgeKey returns the key of an EventBridge event: its source and id.
//
// The same event is one event that EventBridge delivers again (its retry
// policy keeps the id); ids are unique per event put on a bus. An event
// without id is [ErrMissingKey].
func EventBridgeKey(e events.EventBridgeEvent) (string, error) {
	if e.ID == "" {
		return "", fmt.Errorf("%w: EventBridge event without id", ErrMissingKey)
	}
	return "events|" + e.Source + "|" + e.ID, nil
}

// APIGatewayKey returns the key of a REST API (payload v1) request: the
// client's Idempotency-Key header (any case), scoped by API, stage, method,
// resource and caller, so that one key cannot replay another endpoint's
// response, nor another caller's.
//
// The same request is the client's retry: it repeats the header, method and
// route, and comes from the same caller. The header's value is used without
// surrounding space and, when it is quoted as a structured-field string (as
// the IETF Idempotency-Key draft sends it: "abc"), without the quotes, so
// both spellings are one key. The resource is the route template
// ("/orders/{id}"); a request without one (a test event, a proxy
// integration that does not set it) is scoped by its path. The caller is
// [APIGatewayPrincipal]: an authorizer's principal, an IAM caller, a client
// certificate, or [AnonymousPrincipal] on a route without authentication.
// Every field is length-prefixed, so no header value, path or principal can
// make two scopes one key.
//
// A request without the header (or with an empty one) is [ErrMissingKey];
// one with the header but without both method and path is
// [ErrUnscopedKey], and one whose authorizer gave no principal is
// [ErrNoPrincipal]; both also match ErrMissingKey.
//
// [APIGatewayKeyFrom] reads another header, [APIGatewayKeyWith] takes
// another principal (a tenant claim, say).
func APIGatewayKey(r events.APIGatewayProxyRequest) (string, error) {
	return apiGatewayKey(r, IdempotencyKeyHeader, APIGatewayPrincipal)
}

// APIGatewayKeyFrom returns [APIGatewayKey] with the key read from the
// header name (any case; empty means Idempotency-Key). The key is scoped
// the same way: for one endpoint and caller, a request that carries value
// v in name is the same request as one that carries v in Idempotency-Key.
func APIGatewayKeyFrom(name string) KeyFunc[events.APIGatewayProxyRequest] {
	return APIGatewayKeyWith(name, nil)
}

// APIGatewayKeyWith returns [APIGatewayKeyFrom] with the key scoped by the
// caller that principal returns instead of [APIGatewayPrincipal] (nil
// means APIGatewayPrincipal). A principal that returns an error or an
// empty string makes the key [ErrNoPrincipal].
func APIGatewayKeyWith(name string, principal PrincipalFunc[events.APIGatewayProxyRequest]) KeyFunc[events.APIGatewayProxyRequest] {
	if name == "" {
		name = IdempotencyKeyHeader
	}
	if principal == nil {
		principal = APIGatewayPrincipal
	}
	return func(r events.APIGatewayProxyRequest) (string, error) { return apiGatewayKey(r, name, principal) }
}

func apiGatewayKey(r events.APIGatewayProxyRequest, name string, principal PrincipalFunc[events.APIGatewayProxyRequest]) (string, error) {
	v := header(r.Headers, name)
	if v == "" {
		if vs := headerValues(r.MultiValueHeaders, name); len(vs) > 0 {
			v = headerValue(vs[0])
		}
	}
	if v == "" {
		return "", fmt.Errorf("%w: request without %s header", ErrMissingKey, name)
	}
	route := r.Resource
	if route == "" {
		route = r.Path
	}
	if r.HTTPMethod == "" || route == "" {
		return "", fmt.Errorf("%w (%s)", ErrUnscopedKey, name)
	}
	p, err := principalOf(principal, r)
	if err != nil {
		return "", err
	}
	return fields("apigw", r.RequestContext.APIID, r.RequestContext.Stage, r.HTTPMethod+" "+route, p, v), nil
}

// APIGatewayV2Key returns the key of an HTTP API or function URL (payload
// v2) request: the client's Idempotency-Key header, scoped by API, stage,
// method, route and caller, as [APIGatewayKey] describes. The route is the
// route key ("POST /orders"); for the $default route (and function URLs)
// it is the method and raw path. The caller is [APIGatewayV2Principal].
// [APIGatewayV2KeyFrom] reads another header, [APIGatewayV2KeyWith] takes
// another principal.
func APIGatewayV2Key(r events.APIGatewayV2HTTPRequest) (string, error) {
	return apiGatewayV2Key(r, IdempotencyKeyHeader, APIGatewayV2Principal)
}

// APIGatewayV2KeyFrom returns [APIGatewayV2Key] with the key read from the
// header name (any case; empty means Idempotency-Key), scoped the same way.
func APIGatewayV2KeyFrom(name string) KeyFunc[events.APIGatewayV2HTTPRequest] {
	return APIGatewayV2KeyWith(name, nil)
}

// APIGatewayV2KeyWith returns [APIGatewayV2KeyFrom] with the key scoped by
// the caller that principal returns instead of [APIGatewayV2Principal]
// (nil means APIGatewayV2Principal). A principal that returns an error or
// an empty string makes the key [ErrNoPrincipal].
func APIGatewayV2KeyWith(name string, principal PrincipalFunc[events.APIGatewayV2HTTPRequest]) KeyFunc[events.APIGatewayV2HTTPRequest] {
	if name == "" {
		name = IdempotencyKeyHeader
	}
	if principal == nil {
		principal = APIGatewayV2Principal
	}
	return func(r events.APIGatewayV2HTTPRequest) (string, error) { return apiGatewayV2Key(r, name, principal) }
}

func apiGatewayV2Key(r events.APIGatewayV2HTTPRequest, name string, principal PrincipalFunc[events.APIGatewayV2HTTPRequest]) (string, error) {
	v := header(r.Headers, name)
	if v == "" {
		return "", fmt.Errorf("%w: request without %s header", ErrMissingKey, name)
	}
	route := r.RouteKey
	if route == "" || route == "$default" {
		if r.RequestContext.HTTP.Method == "" || r.RawPath == "" {
			return "", fmt.Errorf("%w (%s)", ErrUnscopedKey, name)
		}
		route = r.RequestContext.HTTP.Method + " " + r.RawPath
	}
	p, err := principalOf(principal, r)
	if err != nil {
		return "", err
	}
	return fields("apigw", r.RequestContext.APIID, r.RequestContext.Stage, route, p, v), nil
}

// header returns the value of header name in h, matching case-insensitively
// (API Gateway passes headers as the client sent them; HTTP APIs lowercase
// them).
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return headerValue(v)
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return headerValue(v)
		}
	}
	return ""
}

// headerValue trims v and removes the quotes of a structured-field string
// ("abc" and "a\"b" become abc and a"b).
func headerValue(v string) string {
	v = strings.TrimSpace(v)
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v)-1 {
			i++
			c = v[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

func headerValues(h map[string][]string, name string) []string {
	for k, v := range h {
		if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(name) {
			return v
		}
	}
	return nil
}
