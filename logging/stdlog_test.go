package logging_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/logging"
)

// TestSetDefault_everyLineJSON: with SetDefault, aws-lambda-go's error
// line (written with the log package after the handler returned), other
// log package output and slog's default logger all come out as one JSON
// object per line, with the Lambda context of the current invocation.
func TestSetDefault_everyLineJSON(t *testing.T) {
	var buf bytes.Buffer
	h := logging.NewJSONHandler(&buf, nil)
	oldSlog, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() { slog.SetDefault(oldSlog); log.SetOutput(oldOut); log.SetFlags(oldFlags) })
	logging.SetDefault(h)

	logging.ResetCurrent()
	log.Print("before any invocation")
	sqs, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "msg-1", EventSource: "aws:sqs", Body: "{}"}}})
	h.Start(invocationCtx("req-1", ""), sqs)
	// What aws-lambda-go's reportFailure does once the handler returned.
	log.Printf("%s", `{"errorMessage":"boom: it failed","errorType":"wrapError","stackTrace":[{"path":"main.go","line":3,"label":"f"}]}`)
	log.Printf("a library's\nmultiline notice")
	slog.Warn("a library's fallback notice", "store", "dynamodb")

	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), out)
	}
	ls := parseLines(t, buf.Bytes())
	if ls[0]["msg"] != "before any invocation" || ls[0]["logger"] != "log" || ls[0]["requestId"] != nil {
		t.Errorf("line before the invocation: %v", ls[0])
	}
	e := ls[1]
	if e["level"] != "ERROR" || e["msg"] != "invocation error reported to Lambda" || e["error"] != "boom: it failed" ||
		e["error_type"] != "wrapError" || e["requestId"] != "req-1" || e["correlation_id"] != "msg-1" || e["stack_trace"] == nil {
		t.Errorf("error report: %v", e)
	}
	if ls[2]["msg"] != "a library's\nmultiline notice" || ls[2]["level"] != "INFO" || ls[2]["requestId"] != "req-1" {
		t.Errorf("log line: %v", ls[2])
	}
	if ls[3]["level"] != "WARN" || ls[3]["store"] != "dynamodb" {
		t.Errorf("slog default line: %v", ls[3])
	}
}

// TestSetDefault_notAnErrorReport: JSON-looking text that is not
// aws-lambda-go's report stays an INFO message.
func TestSetDefault_notAnErrorReport(t *testing.T) {
	var buf bytes.Buffer
	h := logging.NewJSONHandler(&buf, nil)
	oldSlog, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() { slog.SetDefault(oldSlog); log.SetOutput(oldOut); log.SetFlags(oldFlags) })
	logging.SetDefault(h)
	log.Print(`{"errorMessage":"x","other":1}`)
	log.Print(`{"errorMessage":"x"} trailing`)
	for _, l := range parseLines(t, buf.Bytes()) {
		if l["level"] != "INFO" || l["logger"] != "log" {
			t.Errorf("%v", l)
		}
	}
}

// TestCorrelationID_oncePerRecord: an S3 notification inside an SQS message
// logs correlation_id once, the S3 request id, with the message id under
// sqs_message_id, whether the inner id comes from WithInnerCorrelationID, a
// logger's With or the record itself.
func TestCorrelationID_oncePerRecord(t *testing.T) {
	var buf bytes.Buffer
	h := logging.NewJSONHandler(&buf, nil)
	logger := slog.New(h)
	sqs, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "msg-1", EventSource: "aws:sqs", Body: "{}"}}})
	ctx := h.Start(invocationCtx("req-1", ""), sqs)
	ctx = logging.WithCorrelationID(ctx, "msg-2") // the batch's second record

	logger.InfoContext(ctx, "message")
	logger.InfoContext(logging.WithInnerCorrelationID(ctx, logging.KeyS3RequestID, "S3REQ"), "inner")
	logger.With(slog.String("correlation_id", "S3REQ"), slog.String("key", "k")).InfoContext(ctx, "with")
	logger.InfoContext(ctx, "record", slog.String("correlation_id", "S3REQ"))
	logger.WithGroup("g").InfoContext(ctx, "grouped", slog.String("correlation_id", "nested"))

	raw := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	ls := parseLines(t, buf.Bytes())
	for i, l := range ls {
		if n := strings.Count(raw[i], `"correlation_id":`); n != 1 && l["msg"] != "grouped" {
			t.Errorf("%s: correlation_id %d times: %s", l["msg"], n, raw[i])
		}
	}
	if ls[0]["correlation_id"] != "msg-2" || ls[0]["sqs_message_id"] != nil {
		t.Errorf("message: %v", ls[0])
	}
	for _, l := range ls[1:4] {
		if l["correlation_id"] != "S3REQ" || l["sqs_message_id"] != "msg-2" || l["requestId"] != "req-1" {
			t.Errorf("%s: correlation_id %v, sqs_message_id %v", l["msg"], l["correlation_id"], l["sqs_message_id"])
		}
	}
	if g := ls[4]; g["correlation_id"] != "msg-2" || g["g"].(map[string]any)["correlation_id"] != "nested" {
		t.Errorf("grouped: %v", g)
	}
}

// TestSetDefault_fatalSurvivesTheLevel: at AWS_LAMBDA_LOG_LEVEL=ERROR the
// line log.Fatal writes before the process exits (aws-lambda-go's start-up
// failures) is still written, at FATAL (LevelFatal, which slog's JSON
// handler names ERROR+4 without ReplaceAttr); log.Panic's at ERROR.
func TestSetDefault_fatalSurvivesTheLevel(t *testing.T) {
	if os.Getenv("RAMPART_TEST_LOG_FATAL") == "1" {
		logging.SetDefault(logging.NewJSONHandler(os.Stdout, nil))
		func() {
			defer func() { recover() }()
			log.Panicf("a log.Panic")
		}()
		log.Print("an ordinary line")
		log.Fatalf("expected AWS Lambda environment variables [%s] are not defined", "AWS_LAMBDA_RUNTIME_API")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSetDefault_fatalSurvivesTheLevel$")
	cmd.Env = append(os.Environ(), "RAMPART_TEST_LOG_FATAL=1", "AWS_LAMBDA_LOG_LEVEL=ERROR")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("the child should exit 1 (log.Fatal): %v\n%s", err, out)
	}
	ls := parseLines(t, out)
	if len(ls) != 2 || ls[0]["level"] != "ERROR" || ls[0]["msg"] != "a log.Panic" ||
		ls[1]["level"] != "ERROR+4" || !strings.HasPrefix(ls[1]["msg"].(string), "expected AWS Lambda environment variables") || ls[1]["logger"] != "log" {
		t.Fatalf("at level ERROR, want log.Panic's line at ERROR and log.Fatal's at FATAL, and nothing else:\n%s", out)
	}
}
