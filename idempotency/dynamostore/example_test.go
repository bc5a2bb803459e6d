package dynamostore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
)

// A Lambda handler made idempotent with a table shared with Powertools
// functions. The example needs AWS credentials, so it is compiled, not run.
func Example() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		panic(err)
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), "idempotency", &dynamostore.Options{
		// Retry throttling more patiently than the SDK's 3 attempts.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 6
			o.MaxBackoff = 2 * time.Second
		}),
	})
	guard := idempotency.New(store, &idempotency.Options{Namespace: "charge"})
	res, err := guard.Do(ctx, "order-42", []byte(`{"amount":100}`), func(ctx context.Context) ([]byte, error) {
		return []byte(`{"charged":true}`), nil // runs once per order
	})
	fmt.Println(string(res), err)
}

// Sort-key mode, for a table whose partition key holds one value per
// function and whose sort key holds the record key.
func ExampleOptions_sortKey() {
	ctx := context.Background()
	cfg, _ := config.LoadDefaultConfig(ctx)
	client := dynamodb.NewFromConfig(cfg)
	opts := &dynamostore.Options{KeyAttr: "pk", SortKeyAttr: "sk", StaticPKValue: "idempotency#charge"}
	if err := dynamostore.CreateTable(ctx, client, "shared-table", opts); err != nil {
		panic(err)
	}
	_ = dynamostore.New(client, "shared-table", opts)
}
