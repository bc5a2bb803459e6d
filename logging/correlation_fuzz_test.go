package logging_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/logging"
)

// FuzzCorrelationID checks the correlation-id scanner against its oracle,
// one encoding/json decode of the whole payload (CorrelationIDUnmarshal):
// on every valid JSON document they agree; on any input the scanner neither
// panics nor allocates more than a few times per call. Seeded with every
// event sample of aws-lambda-go, bare and as the body of an SQS message.
//
//	go test -run '^$' -fuzz FuzzCorrelationID ./logging
func FuzzCorrelationID(f *testing.F) {
	for _, path := range testenv.LambdaEvents(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		wrapped, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", EventSource: "aws:sqs", Body: string(b)}}})
		f.Add(wrapped)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got := logging.CorrelationID(payload)
		if json.Valid(payload) {
			if want := logging.CorrelationIDUnmarshal(payload); got != want {
				t.Fatalf("CorrelationID(%q) = %q, encoding/json says %q", payload, got, want)
			}
		}
		// The scan decodes only identifying members: a bounded number of
		// allocations, whatever the payload's size.
		if n := testing.AllocsPerRun(1, func() { logging.CorrelationID(payload) }); n > float64(8+len(payload)/64) {
			t.Fatalf("CorrelationID allocated %v times for %d bytes", n, len(payload))
		}
	})
}
