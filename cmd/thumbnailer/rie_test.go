package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	deployaws "github.com/rampartdev/rampart/deploy/aws"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/internal/rietest"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/dynamorecords"
	"github.com/rampartdev/rampart/media/mediatest"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

// TestRIE runs the thumbnailer as it is deployed: the bootstrap built for
// Linux with -tags lambda.norpc, started by the Lambda Runtime Interface
// Emulator (aws-lambda-rie, a tool of this module) on 127.0.0.1, reaching a
// real S3-compatible server process (versitygw, from tools/testenv) and
// dynalite through the SDK's standard variables only (AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL_DYNAMODB). Between the bootstrap and each server sits a
// recording proxy that can fail requests, so the test sees every call the
// code makes and can make S3 fail half way through writing thumbnails.
//
// It delivers SQS batches of real-shaped S3 notifications: URL-encoded keys,
// a multipart upload's eTag, two versions of one object out of order, a
// delete followed by the stale create, the S3 TestEvent, a body that is not
// JSON, a duplicate (which must cost no S3 request), an event whose
// thumbnail writes fail half way and succeed on redelivery, and one whose
// media record cannot be committed (DynamoDB failing after the thumbnails
// were written) until its redelivery. It checks the
// responses, the bucket, both tables, that every line the bootstrap writes
// on stdout and stderr is one JSON object (with one correlation_id), that
// every EMF document names its request, and that the S3 and DynamoDB
// calls are exactly the grants deploy/aws lists for the code.
func TestRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap")
	}
	s3srv := testenv.S3(t)
	ddbURL := testenv.DynamoDBEndpoint(t)
	ctx := t.Context()

	// The servers, as the test itself reaches them (not through the proxies).
	cfg := aws.Config{Region: s3srv.Region, Credentials: credentials.NewStaticCredentialsProvider(s3srv.AccessKeyID, s3srv.SecretAccessKey, "")}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(s3srv.URL) })
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ddbURL) })
	suffix := fmt.Sprint(time.Now().UnixNano())
	bucket := "rie-" + suffix
	mediaTable, idemTable := "media-rie-"+suffix, "idempotency-rie-"+suffix
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if err := dynamorecords.CreateTable(ctx, ddb, mediaTable); err != nil {
		t.Fatal(err)
	}
	if err := dynamostore.CreateTable(ctx, ddb, idemTable, nil); err != nil && !isTTLUnsupported(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, tbl := range []string{mediaTable, idemTable} {
			ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(tbl)})
		}
	})

	s3proxy := newFaultProxy(t, s3srv.URL)
	ddbProxy := newFaultProxy(t, ddbURL)

	fn := rietest.Start(t, ".", []string{
		"AWS_LAMBDA_FUNCTION_NAME=rampart-thumbnailer-test", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024", "AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"AWS_REGION=" + s3srv.Region,
		"AWS_ACCESS_KEY_ID=" + s3srv.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + s3srv.SecretAccessKey,
		// The only way the bootstrap learns where the servers are.
		"AWS_ENDPOINT_URL_S3=" + s3proxy.URL, "AWS_ENDPOINT_URL_DYNAMODB=" + ddbProxy.URL,
		"AWS_MAX_ATTEMPTS=2",
		// Anything not sent to 127.0.0.1 goes to a closed port: a bootstrap
		// ignoring the endpoints fails here instead of reaching AWS.
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9",
		thumbnailer.EnvBucket + "=" + bucket, thumbnailer.EnvMediaTable + "=" + mediaTable, thumbnailer.EnvIdempotencyTable + "=" + idemTable,
		thumbnailer.EnvSizes + "=300,100",
	})

	// The objects, uploaded straight to the server.
	put := func(key string, body []byte) (etag, version string) {
		t.Helper()
		out, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body), ContentType: aws.String("image/jpeg")})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Trim(aws.ToString(out.ETag), `"`), aws.ToString(out.VersionId)
	}
	encKey := "uploads/holiday photos/Zürich + lake (1).jpg"
	encETag, encVersion := put(encKey, mediatest.MustJPEG(t, 640, 480, 10))
	bigKey := "uploads/big.jpg"
	bigETag, bigVersion := multipartPut(t, s3c, bucket, bigKey, bigJPEG(t, 6<<20))
	if !strings.HasSuffix(bigETag, "-2") {
		t.Fatalf("multipart eTag %s: want the -2 form", bigETag)
	}
	verKey := "uploads/versions.jpg"
	v1ETag, v1 := put(verKey, mediatest.MustJPEG(t, 400, 300, 20))
	v2ETag, v2 := put(verKey, mediatest.MustJPEG(t, 500, 300, 30))
	if v1 == "" || v2 == "" || v1 == v2 {
		t.Fatalf("versions %q and %q: the bucket does not version", v1, v2)
	}
	delKey := "uploads/deleted.jpg"
	delETag, delVersion := put(delKey, mediatest.MustJPEG(t, 300, 300, 40))
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &delKey}); err != nil {
		t.Fatal(err)
	}
	faultKey := "uploads/fault.jpg"
	faultETag, faultVersion := put(faultKey, mediatest.MustJPEG(t, 320, 240, 50))
	ddbKey := "uploads/ddb-fault.jpg"
	ddbETag, ddbVersion := put(ddbKey, mediatest.MustJPEG(t, 320, 240, 70))

	msgs := map[string]events.SQSMessage{
		"m-enc":      sqsMessage("m-enc", s3Body(t, "ObjectCreated:Put", bucket, encKey, encETag, encVersion, "0062000000000000A1", "REQENC")),
		"m-big":      sqsMessage("m-big", s3Body(t, "ObjectCreated:CompleteMultipartUpload", bucket, bigKey, bigETag, bigVersion, "0062000000000000B1", "REQBIG")),
		"m-test":     sqsMessage("m-test", fmt.Sprintf(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-12-02T08:00:00.000Z","Bucket":%q,"RequestId":"REQTEST","HostId":"h"}`, bucket)),
		"m-bad":      sqsMessage("m-bad", "this is not JSON"),
		"m-v2":       sqsMessage("m-v2", s3Body(t, "ObjectCreated:Put", bucket, verKey, v2ETag, v2, "0062000000000000C2", "REQV2")),
		"m-v1":       sqsMessage("m-v1", s3Body(t, "ObjectCreated:Put", bucket, verKey, v1ETag, v1, "0062000000000000C1", "REQV1")),
		"m-del":      sqsMessage("m-del", s3Body(t, "ObjectRemoved:DeleteMarkerCreated", bucket, delKey, "", "", "0062000000000000D2", "REQDEL")),
		"m-delstale": sqsMessage("m-delstale", s3Body(t, "ObjectCreated:Put", bucket, delKey, delETag, delVersion, "0062000000000000D1", "REQDELPUT")),
		"m-fault":    sqsMessage("m-fault", s3Body(t, "ObjectCreated:Put", bucket, faultKey, faultETag, faultVersion, "0062000000000000E1", "REQFAULT")),
		"m-ddb":      sqsMessage("m-ddb", s3Body(t, "ObjectCreated:Put", bucket, ddbKey, ddbETag, ddbVersion, "0062000000000000F1", "REQDDB")),
	}
	batch := func(ids ...string) []byte {
		var ev events.SQSEvent
		for _, id := range ids {
			ev.Records = append(ev.Records, msgs[id])
		}
		b, _ := json.Marshal(ev)
		return b
	}

	// 1: the newer version first, with everything else that must succeed,
	// and the one message that must fail alone.
	if got := fn.Invoke(t, "rie-req-1", batch("m-enc", "m-big", "m-test", "m-bad", "m-v2", "m-del")); got != `{"batchItemFailures":[{"itemIdentifier":"m-bad"}]}` {
		t.Fatalf("invocation 1: %s", got)
	}
	// 2: the stale halves of the out-of-order pairs.
	if got := fn.Invoke(t, "rie-req-2", batch("m-v1", "m-delstale")); got != `{"batchItemFailures":[]}` {
		t.Fatalf("invocation 2: %s", got)
	}
	// 3: a duplicate delivery of a processed event: no S3 request at all.
	s3Before := len(s3proxy.calls())
	if got := fn.Invoke(t, "rie-req-3", batch("m-enc")); got != `{"batchItemFailures":[]}` {
		t.Fatalf("invocation 3: %s", got)
	}
	if dup := s3proxy.calls()[s3Before:]; len(dup) != 0 {
		t.Errorf("the duplicate delivery made %d S3 requests: %v", len(dup), dup)
	}
	// 4: S3 fails after the first thumbnail is written: the message (the
	// whole batch, being its only message) is returned for a retry.
	n4 := len(s3proxy.calls())
	s3proxy.setFault(func(c call) bool { return c.Method == http.MethodPut && strings.Contains(c.Path, "/derived/100/") })
	got := fn.Invoke(t, "rie-req-4", batch("m-fault"))
	s3proxy.setFault(nil)
	if !strings.Contains(got, `"errorMessage"`) {
		t.Fatalf("invocation 4 (S3 failing): %s", got)
	}
	if !slices.ContainsFunc(s3proxy.calls()[n4:], func(c call) bool {
		return c.Method == http.MethodPut && strings.Contains(c.Path, "/derived/300/") && c.Status == http.StatusOK
	}) {
		t.Error("the fault did not hit mid-write: the first thumbnail was not written before it")
	}
	// 5: the redelivery, with S3 back.
	if got := fn.Invoke(t, "rie-req-5", batch("m-fault")); got != `{"batchItemFailures":[]}` {
		t.Fatalf("invocation 5 (redelivery): %s", got)
	}

	// 6: DynamoDB fails once the thumbnails are written, at the commit of
	// the media record; 7: the redelivery, with DynamoDB back.
	ddbProxy.setFault(func(c call) bool {
		return c.Table == mediaTable && (strings.HasSuffix(c.Target, ".PutItem") || strings.HasSuffix(c.Target, ".UpdateItem")) &&
			slices.ContainsFunc(s3proxy.calls(), func(s call) bool {
				return s.Method == http.MethodPut && strings.HasSuffix(s.Path, "/derived/100/"+ddbKey)
			})
	})
	got = fn.Invoke(t, "rie-req-6", batch("m-ddb"))
	ddbProxy.setFault(nil)
	if !strings.Contains(got, `"errorMessage"`) {
		t.Fatalf("invocation 6 (DynamoDB failing): %s", got)
	}
	if !slices.ContainsFunc(ddbProxy.calls(), func(c call) bool { return c.Status == http.StatusServiceUnavailable }) {
		t.Error("the DynamoDB fault never hit")
	}
	if got := fn.Invoke(t, "rie-req-7", batch("m-ddb")); got != `{"batchItemFailures":[]}` {
		t.Fatalf("invocation 7 (redelivery): %s", got)
	}

	// The bucket: thumbnails of the newest content of each live object.
	thumbs := map[string]string{encKey: encETag, bigKey: bigETag, verKey: v2ETag, faultKey: faultETag, ddbKey: ddbETag}
	for key, etag := range thumbs {
		for _, size := range []string{"300", "100"} {
			out, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("derived/" + size + "/" + key)})
			if err != nil {
				t.Errorf("thumbnail %s of %s: %v", size, key, err)
				continue
			}
			if aws.ToString(out.ContentType) != "image/jpeg" || out.Metadata["source-etag"] != etag {
				t.Errorf("thumbnail %s of %s: type %s, source eTag %s; want image/jpeg of %s", size, key, aws.ToString(out.ContentType), out.Metadata["source-etag"], etag)
			}
		}
	}
	for _, size := range []string{"300", "100"} {
		if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("derived/" + size + "/" + delKey)}); err == nil {
			t.Errorf("the deleted object has a %s thumbnail: the stale create was processed", size)
		}
	}
	// The media table.
	records := dynamorecords.New(ddb, mediaTable)
	for key, want := range map[string]struct {
		status media.Status
		etag   string
	}{encKey: {media.StatusProcessed, encETag}, bigKey: {media.StatusProcessed, bigETag}, verKey: {media.StatusProcessed, v2ETag},
		faultKey: {media.StatusProcessed, faultETag}, ddbKey: {media.StatusProcessed, ddbETag}} {
		rec, err := records.Get(ctx, media.ID(bucket, key))
		if err != nil || rec.Status != want.status || rec.ETag != want.etag || len(rec.Thumbnails) != 2 {
			t.Errorf("record of %s: %+v, %v; want %s with eTag %s and 2 thumbnails", key, rec, err, want.status, want.etag)
		}
	}
	if rec, err := records.Get(ctx, media.ID(bucket, delKey)); err == nil && rec.Status == media.StatusProcessed {
		t.Errorf("record of the deleted object: %+v", rec)
	}
	// The idempotency table holds the completed events.
	scan, err := ddb.Scan(ctx, &dynamodb.ScanInput{TableName: &idemTable})
	if err != nil || scan.Count < 6 {
		t.Errorf("idempotency table: %v records, %v; want one per processed event", scan.Count, err)
	}

	// Every line the bootstrap wrote, on either stream.
	rietest.WaitFor(t, func() bool { return strings.Contains(fn.Output(), `"rie-req-7"`) })
	lines := fn.Lines(t)
	var emf, errReports int
	for _, l := range lines {
		if _, ok := l.Fields["_aws"]; ok {
			emf++
			if l.Fields["requestId"] == nil {
				t.Errorf("EMF document without requestId: %s", l.Raw)
			}
			continue
		}
		if l.Fields["msg"] == "invocation error reported to Lambda" {
			errReports++
			if l.Fields["requestId"] != "rie-req-4" && l.Fields["requestId"] != "rie-req-6" || l.Fields["level"] != "ERROR" {
				t.Errorf("error report: %s", l.Raw)
			}
		}
		if l.Fields["key"] == encKey && l.Fields["requestId"] == "rie-req-1" &&
			(l.Fields["correlation_id"] != "REQENC" || l.Fields["sqs_message_id"] != "m-enc") {
			t.Errorf("a record about the URL-encoded key: correlation_id %v, sqs_message_id %v; want REQENC and m-enc", l.Fields["correlation_id"], l.Fields["sqs_message_id"])
		}
	}
	if emf < 7 || errReports != 2 {
		t.Errorf("%d EMF documents (want one per invocation at least), %d error reports (want 2, for invocations 4 and 6)", emf, errReports)
	}

	// What the code called is what the role grants it.
	checkGrants(t, bucket, mediaTable, idemTable, s3proxy.calls(), ddbProxy.calls())
}

// isTTLUnsupported: dynalite has no TTL; the store works without it.
func isTTLUnsupported(err error) bool { return errors.Is(err, dynamostore.ErrTTLUnsupported) }

func sqsMessage(id, body string) events.SQSMessage {
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "rh-" + id, Body: body, EventSource: "aws:sqs",
		EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:rampart-media-test-MediaEventsQueue",
		AWSRegion:      "us-east-1", Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1764662400000"},
	}
}

// s3Body is an S3 event notification as S3 sends it to SQS: the key
// URL-encoded segment by segment (a space as +), versionId only for
// versioned objects.
func s3Body(t *testing.T, name, bucket, key, etag, version, sequencer, requestID string) string {
	t.Helper()
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.QueryEscape(s)
	}
	obj := map[string]any{"key": strings.Join(segs, "/"), "sequencer": sequencer}
	if etag != "" {
		obj["eTag"], obj["size"] = etag, 1
	}
	if version != "" {
		obj["versionId"] = version
	}
	b, err := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
		"eventTime": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "eventName": name,
		"userIdentity":      map[string]any{"principalId": "AWS:EXAMPLE"},
		"requestParameters": map[string]any{"sourceIPAddress": "127.0.0.1"},
		"responseElements":  map[string]any{"x-amz-request-id": requestID, "x-amz-id-2": "id2/" + requestID},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "uploads",
			"bucket": map[string]any{"name": bucket, "ownerIdentity": map[string]any{"principalId": "EXAMPLE"}, "arn": "arn:aws:s3:::" + bucket},
			"object": obj,
		},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// bigJPEG returns a valid JPEG of at least minBytes: a small picture
// with comment segments (COM, 64 KiB each) after its start marker, which
// decoders skip. Encoding that much noise instead takes seconds under -race.
func bigJPEG(t *testing.T, minBytes int) []byte {
	t.Helper()
	small := mediatest.MustJPEG(t, 800, 600, 60)
	out := append([]byte(nil), small[:2]...) // SOI
	seg := make([]byte, 0xFFFF-2)
	for i := range seg {
		seg[i] = 'x'
	}
	for len(out) < minBytes {
		out = append(out, 0xFF, 0xFE, 0xFF, 0xFF)
		out = append(out, seg...)
	}
	return append(out, small[2:]...)
}

// multipartPut uploads body in two parts (the first 5 MiB, S3's minimum).
func multipartPut(t *testing.T, c *s3.Client, bucket, key string, body []byte) (etag, version string) {
	t.Helper()
	ctx := t.Context()
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ContentType: aws.String("image/jpeg")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for i, chunk := range [][]byte{body[:5<<20], body[5<<20:]} {
		n := int32(i + 1)
		p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: &n, Body: bytes.NewReader(chunk)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: p.ETag, PartNumber: &n})
	}
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), aws.ToString(out.VersionId)
}

// call is one request a proxy passed on (or failed).
type call struct {
	Method, Path, Query string
	Target, Table       string // DynamoDB's X-Amz-Target and TableName
	Status              int
}

func (c call) String() string {
	return c.Method + " " + c.Path + "?" + c.Query + " " + c.Target + " " + c.Table
}

// faultProxy forwards to a server, recording every request, and answers
// those its fault function picks with 503 instead.
type faultProxy struct {
	URL   string
	mu    sync.Mutex
	log   []call
	fault func(call) bool
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // the signature covers the Host the client sent
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Target: r.Header.Get("X-Amz-Target")}
		if c.Target != "" {
			body, _ := io.ReadAll(r.Body)
			var in struct{ TableName string }
			json.Unmarshal(body, &in)
			c.Table = in.TableName
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		p.mu.Lock()
		fail := p.fault != nil && p.fault(c)
		p.mu.Unlock()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if fail {
			io.Copy(io.Discard, r.Body)
			rec.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(rec, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected by the test</Message></Error>`)
		} else {
			rp.ServeHTTP(rec, r)
		}
		c.Status = rec.status
		p.mu.Lock()
		p.log = append(p.log, c)
		p.mu.Unlock()
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	p.URL = "http://" + l.Addr().String()
	return p
}

func (p *faultProxy) setFault(f func(call) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

func (p *faultProxy) calls() []call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// checkGrants maps every S3 and DynamoDB request the bootstrap made to the
// IAM action and scope it needs, and compares them with the grants
// deploy/aws gives the code (By: ByCode): nothing called without a grant,
// no grant for the code left uncalled by this test.
func checkGrants(t *testing.T, bucket, mediaTable, idemTable string, s3Calls, ddbCalls []call) {
	t.Helper()
	got := map[deployaws.Grant]bool{}
	for _, c := range s3Calls {
		key, isObject := strings.CutPrefix(c.Path, "/"+bucket+"/")
		var action string
		switch {
		case !isObject && c.Method == http.MethodGet:
			action = "s3:ListBucket"
		case isObject && (c.Method == http.MethodGet || c.Method == http.MethodHead):
			action = "s3:GetObject"
		case isObject && c.Method == http.MethodPut:
			action = "s3:PutObject"
		case isObject && c.Method == http.MethodDelete:
			action = "s3:DeleteObject"
		default:
			t.Errorf("S3 request with no mapping to an action: %s", c)
			continue
		}
		scope := deployaws.ScopeBucket
		switch {
		case strings.HasPrefix(key, thumbnailer.DefaultSourcePrefix):
			scope = deployaws.ScopeSource
		case strings.HasPrefix(key, thumbnailer.DefaultDerivedPrefix):
			scope = deployaws.ScopeDerived
		case isObject:
			t.Errorf("S3 request outside both prefixes: %s", c)
		}
		got[deployaws.Grant{Action: action, Scope: scope, By: deployaws.ByCode}] = true
	}
	for _, c := range ddbCalls {
		_, op, _ := strings.Cut(c.Target, ".")
		scope := map[string]deployaws.Scope{mediaTable: deployaws.ScopeMediaTable, idemTable: deployaws.ScopeIdempotencyTable}[c.Table]
		if op == "" || scope == "" {
			t.Errorf("DynamoDB request to neither table: %s", c)
			continue
		}
		got[deployaws.Grant{Action: "dynamodb:" + op, Scope: scope, By: deployaws.ByCode}] = true
	}
	want := map[deployaws.Grant]bool{}
	for _, g := range deployaws.ThumbnailerGrants {
		if g.By == deployaws.ByCode {
			want[g] = true
		}
	}
	var missing, extra []string
	for g := range got {
		if !want[g] {
			extra = append(extra, g.Action+" on "+string(g.Scope))
		}
	}
	for g := range want {
		if !got[g] {
			missing = append(missing, g.Action+" on "+string(g.Scope))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("the bootstrap calls what its role does not grant (deploy/aws.ThumbnailerGrants): %v", extra)
	}
	if len(missing) > 0 {
		t.Errorf("granted to the code but never called here (grant too much, or test too little): %v", missing)
	}
}
