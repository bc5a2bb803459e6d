package awsstate_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/rampartdev/rampart/inspect/awsstate"
)

// fakeCloudFormation answers DescribeStacks (AWS's query protocol) for one
// stack with outputs.
func fakeCloudFormation(t *testing.T, stack string, outputs map[string]string) *cloudformation.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") != "DescribeStacks" {
			http.Error(w, "unexpected action "+form.Get("Action"), http.StatusBadRequest)
			return
		}
		if form.Get("StackName") != stack {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>`, form.Get("StackName"))
			return
		}
		var outs strings.Builder
		for k, v := range outputs {
			fmt.Fprintf(&outs, "<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue></member>", k, v)
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>%s</StackName><StackId>arn:aws:cloudformation:eu-central-1:123456789012:stack/%s/1</StackId><StackStatus>UPDATE_COMPLETE</StackStatus>
<CreationTime>2026-12-01T10:00:00Z</CreationTime><Outputs>%s</Outputs></member></Stacks></DescribeStacksResult>
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`, stack, stack, outs.String())
	}))
	t.Cleanup(srv.Close)
	return cloudformation.NewFromConfig(aws.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

func TestFromStack(t *testing.T) {
	cfn := fakeCloudFormation(t, "rampart-media-prod", map[string]string{
		"ApiUrl":                           "https://x.execute-api.eu-central-1.amazonaws.com/health",
		awsstate.OutputBucket:              "rampart-media-prod-123456789012-eu-central-1",
		awsstate.OutputMediaTable:          "rampart-media-prod",
		awsstate.OutputIdempotencyTable:    "rampart-idempotency-prod",
		awsstate.OutputThumbnailerLogGroup: "/aws/lambda/rampart-thumbnailer-prod",
		awsstate.OutputHealthLogGroup:      "/aws/lambda/rampart-health-prod",
		awsstate.OutputQueueURL:            "https://sqs.eu-central-1.amazonaws.com/123456789012/q",
		awsstate.OutputDeadLetterQueueURL:  "https://sqs.eu-central-1.amazonaws.com/123456789012/dlq",
	})
	cfg, err := awsstate.FromStack(context.Background(), cfn, "rampart-media-prod")
	if err != nil {
		t.Fatal(err)
	}
	want := awsstate.Config{
		Bucket: "rampart-media-prod-123456789012-eu-central-1", MediaTable: "rampart-media-prod", IdempotencyTable: "rampart-idempotency-prod",
		LogGroups: []string{"/aws/lambda/rampart-thumbnailer-prod", "/aws/lambda/rampart-health-prod"},
		QueueURL:  "https://sqs.eu-central-1.amazonaws.com/123456789012/q", DeadLetterQueueURL: "https://sqs.eu-central-1.amazonaws.com/123456789012/dlq",
	}
	if cfg.Bucket != want.Bucket || cfg.MediaTable != want.MediaTable || cfg.IdempotencyTable != want.IdempotencyTable ||
		!slices.Equal(cfg.LogGroups, want.LogGroups) || cfg.QueueURL != want.QueueURL || cfg.DeadLetterQueueURL != want.DeadLetterQueueURL {
		t.Errorf("FromStack = %+v, want %+v", cfg, want)
	}
	if _, err := awsstate.FromStack(context.Background(), cfn, "other"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing stack: %v", err)
	}
	other := fakeCloudFormation(t, "unrelated", map[string]string{"Foo": "bar"})
	if _, err := awsstate.FromStack(context.Background(), other, "unrelated"); !errors.Is(err, awsstate.ErrStackOutputs) {
		t.Errorf("stack without the outputs: %v", err)
	}
}
