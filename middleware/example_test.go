package middleware_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/middleware"
)

func ExampleWrap() {
	logger := slog.New(logging.NewJSONHandler(os.Stdout, &logging.Options{
		// Drop what changes from run to run, for the example's output.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == logging.KeyColdStart) {
				return slog.Attr{}
			}
			return a
		},
	}))

	process := func(ctx context.Context, m events.SQSMessage) error {
		if strings.HasPrefix(m.Body, "bad") {
			return fmt.Errorf("cannot parse %q", m.Body)
		}
		logger.InfoContext(ctx, "processed", "body", m.Body)
		return nil
	}
	h := middleware.Wrap(batch.SQSHandler(process, &batch.Options[events.SQSMessage]{Logger: logger}),
		&middleware.Options{Logger: logger})

	// lambda.Start(h) would run it; here one invocation is made by hand, with
	// the context aws-lambda-go's runtime gives it.
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	resp, err := h.Invoke(ctx, []byte(`{"Records":[
		{"messageId":"m-1","eventSource":"aws:sqs","body":"hello"},
		{"messageId":"m-2","eventSource":"aws:sqs","body":"bad input"}]}`))
	fmt.Println(string(resp), err)
	// Output:
	// {"level":"INFO","msg":"processed","requestId":"req-1","correlation_id":"m-1","body":"hello"}
	// {"level":"ERROR","msg":"batch: record failed","requestId":"req-1","correlation_id":"m-2","itemIdentifier":"m-2","error":"cannot parse \"bad input\""}
	// {"batchItemFailures":[{"itemIdentifier":"m-2"}]} <nil>
}

// The deadline guard: a handler still working when the invocation nears
// its timeout has its context cancelled, and "timeout imminent" is logged
// before that, so it comes first in the logs.
func ExampleWrap_deadlineGuard() {
	logger := slog.New(logging.NewJSONHandler(os.Stdout, &logging.Options{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key { // drop what changes from run to run
			case slog.TimeKey, logging.KeyColdStart, "remaining_ms", "deadline", "error_type":
				return slog.Attr{}
			}
			return a
		},
	}))
	slow := func(ctx context.Context, _ events.SQSEvent) (string, error) {
		<-ctx.Done() // work that honours its context
		logger.InfoContext(ctx, "stopped", "cause", context.Cause(ctx).Error())
		return "", ctx.Err()
	}
	h := middleware.Wrap(slow, &middleware.Options{Logger: logger, TimeoutMargin: 20 * time.Millisecond})

	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond) // the invocation's deadline
	defer cancel()
	_, err := h.Invoke(ctx, []byte(`{"Records":[]}`))
	fmt.Println(err)
	// Output:
	// {"level":"WARN","msg":"timeout imminent","requestId":"req-1","margin_ms":20}
	// {"level":"INFO","msg":"stopped","requestId":"req-1","cause":"middleware: Lambda timeout imminent"}
	// {"level":"ERROR","msg":"invocation failed","requestId":"req-1","error":"context deadline exceeded"}
	// context deadline exceeded
}
