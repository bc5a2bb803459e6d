package lambdatest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/testenv"
)

// EventTime is the time the events of this package were sent, so that they
// are the same on every run.
var EventTime = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// SQSEvent returns the event Lambda's SQS event source mapping delivers for
// one message per body from the queue named queue (empty means "orders") in
// the environment's region: ids in UUID form, the body's MD5, a receipt
// handle, the system attributes (ApproximateReceiveCount 1, SentTimestamp,
// SenderId, ApproximateFirstReceiveTimestamp) and no message attributes.
// A queue whose name ends in ".fifo" is a FIFO queue: its messages are in
// one message group, "group-1", with content-based deduplication ids and
// increasing sequence numbers.
//
// Every field is a function of the queue, the body and its position, so the
// same call gives the same event; change what a test needs (MessageId for a
// second send of one body, MessageAttributes, Attributes) on the result.
func SQSEvent(queue string, bodies ...string) events.SQSEvent {
	if queue == "" {
		queue = "orders"
	}
	arn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region(), AccountID, queue)
	fifo := strings.HasSuffix(queue, ".fifo")
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(bodies))}
	for i, body := range bodies {
		sent := EventTime.Add(time.Duration(i) * time.Millisecond).UnixMilli()
		sum := md5.Sum([]byte(body))
		m := events.SQSMessage{
			MessageId:     uuidOf("sqs", queue, strconv.Itoa(i), body),
			ReceiptHandle: "AQEB" + hex.EncodeToString([]byte(uuidOf("receipt", queue, strconv.Itoa(i), body))),
			Body:          body,
			Md5OfBody:     hex.EncodeToString(sum[:]),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          "1",
				"SentTimestamp":                    strconv.FormatInt(sent, 10),
				"SenderId":                         "AIDAIENQZJOLO23YVJ4VO",
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(sent+5, 10),
			},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs",
			EventSourceARN:    arn,
			AWSRegion:         region(),
		}
		if fifo {
			dedup := sha256.Sum256([]byte(body))
			m.Attributes["MessageGroupId"] = "group-1"
			m.Attributes["MessageDeduplicationId"] = hex.EncodeToString(dedup[:])
			m.Attributes["SequenceNumber"] = fmt.Sprintf("186%017d", i+1)
		}
		ev.Records[i] = m
	}
	return ev
}

// APIGatewayV2Request returns the event an HTTP API (payload format 2.0) or a
// function URL delivers for a request: target is the path with an optional
// query ("/payments?dry_run=1"); the route key is "METHOD path" (set
// RouteKey for a route with parameters, "$default" for the default route).
// Headers are lower case, as HTTP APIs pass them; a body that starts with
// '{' or '[' is sent as application/json. The stage is "$default", the API
// id "api0123456".
func APIGatewayV2Request(method, target, body string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	path, query, _ := strings.Cut(target, "?")
	h := map[string]string{
		"host":              "api0123456.execute-api." + region() + ".amazonaws.com",
		"user-agent":        "lambdatest",
		"x-forwarded-for":   "203.0.113.7",
		"x-forwarded-proto": "https",
		"x-amzn-trace-id":   "Root=1-00000000-" + uuidOf("trace", method, target, body)[:24],
	}
	if body != "" {
		h["content-length"] = strconv.Itoa(len(body))
		if body[0] == '{' || body[0] == '[' {
			h["content-type"] = "application/json"
		}
	}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	r := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       method + " " + path,
		RawPath:        path,
		RawQueryString: query,
		Headers:        h,
		Body:           body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     method + " " + path,
			AccountID:    AccountID,
			Stage:        "$default",
			RequestID:    requestIDOf("v2", method, target, body),
			APIID:        "api0123456",
			DomainName:   h["host"],
			DomainPrefix: "api0123456",
			Time:         EventTime.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    EventTime.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    method,
				Path:      path,
				Protocol:  "HTTP/1.1",
				SourceIP:  "203.0.113.7",
				UserAgent: "lambdatest",
			},
		},
	}
	if q, err := url.ParseQuery(query); err == nil && len(q) > 0 {
		r.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			r.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	return r
}

// APIGatewayRequest returns the event a REST API (payload format 1.0, Lambda
// proxy integration) delivers for a request: target is the path with an
// optional query; the resource is the path (set Resource and
// RequestContext.ResourcePath for a route with parameters). Headers keep
// the case given and are also in MultiValueHeaders, as REST APIs pass them.
// The stage is "prod", the API id "rest012345".
func APIGatewayRequest(method, target, body string, headers map[string]string) events.APIGatewayProxyRequest {
	path, query, _ := strings.Cut(target, "?")
	h := map[string]string{
		"Host":              "rest012345.execute-api." + region() + ".amazonaws.com",
		"User-Agent":        "lambdatest",
		"X-Forwarded-For":   "203.0.113.7",
		"X-Forwarded-Proto": "https",
	}
	if body != "" && (body[0] == '{' || body[0] == '[') {
		h["Content-Type"] = "application/json"
	}
	for k, v := range headers {
		h[k] = v
	}
	mh := make(map[string][]string, len(h))
	for k, v := range h {
		mh[k] = []string{v}
	}
	r := events.APIGatewayProxyRequest{
		Resource:          path,
		Path:              path,
		HTTPMethod:        method,
		Headers:           h,
		MultiValueHeaders: mh,
		Body:              body,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:        AccountID,
			ResourceID:       "abc123",
			Stage:            "prod",
			DomainName:       h["Host"],
			DomainPrefix:     "rest012345",
			RequestID:        requestIDOf("v1", method, target, body),
			Protocol:         "HTTP/1.1",
			Identity:         events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7", UserAgent: "lambdatest"},
			ResourcePath:     path,
			Path:             "/prod" + path,
			HTTPMethod:       method,
			RequestTime:      EventTime.Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: EventTime.UnixMilli(),
			APIID:            "rest012345",
		},
	}
	if q, err := url.ParseQuery(query); err == nil && len(q) > 0 {
		r.QueryStringParameters = map[string]string{}
		r.MultiValueQueryStringParameters = map[string][]string(q)
		for k, vs := range q {
			r.QueryStringParameters[k] = vs[len(vs)-1]
		}
	}
	return r
}

// S3Event returns the notification S3 sends when an object of size bytes is
// put at key in bucket (ObjectCreated:Put, event version 2.1), as Lambda
// receives it: the key URL-encoded as S3 sends it (and decoded in
// URLDecodedKey, as aws-lambda-go's decoding fills it), an eTag, a
// sequencer and the request ids. Set EventName, VersionID, ETag or
// Sequencer on the result for other cases.
func S3Event(bucket, key string, size int64) events.S3Event {
	etag := md5.Sum([]byte(bucket + "/" + key + "/" + strconv.FormatInt(size, 10)))
	seq := sha256.Sum256([]byte("sequencer/" + bucket + "/" + key))
	return events.S3Event{Records: []events.S3EventRecord{{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         region(),
		EventTime:         EventTime,
		EventName:         "ObjectCreated:Put",
		PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:AIDAIENQZJOLO23YVJ4VO"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: "203.0.113.7"},
		ResponseElements: map[string]string{
			"x-amz-request-id": strings.ToUpper(hex.EncodeToString(seq[:8])),
			"x-amz-id-2":       hex.EncodeToString(seq[8:24]),
		},
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: "lambdatest",
			Bucket: events.S3Bucket{
				Name:          bucket,
				OwnerIdentity: events.S3UserIdentity{PrincipalID: "A3NL1KOZZKExample"},
				Arn:           "arn:aws:s3:::" + bucket,
			},
			Object: events.S3Object{
				Key:           strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"),
				URLDecodedKey: key,
				Size:          size,
				ETag:          hex.EncodeToString(etag[:]),
				Sequencer:     strings.ToUpper(hex.EncodeToString(seq[:9])),
			},
		},
	}}}
}

// EventBridgeEvent returns the event EventBridge delivers for detail
// (encoded as JSON) from source with detailType, on the default bus of the
// environment's region.
func EventBridgeEvent(source, detailType string, detail any) events.EventBridgeEvent {
	b, err := json.Marshal(detail)
	if err != nil {
		b = []byte("null")
	}
	return events.EventBridgeEvent{
		Version:    "0",
		ID:         uuidOf("events", source, detailType, string(b)),
		DetailType: detailType,
		Source:     source,
		AccountID:  AccountID,
		Time:       EventTime,
		Region:     region(),
		Resources:  []string{},
		Detail:     b,
	}
}

// Sample returns the sample event name (for example "sqs-event.json",
// "apigw-v2-request-no-authorizer.json") that ships with aws-lambda-go in its
// events/testdata folder: the payloads AWS publishes, read from the module
// version the build uses (located with go list, so the go command must be
// on PATH).
func Sample(t testing.TB, name string) []byte {
	t.Helper()
	return testenv.LambdaEvent(t, name)
}

// uuidOf returns a version 4 UUID derived from parts: the same parts give
// the same id.
func uuidOf(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// requestIDOf returns an API Gateway request id derived from parts.
func requestIDOf(parts ...string) string {
	return uuidOf(append([]string{"request"}, parts...)...)
}
