package s3event_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/s3event"
	"github.com/rampartdev/rampart/internal/s3event/s3eventtest"
)

// Every body of the shared table decodes to its records, the test event
// or a *MalformedError, and nothing else.
func TestParseSQSBody(t *testing.T) {
	for _, m := range s3eventtest.Messages() {
		t.Run(m.Name, func(t *testing.T) {
			recs, err := s3event.ParseSQSBody(m.Body)
			checkOutcome(t, m, recs, err)
		})
	}
}

// An SNS Message is read as an SQS body is, except that it cannot be
// another SNS notification.
func TestParseSNSMessage(t *testing.T) {
	for _, m := range s3eventtest.Messages() {
		t.Run(m.Name, func(t *testing.T) {
			recs, err := s3event.ParseSNSMessage(m.Body)
			if m.Enveloped {
				if _, ok := errors.AsType[*s3event.MalformedError](err); !ok || recs != nil {
					t.Fatalf("ParseSNSMessage(an SNS notification) = %d records, %v; want a *MalformedError", len(recs), err)
				}
				return
			}
			checkOutcome(t, m, recs, err)
		})
	}
}

func checkOutcome(t *testing.T, m s3eventtest.Message, recs []events.S3EventRecord, err error) {
	t.Helper()
	switch m.Want {
	case s3eventtest.TestEvent:
		if !errors.Is(err, s3event.ErrTestEvent) || recs != nil {
			t.Fatalf("= %d records, %v; want ErrTestEvent", len(recs), err)
		}
	case s3eventtest.Malformed:
		if _, ok := errors.AsType[*s3event.MalformedError](err); !ok || recs != nil || errors.Is(err, s3event.ErrTestEvent) {
			t.Fatalf("= %d records, %v; want a *MalformedError", len(recs), err)
		}
	case s3eventtest.Records:
		if err != nil || len(recs) != len(m.Records) {
			t.Fatalf("= %d records, %v; want %d", len(recs), err, len(m.Records))
		}
		for i, w := range m.Records {
			r, o := recs[i], recs[i].S3.Object
			got := s3eventtest.Record{EventName: r.EventName, Bucket: r.S3.Bucket.Name, Key: o.URLDecodedKey, ETag: o.ETag, VersionID: o.VersionID, Sequencer: o.Sequencer}
			if got != w || !s3event.IsS3Source(r.EventSource) {
				t.Errorf("record %d = %+v (source %q)\nwant %+v", i, got, r.EventSource, w)
			}
		}
	}
}

// S3's source, and an S3-compatible server's ("<server>:s3"), are S3's;
// no other is.
func TestIsS3Source(t *testing.T) {
	for src, want := range map[string]bool{
		"aws:s3": true, "minio:s3": true, "ceph:s3": true,
		"": false, ":s3": false, "s3": false, "aws:s3x": false, "aws:sqs": false, "aws:sns": false, "aws:dynamodb": false, "AWS:S3": false,
	} {
		if got := s3event.IsS3Source(src); got != want {
			t.Errorf("IsS3Source(%q) = %v, want %v", src, got, want)
		}
	}
}
