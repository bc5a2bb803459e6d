// Command payments is a runnable example of the Rampart Lambda toolkit: an
// API Gateway HTTP API endpoint, POST /payments, that charges a card once
// per Idempotency-Key however often the client retries, with structured
// logs in Powertools' field names, an EMF metric and a deadline guard.
//
// The request body is {"amount": 1000, "currency": "EUR"}; the response a
// 201 with the payment. A retry (same key, same body) gets the same
// response with Idempotent-Replayed: true; a request without the header is
// a 400, the key reused for another body a 422, a retry while the first
// request runs a 409 with Retry-After (see package idempotency/apigw).
//
// Build it as a Lambda bootstrap:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./examples/payments
//
// Configuration (environment):
//
//	IDEMPOTENCY_TABLE        DynamoDB table of idempotency records (partition key "id");
//	                         unset: records are kept in memory, per execution environment
//	POWERTOOLS_SERVICE_NAME  the service field of every log line (default service_undefined)
//	AWS_LAMBDA_LOG_LEVEL     the log level, as Lambda's logging controls set it
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/apigw"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/metrics"
	"github.com/rampartdev/rampart/middleware"
)

// paymentRequest is the request body.
type paymentRequest struct {
	Amount   int64  `json:"amount"` // in minor units (cents)
	Currency string `json:"currency"`
}

// payment is the response body.
type payment struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// chargeFunc charges a card and returns the provider's payment id.
type chargeFunc func(ctx context.Context, p paymentRequest) (string, error)

func main() {
	logs := logging.NewJSONHandler(os.Stdout, &logging.Options{Preset: logging.PresetPowertools})
	logging.SetDefault(logs)
	logger := slog.New(logs)
	store, err := newStore(context.Background())
	if err != nil {
		logger.Error("idempotency store", "error", err.Error())
		os.Exit(1)
	}
	handler, err := newHandler(os.Stdout, logger, store, charge)
	if err != nil {
		logger.Error("metrics", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler)
}

// newHandler returns the function: POST /payments, idempotent per
// Idempotency-Key, wrapped with logging, metrics written to out and the
// deadline guard. main starts it; the tests invoke it in process.
func newHandler(out io.Writer, logger *slog.Logger, store idempotency.Store, charge chargeFunc) (*middleware.Handler, error) {
	rec, err := metrics.New(out, &metrics.Options{
		Namespace:  "Rampart/Examples",
		Dimensions: []metrics.Dimension{{Name: "service", Value: "payments"}},
	})
	if err != nil {
		return nil, err
	}
	guard := idempotency.New(store, &idempotency.Options{Namespace: "payments", Logger: logger})
	create := func(ctx context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		var req paymentRequest
		if err := json.Unmarshal([]byte(r.Body), &req); err != nil || req.Amount <= 0 || len(req.Currency) != 3 {
			return reply(http.StatusBadRequest, map[string]string{"error": "want {\"amount\": >0, \"currency\": \"EUR\"}"}), nil
		}
		id, err := charge(ctx, req)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("charge: %w", err) // not stored: the retry charges
		}
		logger.InfoContext(ctx, "payment created", "payment_id", id, "amount", req.Amount, "currency", req.Currency)
		_ = metrics.FromContext(ctx).Add("PaymentsCreated", metrics.Count, 1)
		return reply(http.StatusCreated, payment{ID: id, Amount: req.Amount, Currency: req.Currency}), nil
	}
	return middleware.Wrap(apigw.HTTPHandler(guard, create, &apigw.Options{Logger: logger}),
		&middleware.Options{Logger: logger, Metrics: rec}), nil
}

func reply(status int, body any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(body)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}

// charge stands for the payment provider's API: it makes up a payment id.
func charge(ctx context.Context, _ paymentRequest) (string, error) {
	var b [8]byte
	rand.Read(b[:])
	return "pay_" + hex.EncodeToString(b[:]), ctx.Err()
}

// newStore returns the DynamoDB store when IDEMPOTENCY_TABLE is set, else
// an in-memory one.
func newStore(ctx context.Context) (idempotency.Store, error) {
	table := os.Getenv("IDEMPOTENCY_TABLE")
	if table == "" {
		return memstore.New(nil), nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return dynamostore.New(dynamodb.NewFromConfig(cfg), table, nil), nil
}
