// Package swallowed is analysistest data for the swallowed analyzer.
package swallowed

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

func process(ctx context.Context, body string) error { return nil }

var errSkip = errors.New("skip")

// Bug: log and continue.
func handleSQS(ctx context.Context, ev events.SQSEvent) error {
	for _, m := range ev.Records {
		if err := process(ctx, m.Body); err != nil { // want `swallowed: the error err is dropped in this SQSEvent handler \(logged at most, then continues\)`
			log.Printf("process %s: %v", m.MessageId, err)
			continue
		}
	}
	return nil
}

// Bug: log and return nil, from a per-record function and from an SNS handler.
func handleRecord(ctx context.Context, r events.S3EventRecord) error {
	err := process(ctx, r.S3.Object.URLDecodedKey)
	if err != nil { // want `swallowed: the error err is dropped in this S3EventRecord handler \(logged at most, then returns\)`
		slog.ErrorContext(ctx, "process", "error", err)
		return nil
	}
	return nil
}

func handleSNS(ctx context.Context, ev events.SNSEvent) {
	for _, r := range ev.Records {
		if err := process(ctx, r.SNS.Message); err != nil { // want `swallowed: the error err is dropped in this SNSEvent handler \(logged at most, then goes on\)`
			fmt.Println(err)
		}
	}
}

// Bug: errors.Is looks at the error but does not keep it.
func handleKinesis(ctx context.Context, ev events.KinesisEvent) error {
	for _, r := range ev.Records {
		if err := process(ctx, string(r.Kinesis.Data)); err != nil { // want `swallowed: the error err is dropped in this KinesisEvent handler`
			if errors.Is(err, errSkip) {
				continue
			}
			slog.Error("kinesis", "error", err)
		}
	}
	return nil
}

// Bug, as AI tools write it: the error wrapped (fmt.Errorf) or joined
// (errors.Join, append) into a variable that is only logged.
func handleKinesisWrapped(ctx context.Context, ev events.KinesisEvent) error {
	for _, r := range ev.Records {
		if err := process(ctx, string(r.Kinesis.Data)); err != nil { // want `swallowed: the error err is dropped in this KinesisEvent handler`
			wrapped := fmt.Errorf("record %s: %w", r.EventID, err)
			slog.ErrorContext(ctx, "process", "error", wrapped)
		}
	}
	return nil
}

func handleDynamoJoinedLogged(ctx context.Context, ev events.DynamoDBEvent) error {
	var errs []error
	for _, r := range ev.Records {
		if err := process(ctx, r.EventID); err != nil { // want `swallowed: the error err is dropped in this DynamoDBEvent handler`
			errs = append(errs, fmt.Errorf("record %s: %w", r.EventID, err))
		}
	}
	if len(errs) > 0 {
		log.Printf("failed: %v", errors.Join(errs...))
	}
	return nil
}

// Fix: the joined errors are returned.
func handleEventBridgeJoined(ctx context.Context, ev events.EventBridgeEvent) error {
	var errs error
	if err := process(ctx, string(ev.Detail)); err != nil {
		errs = errors.Join(errs, fmt.Errorf("detail: %w", err))
	}
	if err := process(ctx, ev.Source); err != nil {
		errs = errors.Join(errs, err)
	}
	return errs
}

// Fix: the error is returned, wrapped.
func handleS3(ctx context.Context, ev events.S3Event) error {
	for _, r := range ev.Records {
		if err := process(ctx, r.S3.Object.URLDecodedKey); err != nil {
			slog.ErrorContext(ctx, "process", "error", err)
			return fmt.Errorf("process %s: %w", r.S3.Object.URLDecodedKey, err)
		}
	}
	return nil
}

// Fix: the record goes into the partial batch response.
func handlePartial(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		if err := process(ctx, m.Body); err != nil {
			slog.ErrorContext(ctx, "process", "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// Near-miss: a deliberate skip of one known error, errors joined and
// returned later, an error logged and then returned after the if, a
// panic, and an API Gateway handler (its caller sees the response).
func handleEventBridge(ctx context.Context, ev events.CloudWatchEvent) error {
	err := process(ctx, string(ev.Detail))
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		slog.Error("eventbridge", "error", err)
	}
	return err
}

func handleDynamo(ctx context.Context, ev events.DynamoDBEvent) error {
	var failed error
	for _, r := range ev.Records {
		if err := process(ctx, r.EventID); err != nil {
			failed = errors.Join(failed, err)
		}
	}
	if failed != nil {
		panic(failed)
	}
	return nil
}

func handleMessage(ctx context.Context, m events.SQSMessage) error {
	if err := process(ctx, m.Body); err != nil {
		if errors.Is(err, errSkip) {
			return nil // a test message: nothing to do
		}
		return err
	}
	return nil
}

func handleAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	if err := process(ctx, req.Body); err != nil {
		log.Print(err)
		return events.APIGatewayProxyResponse{StatusCode: 500}, nil
	}
	return events.APIGatewayProxyResponse{StatusCode: 200}, nil
}

// Bug: a recover that logs the panic and returns success.
func handleRecover(ctx context.Context, m events.SQSMessage) error {
	defer func() { // want `swallowed: this deferred recover\(\) turns a panic of the SQSMessage handler into a success`
		if r := recover(); r != nil {
			slog.Error("panic", "value", r)
		}
	}()
	return process(ctx, m.Body)
}

// Fix: the panic becomes the handler's error.
func handleRecoverFixed(ctx context.Context, m events.SQSMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return process(ctx, m.Body)
}

// Near-miss: logged, then re-panicked; and a deferred close.
func handleRepanic(ctx context.Context, ev events.S3Event) error {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("panic", "value", r)
			panic(r)
		}
	}()
	defer func() { slog.Info("done") }()
	return process(ctx, "")
}

// Bug: a type defined on an events type is that event.
type orders events.SQSEvent

func handleOrders(ctx context.Context, ev orders) error {
	for _, m := range ev.Records {
		if err := process(ctx, m.Body); err != nil { // want `swallowed: the error err is dropped in this SQSEvent handler`
			slog.ErrorContext(ctx, "order", "error", err)
		}
	}
	return nil
}

// Near-miss: the wrapped error is stored where the caller looks (an index
// expression, one assignment to something that is not a variable).
var lastErrors = map[string]error{}

func handleKept(ctx context.Context, m events.SQSMessage) error {
	if err := process(ctx, m.Body); err != nil {
		w := fmt.Errorf("message %s: %w", m.MessageId, err)
		lastErrors[m.MessageId] = w
		slog.Error("kept", "error", w)
	}
	return nil
}
