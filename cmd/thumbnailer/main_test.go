package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rampartdev/rampart/blob/s3blob/s3test"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/internal/awsenv"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/dynamorecords"
	"github.com/rampartdev/rampart/media/mediatest"
	"github.com/rampartdev/rampart/media/thumbnailer"
	"github.com/rampartdev/rampart/metrics"
)

// TestDependencies keeps the Lambda binaries lean: nothing only the local
// runtime needs (SQLite, the queue, the dev server, the dashboard).
func TestDependencies(t *testing.T) {
	goTool := testenv.Command(t, "go")
	for _, pkg := range []string{"github.com/rampartdev/rampart/cmd/thumbnailer", "github.com/rampartdev/rampart/cmd/health"} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for dep := range strings.FieldsSeq(string(out)) {
			for _, banned := range []string{"modernc.org/sqlite", "rampart/devserver", "rampart/queue", "sqliterecords", "sqlitestore", "dashboard", "rampart/blob/fsblob"} {
				if strings.Contains(dep, banned) {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
}

// TestThumbnailer_AgainstLocalAWS runs the bootstrap's wiring through
// aws-sdk-go-v2 against an in-process S3 (gofakes3) and the
// DynamoDB-compatible server (dynalite), reached through the SDK's standard
// variables AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_DYNAMODB only.
func TestThumbnailer_AgainstLocalAWS(t *testing.T) {
	endpoint := testenv.DynamoDBEndpoint(t)
	s3srv := s3test.Start(t)
	bucket := s3srv.NewBucket(t, "media")
	ctx := t.Context()
	awsCfg := aws.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	ddbOpt := func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) }
	ddb := dynamodb.NewFromConfig(awsCfg, ddbOpt)
	suffix := fmt.Sprint(time.Now().UnixNano())
	env := map[string]string{
		thumbnailer.EnvBucket: bucket, thumbnailer.EnvMediaTable: "media-" + suffix, thumbnailer.EnvIdempotencyTable: "idempotency-" + suffix,
		thumbnailer.EnvSizes: "300,100",
	}
	if err := dynamorecords.CreateTable(ctx, ddb, env[thumbnailer.EnvMediaTable]); err != nil {
		t.Fatal(err)
	}
	// dynalite has no TTL; the store works without it.
	if err := dynamostore.CreateTable(ctx, ddb, env[thumbnailer.EnvIdempotencyTable], nil); err != nil && !errors.Is(err, dynamostore.ErrTTLUnsupported) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, tbl := range []string{env[thumbnailer.EnvMediaTable], env[thumbnailer.EnvIdempotencyTable]} {
			ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(tbl)})
		}
	})
	var logs bytes.Buffer
	t.Setenv("AWS_ENDPOINT_URL_S3", s3srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	// Anything else goes to a closed port, never to AWS.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
	envCfg, err := awsenv.Load()
	if err != nil {
		t.Fatal(err)
	}
	th, err := newThumbnailer(envCfg, func(k string) string { return env[k] }, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}

	s3c := s3srv.Client()
	key := "uploads/photo 1.jpg"
	put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(mediatest.MustJPEG(t, 600, 400, 7)), ContentType: aws.String("image/jpeg")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{{
		EventSource: "aws:s3", EventName: "ObjectCreated:Put", EventTime: time.Now(),
		ResponseElements: map[string]string{"x-amz-request-id": "LOCALREQ1"},
		S3: events.S3Entity{Bucket: events.S3Bucket{Name: bucket}, Object: events.S3Object{
			Key: "uploads/photo+1.jpg", ETag: strings.Trim(aws.ToString(put.ETag), `"`), Sequencer: "0055AED6DCD90281E5"}},
	}}})
	payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(body), EventSource: "aws:sqs"}}})
	for range 2 { // the second delivery is a duplicate
		out, err := th.Invoke(ctx, payload)
		if err != nil {
			t.Fatal(err)
		}
		if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %+v\n%s", resp.BatchItemFailures, logs.String())
		}
	}
	rec, err := dynamorecords.New(ddb, env[thumbnailer.EnvMediaTable]).Get(ctx, media.ID(bucket, key))
	if err != nil || rec.Status != media.StatusProcessed || rec.Width != 600 || len(rec.Thumbnails) != 2 {
		t.Fatalf("record %+v, %v\n%s", rec, err, logs.String())
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("derived/300/" + key)})
	if err != nil {
		t.Fatal(err)
	}
	obj.Body.Close()
	if aws.ToString(obj.ContentType) != "image/jpeg" {
		t.Fatalf("thumbnail content type %q", aws.ToString(obj.ContentType))
	}
	if !strings.Contains(logs.String(), "duplicate event: outcome replayed") {
		t.Fatalf("the second delivery was not a replay:\n%s", logs.String())
	}
}

func TestSetMetrics_WritesEMF(t *testing.T) {
	var buf bytes.Buffer
	rec, err := metrics.New(&buf, &metrics.Options{Namespace: "Rampart/Media", DisableColdStart: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, set := rec.Start(t.Context())
	setMetrics{}.Count(ctx, thumbnailer.MetricProcessed, 2)
	if err := set.Flush(); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc[thumbnailer.MetricProcessed] != 2.0 || doc["_aws"] == nil {
		t.Fatalf("EMF document %s: %v", buf.String(), err)
	}
}
