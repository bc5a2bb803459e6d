package logging_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/logging"
)

// TestCorrelationID_sameAsUnmarshal checks the scan against the decoding of
// the whole payload it replaced, on every event sample of aws-lambda-go and
// on payloads made to trip a scanner.
func TestCorrelationID_sameAsUnmarshal(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		t.Fatal(err)
	}
	samples, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "events", "testdata", "*.json"))
	if err != nil || len(samples) < 50 {
		t.Fatalf("found %d samples (%v); want aws-lambda-go's events/testdata", len(samples), err)
	}
	found := 0
	for _, path := range samples {
		payload, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(payload) {
			// Samples of malformed events: the scan stops at the member
			// that gives the id and may not reach the fault, which the
			// full decode rejects. Only malformed input differs.
			continue
		}
		want := logging.CorrelationIDUnmarshal(payload)
		if got := logging.CorrelationID(payload); got != want {
			t.Errorf("%s: CorrelationID = %q, want %q", filepath.Base(path), got, want)
		}
		if want != "" {
			found++
		}
	}
	if found < 15 {
		t.Errorf("only %d samples have a correlation id", found)
	}
	for _, p := range []string{
		``, `[]`, `null`, `{`, `{}`, ` {"id":"x","detail-type":"y"}`,
		`{"id":"e1","detail-type":"Scheduled Event","detail":{"id":"inner","Records":[{"eventID":"no"}]}}`,
		`{"detail-type":"t","source":"s","ID":"upper"}`,
		`{"detail-type":"t","id":"a\"b\\c\u00e9"}`,
		`{"id":"only-id"}`,
		`{"id":7,"detail-type":"t"}`,
		`{"Records":[]}`, `{"Records":null,"id":"e","detail-type":"t"}`,
		`{"Records":[],"id":"e","detail-type":"t"}`,
		`{"records":[{"messageId":"lower-case key"}]}`,
		`{"Rec\u006frds":[{"messageId":"escaped key"}]}`,
		`{ "Records" : [ { "body" : "]}{\"[" , "messageId" : "m1" } , {"messageId":"m2"} ] }`,
		`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"sns-1"}}]}`,
		`{"Records":[{"eventSource":"aws:s3","responseElements":{"x-amz-request-id":"s3-1"}}]}`,
		`{"Records":[{"eventSource":"aws:kinesis","eventID":"shard:1"}]}`,
		`{"body":"{\"requestContext\":{\"requestId\":\"fake\"}}","requestContext":{"requestId":"real"}}`,
		`{"requestContext":{"requestId":""},"Records":[{"messageId":"m"}]}`,
		`{"requestContext":null,"id":"e","detail-type":"t"}`,
		`{"a":true,"b":false,"c":null,"d":-1.5e3,"e":[1,[2,{"f":"]"}]],"requestContext":{"requestId":"after scalars"}}`,
		`{"Records":[{"messageId":"m1"}`, // cut after the first record
		`{"Records":[{"messageId":"m1"`,  // cut inside it
		`{"requestContext":{"requestId":"r"`,
		`{"a":"unterminated`, `{"a" "missing colon"}`, `{"a":1 "b":2}`, `{"a":}`,
	} {
		got, want := logging.CorrelationID([]byte(p)), logging.CorrelationIDUnmarshal([]byte(p))
		if p == `{"Records":[{"messageId":"m1"}` {
			want = "m1" // the scan stops after the first record: the cut is never seen
		}
		if got != want {
			t.Errorf("CorrelationID(%s) = %q, want %q", p, got, want)
		}
	}
}

// sqsBatch returns an SQS event of n copies of the sample message, each with
// its own messageId and a body of size bytes.
func sqsBatch(tb testing.TB, n, size int) []byte {
	tb.Helper()
	var sample events.SQSEvent
	if err := json.Unmarshal(testenv.LambdaEvent(tb, "sqs-event.json"), &sample); err != nil {
		tb.Fatal(err)
	}
	var ev events.SQSEvent
	for i := range n {
		m := sample.Records[0]
		m.MessageId = fmt.Sprintf("msg-%05d", i)
		m.Body = strings.Repeat(`{"order":"o-1842","items":[1,2,3]}`, size/34)
		ev.Records = append(ev.Records, m)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkCorrelationID compares the scan (CorrelationID) with the decoding
// of the whole payload it replaced (unmarshal), on the small SQS sample and
// on a batch of 790 messages just under Lambda's 6 MB payload limit.
func BenchmarkCorrelationID(b *testing.B) {
	for _, p := range []struct {
		name    string
		payload []byte
	}{
		{"sqsSample", testenv.LambdaEvent(b, "sqs-event.json")},
		{"sqsBatch6MB", sqsBatch(b, 790, 6000)},
		{"apigw", testenv.LambdaEvent(b, "apigw-request.json")},
	} {
		for _, f := range []struct {
			name string
			fn   func([]byte) string
		}{{"scan", logging.CorrelationID}, {"unmarshal", logging.CorrelationIDUnmarshal}} {
			b.Run(p.name+"/"+f.name, func(b *testing.B) {
				want := logging.CorrelationIDUnmarshal(p.payload)
				b.SetBytes(int64(len(p.payload)))
				b.ReportAllocs()
				for b.Loop() {
					if got := f.fn(p.payload); got != want {
						b.Fatalf("got %q, want %q", got, want)
					}
				}
			})
		}
	}
}
