package logging_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/logging"
)

func ExampleHandler_Start() {
	h := logging.NewJSONHandler(os.Stdout, &logging.Options{
		// Drop the time and cold_start (true only on the process's first
		// invocation) so that the output is stable.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == logging.KeyColdStart) {
				return slog.Attr{}
			}
			return a
		},
	})
	logger := slog.New(h)

	// What aws-lambda-go's runtime puts in the context of an invocation.
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "c6af9ac6-7b61-11e6-9a41-93e812345678"})
	event := []byte(`{"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","eventSource":"aws:sqs","body":"hi"}]}`)

	ctx = h.Start(ctx, event)
	logger.InfoContext(ctx, "order stored", "order", "o-1842", "Authorization", "Bearer secret")
	logger.InfoContext(ctx, "second record")
	// Output:
	// {"level":"INFO","msg":"order stored","requestId":"c6af9ac6-7b61-11e6-9a41-93e812345678","correlation_id":"059f36b4-87a3-44ab-83d2-661975830a7d","order":"o-1842","Authorization":"[REDACTED]"}
	// {"level":"INFO","msg":"second record","requestId":"c6af9ac6-7b61-11e6-9a41-93e812345678","correlation_id":"059f36b4-87a3-44ab-83d2-661975830a7d"}
}
