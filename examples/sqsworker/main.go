// Command sqsworker is a runnable example of the Rampart Lambda toolkit: an
// SQS-triggered function that processes orders with structured logs, EMF
// metrics, partial batch responses, per-message idempotency and a deadline
// guard, in a few lines of wiring (see main).
//
// Each message body is an order, {"id": "o-1", "quantity": 2}. A message
// that is not a valid order fails alone and is reported back to SQS; a
// duplicate order (same id), in the same batch or a later one, is processed
// once.
//
// Build it as a Lambda bootstrap:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./examples/sqsworker
//
// Configuration (environment):
//
//	IDEMPOTENCY_TABLE   DynamoDB table of idempotency records (partition key "id");
//	                    unset: records are kept in memory, per execution environment
//	METRICS_NAMESPACE   CloudWatch namespace (default "Rampart/Examples")
//	AWS_LAMBDA_LOG_LEVEL  the log level, as Lambda's logging controls set it
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/internal/memlimit"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/metrics"
	"github.com/rampartdev/rampart/middleware"
)

// order is the message body.
type order struct {
	ID       string `json:"id"`
	Quantity int    `json:"quantity"`
	// DelayMS makes processing take this long (to show the deadline guard).
	DelayMS int `json:"delay_ms,omitempty"`
}

// errInvalidOrder marks a message that can never be processed.
var errInvalidOrder = errors.New("invalid order")

func main() {
	ctx := context.Background()
	// GOMEMLIMIT from the function's memory, unless set.
	memlimit.FromLambda()
	logs := logging.NewJSONHandler(os.Stdout, nil)
	logger := slog.New(logs)
	// slog's default logger and the log package (aws-lambda-go's error line)
	// write JSON with the Lambda context too.
	logging.SetDefault(logs)

	store, err := newStore(ctx)
	if err != nil {
		logger.Error("idempotency store", "error", err.Error())
		os.Exit(1)
	}
	handler, err := newHandler(os.Stdout, logger, store, os.Getenv("METRICS_NAMESPACE"))
	if err != nil {
		logger.Error("metrics", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler)
}

// newHandler returns the function: a batch handler, idempotent per order,
// wrapped with logging, metrics written to out in namespace ns (empty means
// "Rampart/Examples") and the deadline guard. main starts it; the tests
// invoke it in process.
func newHandler(out io.Writer, logger *slog.Logger, store idempotency.Store, ns string) (*middleware.Handler, error) {
	if ns == "" {
		ns = "Rampart/Examples"
	}
	rec, err := metrics.New(out, &metrics.Options{
		Namespace:  ns,
		Dimensions: []metrics.Dimension{{Name: "service", Value: "sqsworker"}},
	})
	if err != nil {
		return nil, err
	}
	guard := idempotency.New(store, &idempotency.Options{Namespace: "sqsworker", Logger: logger})
	handler := batch.SQSHandler(process, &batch.Options[events.SQSMessage]{
		Concurrency: 4,
		Guard:       guard,
		Key:         orderKey,
		// What makes two messages the same order: a resend with another
		// delay, trace attribute or key order is a duplicate, processed once.
		Payload: idempotency.SQSBodyFields("id", "quantity"),
		Logger:  logger,
	})
	return middleware.Wrap(handler, &middleware.Options{Logger: logger, Metrics: rec}), nil
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

// orderKey makes the order id the idempotency key: the same order sent twice
// (two messages) is processed once.
func orderKey(m events.SQSMessage) (string, error) {
	var o order
	if err := json.Unmarshal([]byte(m.Body), &o); err != nil || o.ID == "" {
		// No key: fall back to the message id, so the message still runs
		// (and fails on its invalid body).
		return idempotency.SQSKey(m)
	}
	return "order|" + o.ID, nil
}

// process handles one message.
func process(ctx context.Context, m events.SQSMessage) error {
	var o order
	if err := json.Unmarshal([]byte(m.Body), &o); err != nil {
		return fmt.Errorf("%w: %v", errInvalidOrder, err)
	}
	if o.ID == "" || o.Quantity <= 0 {
		return fmt.Errorf("%w: id %q, quantity %d", errInvalidOrder, o.ID, o.Quantity)
	}
	if o.DelayMS > 0 {
		select {
		case <-time.After(time.Duration(o.DelayMS) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	slog.InfoContext(ctx, "order processed", "order_id", o.ID, "quantity", o.Quantity)
	set := metrics.FromContext(ctx)
	_ = set.Add("OrdersProcessed", metrics.Count, 1)
	_ = set.Add("ItemsOrdered", metrics.Count, float64(o.Quantity))
	return nil
}
