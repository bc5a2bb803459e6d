// Command thumbnailer is the Lambda bootstrap of the media service's
// thumbnailer (provided.al2023, arm64): S3 notifications, delivered through
// SQS (with ReportBatchItemFailures), directly or by EventBridge, become
// thumbnails in the bucket and records in the media table.
//
// Configuration comes from the environment (media.ThumbnailerEnv): the
// bucket, the media and idempotency tables, and optional sizes, quality and
// limits. Logs are JSON on stdout (package logging, with the Lambda context and
// correlation id); metrics are CloudWatch embedded metric format (package
// metrics) in namespace Rampart/Media.
//
// It links neither SQLite nor the local runtime (a test checks).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rampartdev/rampart/blob/s3blob"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/dynamorecords"
	"github.com/rampartdev/rampart/metrics"
	"github.com/rampartdev/rampart/middleware"
)

// Version is stamped at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	lh := logging.NewJSONHandler(os.Stdout, nil)
	logger := slog.New(lh).With(slog.String("service", "thumbnailer"), slog.String("version", Version))
	rec, err := metrics.New(os.Stdout, metrics.Options{Namespace: "Rampart/Media", Dimensions: []metrics.Dimension{{Name: "service", Value: "thumbnailer"}}})
	if err != nil {
		logger.Error("metrics", slog.Any("error", err))
		os.Exit(1)
	}
	th, err := newThumbnailer(lambdaAWSConfig(os.Getenv), os.Getenv, logger, nil, nil)
	if err != nil {
		logger.Error("configuration", slog.Any("error", err))
		os.Exit(1)
	}
	// The toolkit's middleware starts each invocation's logging context and
	// metrics set and cancels the handler shortly before the deadline.
	lambda.Start(middleware.Wrap(th.Invoke, &middleware.Options{Logger: lh, Metrics: rec}))
}

// setMetrics counts into the invocation's metrics.Set (EMF on stdout).
type setMetrics struct{}

func (setMetrics) Count(ctx context.Context, name string, n int) {
	metrics.FromContext(ctx).Add(name, metrics.Count, float64(n))
}

// lambdaAWSConfig builds the SDK configuration from what the Lambda runtime
// puts in the environment: the region and the execution role's credentials
// (valid for the life of the execution environment). It replaces
// config.LoadDefaultConfig, whose shared-config, SSO and STS providers cost
// cold-start time and are never used on Lambda.
func lambdaAWSConfig(getenv func(string) string) aws.Config {
	return aws.Config{
		Region: getenv("AWS_REGION"),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))),
	}
}

// newThumbnailer wires the handler to S3 and DynamoDB. The option functions
// let tests point the clients at local servers.
func newThumbnailer(awsCfg aws.Config, getenv func(string) string, logger *slog.Logger,
	s3Opts []func(*s3.Options), ddbOpts []func(*dynamodb.Options)) (*media.Thumbnailer, error) {
	cfg, err := media.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	ddb := dynamodb.NewFromConfig(awsCfg, ddbOpts...)
	objects := s3blob.New(s3.NewFromConfig(awsCfg, s3Opts...), cfg.Bucket)
	guard := idempotency.New(dynamostore.New(ddb, cfg.IdempotencyTable, nil), &idempotency.Options{
		Namespace: "thumbnailer", Logger: logger,
	})
	opts := cfg.Options
	opts.Logger = logger
	opts.Metrics = setMetrics{}
	return media.NewThumbnailer(objects, dynamorecords.New(ddb, cfg.MediaTable), guard, &opts), nil
}
