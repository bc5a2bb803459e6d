package lambdatest_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/lambdatest"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/middleware"
)

// A batch handler, wrapped as main would pass it to lambda.Start, invoked
// in process with an SQS event as Lambda delivers it. In a test, use
// lambdatest.Context(t, ...) and lambdatest.Setenv(t, ...) as well.
func ExampleInvoke() {
	lambdatest.ResetColdStart()
	logger := slog.New(logging.NewJSONHandler(os.Stdout, &logging.Options{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == logging.KeyTraceID || a.Key == logging.KeyFunctionARN {
				return slog.Attr{} // they change from run to run
			}
			return a
		},
	}))
	process := func(ctx context.Context, m events.SQSMessage) error {
		logger.InfoContext(ctx, "order", "body", m.Body)
		return nil
	}
	h := middleware.Wrap(batch.SQSHandler(process, nil), &middleware.Options{Logger: logger})

	ctx, cancel := lambdatest.NewContext(context.Background(), &lambdatest.Invocation{RequestID: "req-1"})
	defer cancel()
	out, err := lambdatest.Invoke(ctx, h, lambdatest.SQSEvent("orders", `{"id":"o-1"}`))
	fmt.Println(string(out), err)
	// Output:
	// {"level":"INFO","msg":"order","requestId":"req-1","cold_start":true,"correlation_id":"9e70b5a9-d743-489a-bab1-05fccea551e2","body":"{\"id\":\"o-1\"}"}
	// {"batchItemFailures":[]} <nil>
}

// The context a handler gets: a deadline, and the invocation's Lambda
// context.
func ExampleNewContext() {
	ctx, cancel := lambdatest.NewContext(context.Background(), &lambdatest.Invocation{
		RequestID:   "c6af9ac6-7b61-11e6-9a41-93e812345678",
		FunctionARN: "arn:aws:lambda:eu-central-1:123456789012:function:orders:live",
	})
	defer cancel()
	lc, _ := lambdacontext.FromContext(ctx)
	_, hasDeadline := ctx.Deadline()
	fmt.Println(lc.AwsRequestID, lc.InvokedFunctionArn, hasDeadline)
	// Output:
	// c6af9ac6-7b61-11e6-9a41-93e812345678 arn:aws:lambda:eu-central-1:123456789012:function:orders:live true
}

// The API Gateway HTTP API event for a request, with what the idempotency
// key extractors read.
func ExampleAPIGatewayV2Request() {
	r := lambdatest.APIGatewayV2Request("POST", "/payments", `{"amount":1000}`, map[string]string{"Idempotency-Key": "k-42"})
	fmt.Println(r.RouteKey, r.RequestContext.Stage, r.Headers["idempotency-key"], r.Headers["content-type"])
	// Output:
	// POST /payments $default k-42 application/json
}
