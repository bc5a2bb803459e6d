// Package recipefixed is the recipe's sample handler written with Rampart:
// the idempotency guard records the key, runs the work, and releases the
// key when the work fails; the batch processor reports each failed message
// in the partial batch response, so SQS retries it and, after
// maxReceiveCount, dead-letters it.
package recipefixed

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
)

func processOrder(ctx context.Context, body string) error { return nil }

func process(ctx context.Context, record events.SQSMessage) error {
	return processOrder(ctx, record.Body)
}

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		panic(err)
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), os.Getenv("IDEMPOTENCY_TABLE"), nil)
	guard := idempotency.New(store, &idempotency.Options{Namespace: "orders"})
	lambda.Start(batch.SQSHandler(process, &batch.Options[events.SQSMessage]{Guard: guard, Key: idempotency.SQSKey}))
}
