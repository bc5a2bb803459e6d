package redisstore_test

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/redisstore"
)

// A function made idempotent over Redis. The example needs a server, so it
// is compiled, not run.
func Example() {
	client := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer client.Close()
	store := redisstore.New(client, &redisstore.Options{Prefix: "billing:idem:"})
	guard := idempotency.New(store, &idempotency.Options{Namespace: "charge"})
	res, err := guard.Do(context.Background(), "order-42", []byte(`{"amount":100}`), func(ctx context.Context) ([]byte, error) {
		return []byte(`{"charged":true}`), nil // runs once per order
	})
	fmt.Println(string(res), err)
}
