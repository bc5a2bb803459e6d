package inspect_test

import (
	"testing"

	"github.com/rampartdev/rampart/inspect"
)

// TestLogQuery_outerIDs: a line about an S3 notification carries the S3
// request id as correlation_id and its SQS message's id as sqs_message_id
// (package logging); asking for either finds it.
func TestLogQuery_outerIDs(t *testing.T) {
	e, ok := inspect.ParseLogLine([]byte(`{"time":"2026-12-02T10:00:00Z","level":"INFO","msg":"thumbnails written","requestId":"req-1","sqs_message_id":"m-1","correlation_id":"S3REQ"}`))
	if !ok || e.CorrelationID != "S3REQ" {
		t.Fatalf("ParseLogLine: %+v %v", e, ok)
	}
	for _, id := range []string{"S3REQ", "m-1", "req-1"} {
		if !(inspect.LogQuery{CorrelationID: id}).Match(e) {
			t.Errorf("query %s does not find the line", id)
		}
	}
}
