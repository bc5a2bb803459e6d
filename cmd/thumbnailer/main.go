// Command thumbnailer is the Lambda bootstrap of the media service's
// thumbnailer (provided.al2023, arm64): S3 notifications, delivered through
// SQS (with ReportBatchItemFailures), directly or by EventBridge, become
// thumbnails in the bucket and records in the media table.
//
// Configuration comes from the environment (thumbnailer.Env): the
// bucket, the media and idempotency tables, and optional sizes, quality and
// limits. The AWS SDK is configured from the environment as the SDK reads it
// (internal/awsenv): on Lambda the region and the role's credentials; to
// run it against local servers, AWS_ENDPOINT_URL_S3 and
// AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL), and for S3-compatible
// servers without the SDK's newer checksums
// AWS_REQUEST_CHECKSUM_CALCULATION=when_required and
// AWS_RESPONSE_CHECKSUM_VALIDATION=when_required. GOMEMLIMIT defaults to
// the function's memory less a tenth (internal/memlimit).
//
// Every line on stdout and stderr is one JSON object: logs (package logging,
// with the Lambda context and correlation id, also for the log package and
// slog's default logger) and metrics in CloudWatch embedded metric format
// (package metrics, namespace Rampart/Media).
//
// It links neither SQLite nor the local runtime (a test checks).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rampartdev/rampart/blob/s3blob"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/internal/awsenv"
	"github.com/rampartdev/rampart/internal/memlimit"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/media/dynamorecords"
	"github.com/rampartdev/rampart/media/thumbnailer"
	"github.com/rampartdev/rampart/metrics"
	"github.com/rampartdev/rampart/middleware"
)

// Version is stamped at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	memlimit.FromLambda()
	lh := logging.NewJSONHandler(os.Stdout, nil)
	logging.SetDefault(lh)
	logger := slog.New(lh).With(slog.String("service", "thumbnailer"), slog.String("version", Version))
	rec, err := metrics.New(os.Stdout, &metrics.Options{Namespace: "Rampart/Media", Dimensions: []metrics.Dimension{{Name: "service", Value: "thumbnailer"}}})
	if err != nil {
		logger.Error("metrics", slog.Any("error", err))
		os.Exit(1)
	}
	awsCfg, err := awsenv.Load()
	if err != nil {
		logger.Error("AWS configuration", slog.Any("error", err))
		os.Exit(1)
	}
	th, err := newThumbnailer(awsCfg, os.Getenv, logger)
	if err != nil {
		logger.Error("configuration", slog.Any("error", err))
		os.Exit(1)
	}
	// The toolkit's middleware starts each invocation's logging context and
	// metrics set and cancels the handler shortly before the deadline.
	lambda.Start(middleware.Wrap(th.Invoke, &middleware.Options{Logger: logger, Metrics: rec}))
}

// setMetrics counts into the invocation's metrics.Set (EMF on stdout).
type setMetrics struct{}

func (setMetrics) Count(ctx context.Context, name string, n int) {
	metrics.FromContext(ctx).Add(name, metrics.Count, float64(n))
}

// newThumbnailer wires the handler to S3 and DynamoDB.
func newThumbnailer(awsCfg aws.Config, getenv func(string) string, logger *slog.Logger) (*thumbnailer.Thumbnailer, error) {
	cfg, err := thumbnailer.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	ddb := dynamodb.NewFromConfig(awsCfg)
	objects := s3blob.New(s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = awsenv.S3PathStyle() }), cfg.Bucket)
	guard := idempotency.New(dynamostore.New(ddb, cfg.IdempotencyTable, &dynamostore.Options{Logger: logger}), &idempotency.Options{
		Namespace: "thumbnailer", Logger: logger,
	})
	opts := cfg.Options
	opts.Logger = logger
	opts.Metrics = setMetrics{}
	return thumbnailer.New(objects, dynamorecords.New(ddb, cfg.MediaTable), guard, &opts), nil
}
