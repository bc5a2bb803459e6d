package logging_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/logging"
)

// The Powertools preset writes the keys of Powertools for AWS Lambda's
// logger, so existing Logs Insights queries and dashboards keep working.
func ExampleNewJSONHandler_powertools() {
	h := logging.NewJSONHandler(os.Stdout, &logging.Options{
		Preset:  logging.PresetPowertools,
		Service: "payment", // else POWERTOOLS_SERVICE_NAME
		// Drop what changes from run to run, for the example's output.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == logging.KeyColdStart) {
				return slog.Attr{}
			}
			return a
		},
	})
	logger := slog.New(h)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       "52fdfc07-2182-154f-163f-5f0f9a621d72",
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:payment",
	})
	ctx = h.Start(ctx, []byte(`{"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","eventSource":"aws:sqs","body":"{}"}]}`))
	logger.InfoContext(ctx, "Collecting payment", "amount", 1000)
	// Output:
	// {"level":"INFO","location":"logging_test.ExampleNewJSONHandler_powertools:33","message":"Collecting payment","service":"payment","function_request_id":"52fdfc07-2182-154f-163f-5f0f9a621d72","function_arn":"arn:aws:lambda:eu-west-1:123456789012:function:payment","correlation_id":"059f36b4-87a3-44ab-83d2-661975830a7d","amount":1000}
}
