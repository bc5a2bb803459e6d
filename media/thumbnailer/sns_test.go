package thumbnailer_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/media"
)

// snsEnvelope is an SNS notification as SNS delivers it to an SQS queue
// without raw message delivery.
func snsEnvelope(t *testing.T, id, message string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": id, "TopicArn": "arn:aws:sns:eu-central-1:123456789012:uploads",
		"Subject": "Amazon S3 Notification", "Message": message, "Timestamp": "2026-12-02T08:00:00.000Z",
		"SignatureVersion": "1", "Signature": "x", "SigningCertURL": "https://sns/c.pem", "UnsubscribeURL": "https://sns/u",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestThumbnailer_SNS: S3 → SNS → Lambda and S3 → SNS → SQS → Lambda (the
// fan-out wirings) process the S3 notification SNS carries; S3's test
// message in SNS is ignored; an envelope in an envelope is malformed.
func TestThumbnailer_SNS(t *testing.T) {
	f := newFixture(t)
	e := f.upload("uploads/via sns.jpg", testJPEG(t, 200, 100, 5))
	direct, _ := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", EventVersion: "1.0",
		SNS: events.SNSEntity{Type: "Notification", MessageID: "sns-1", Message: s3Body(t, e)}}}})
	if media.DetectShape(direct) != media.ShapeSNS {
		t.Fatalf("DetectShape(SNS event) = %v", media.DetectShape(direct))
	}
	if _, err := f.th.Invoke(t.Context(), direct); err != nil {
		t.Fatal(err)
	}
	if r := f.record("uploads/via sns.jpg"); r.Status != media.StatusProcessed {
		t.Fatalf("SNS direct: %+v", r)
	}

	e2 := f.upload("uploads/sns in sqs.jpg", testJPEG(t, 100, 100, 6))
	sqs, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-sns", EventSource: "aws:sqs", Body: snsEnvelope(t, "sns-2", s3Body(t, e2))},
		{MessageId: "m-sns-test", EventSource: "aws:sqs", Body: snsEnvelope(t, "sns-3", `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"media-uploads"}`)},
		{MessageId: "m-sns-nested", EventSource: "aws:sqs", Body: snsEnvelope(t, "sns-4", snsEnvelope(t, "sns-5", s3Body(t, e2)))},
	}})
	out, err := f.th.Invoke(t.Context(), sqs)
	if err != nil {
		t.Fatal(err)
	}
	if fails := out.(events.SQSEventResponse).BatchItemFailures; len(fails) != 1 || fails[0].ItemIdentifier != "m-sns-nested" {
		t.Fatalf("failures %+v, want only the nested envelope", fails)
	}
	if r := f.record("uploads/sns in sqs.jpg"); r.Status != media.StatusProcessed {
		t.Fatalf("SNS in SQS: %+v", r)
	}
	if _, err := media.FromSNSMessage(`{"Event":"s3:TestEvent"}`); !errors.Is(err, media.ErrTestEvent) {
		t.Errorf("test event in SNS: %v", err)
	}
}
