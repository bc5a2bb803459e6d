// Package initclient is analysistest data for the initclient analyzer.
package initclient

import (
	"context"
	"database/sql"
	"net/http"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"
)

// Bug: the configuration and the clients are built on every invocation.
func handle(ctx context.Context, ev events.SQSEvent) error {
	cfg, err := config.LoadDefaultConfig(ctx) // want `initclient: the AWS SDK configuration \(config.LoadDefaultConfig\) is created inside the Lambda handler`
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(cfg) // want `initclient: an AWS SDK client \(dynamodb.NewFromConfig\)`
	_ = db
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // want `initclient: a Redis client \(redis.NewClient\)`
	defer rdb.Close()
	pool, err := sql.Open("sqlite", "x.db") // want `initclient: an SQL connection pool`
	if err != nil {
		return err
	}
	defer pool.Close()
	hc := &http.Client{Transport: &http.Transport{}} // want `initclient: an http.Transport`
	_ = hc
	return nil
}

// Fix: built once at init and shared.
type app struct{ s3 *s3.Client }

func newApp(ctx context.Context) (*app, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return &app{s3: s3.NewFromConfig(cfg)}, nil
}

func (a *app) handle(ctx context.Context, ev events.S3Event) error {
	_, err := a.s3.HeadObject(ctx, &s3.HeadObjectInput{})
	return err
}

// Near-miss: lazy init into a package variable, and inside sync.Once.
var (
	lazy     *s3.Client
	once     sync.Once
	onceCli  *dynamodb.Client
	getRedis = sync.OnceValue(func() *redis.Client { return redis.NewClient(&redis.Options{}) })
)

func handleLazy(ctx context.Context, ev events.S3Event) error {
	if lazy == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return err
		}
		lazy = s3.NewFromConfig(cfg)
	}
	once.Do(func() {
		cfg, _ := config.LoadDefaultConfig(ctx)
		onceCli = dynamodb.NewFromConfig(cfg)
	})
	return getRedis().Ping(ctx).Err()
}

// Near-miss: lazy init into a field of the handler's receiver.
type lazyApp struct {
	mu sync.Mutex
	s3 *s3.Client
}

func (a *lazyApp) handle(ctx context.Context, ev events.S3Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.s3 == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return err
		}
		a.s3 = s3.NewFromConfig(cfg)
	}
	return nil
}

// Bug: the receiver's field replaced on every invocation.
func (a *lazyApp) handleAlways(ctx context.Context, ev events.S3Event) error {
	cfg, err := config.LoadDefaultConfig(ctx) // want `initclient: the AWS SDK configuration`
	if err != nil {
		return err
	}
	a.s3 = s3.NewFromConfig(cfg) // want `initclient: an AWS SDK client \(s3.NewFromConfig\)`
	return nil
}

// Bug, as AI tools write it: a helper builds the client, and the handler
// calls it on every invocation.
func newDynamo(ctx context.Context) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg), nil
}

func handleHelper(ctx context.Context, ev events.SQSEvent) error {
	c, err := newDynamo(ctx) // want `initclient: the AWS SDK configuration \(config.LoadDefaultConfig\), built by newDynamo, is created inside the Lambda handler`
	if err != nil {
		return err
	}
	_, err = c.ListTables(ctx, &dynamodb.ListTablesInput{})
	return err
}

// Near-miss: a helper that builds the client once into a package variable,
// and one that returns the receiver's lazily built client.
var shared *dynamodb.Client

func sharedDynamo(ctx context.Context) (*dynamodb.Client, error) {
	if shared == nil {
		c, err := newDynamo(ctx)
		if err != nil {
			return nil, err
		}
		shared = c
	}
	return shared, nil
}

func (a *lazyApp) client(ctx context.Context) (*s3.Client, error) {
	if a.s3 == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, err
		}
		a.s3 = s3.NewFromConfig(cfg)
	}
	return a.s3, nil
}

func (a *lazyApp) handleShared(ctx context.Context, ev events.SQSEvent) error {
	c, err := sharedDynamo(ctx)
	if err != nil {
		return err
	}
	if _, err := a.client(ctx); err != nil {
		return err
	}
	_, err = c.ListTables(ctx, &dynamodb.ListTablesInput{})
	return err
}
