package lambdatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Invoke calls h with event as the Lambda runtime calls a handler, through
// aws-lambda-go's lambda.NewHandler(h).Invoke, and returns the response
// payload and the handler's error. h is anything lambda.Start accepts: a
// function of one of the signatures it lists (checked as it checks them),
// or a lambda.Handler such as middleware.Wrap's. event is the raw event as
// []byte, json.RawMessage or string, or any other value, encoded as JSON
// (an events.SQSEvent, an events.APIGatewayV2HTTPRequest, ...). Use ctx
// from [Context].
func Invoke(ctx context.Context, h any, event any) ([]byte, error) {
	payload, err := encode(event)
	if err != nil {
		return nil, err
	}
	out, err := lambda.NewHandler(h).Invoke(ctx, payload)
	// The bytes may be aws-lambda-go's pooled buffer.
	return bytes.Clone(out), err
}

// InvokeAs is [Invoke] decoding the response as TOut, as a caller of the
// function (API Gateway, an SDK's Invoke) would. A handler error is
// returned with the zero TOut.
func InvokeAs[TOut any](ctx context.Context, h any, event any) (TOut, error) {
	var out TOut
	b, err := Invoke(ctx, h, event)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("lambdatest: decode response %.200q as %T: %w", b, out, err)
	}
	return out, nil
}

func encode(event any) ([]byte, error) {
	switch e := event.(type) {
	case []byte:
		return e, nil
	case json.RawMessage:
		return e, nil
	case string:
		return []byte(e), nil
	}
	b, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("lambdatest: encode event %T: %w", event, err)
	}
	return b, nil
}

// ErrorType returns the errorType Lambda reports for a handler error, as
// aws-lambda-go computes it: the name of the error's type, without its
// package or pointer ("InProgressError" for an
// *idempotency.InProgressError, "errorString" for errors.New's). A Step
// Functions Retry, a destination's filter or an alarm matches on it.
func ErrorType(err error) string {
	if err == nil {
		return ""
	}
	if ie, ok := err.(messages.InvokeResponse_Error); ok {
		return ie.Type
	}
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
