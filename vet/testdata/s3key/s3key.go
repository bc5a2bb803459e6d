// Package s3key is analysistest data for the s3key analyzer.
package s3key

import (
	"context"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var (
	s3c *s3.Client
	ddb *dynamodb.Client
)

// Bug: the encoded key read straight from the event.
func handleGet(ctx context.Context, ev events.S3Event) error {
	for _, r := range ev.Records {
		key := r.S3.Object.Key // want `s3key: events.S3Object.Key is URL-encoded .* reaches the Key of an s3.GetObjectInput`
		if _, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.S3.Bucket.Name), Key: aws.String(key)}); err != nil {
			return err
		}
	}
	return nil
}

// Bug: through a helper of this package and a string operation.
func handleHelper(ctx context.Context, ev events.S3Event) error {
	return thumb(ctx, ev.Records[0].S3.Bucket.Name, ev.Records[0].S3.Object.Key) // want `s3key: .*reaches a call of thumb, which uses it as an object key`
}

// Bug: the handler is a closure over its client (reported once).
func newHandler(c *s3.Client) func(context.Context, events.S3Event) error {
	return func(ctx context.Context, ev events.S3Event) error {
		for _, r := range ev.Records {
			if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.S3.Bucket.Name), Key: aws.String(r.S3.Object.Key)}); err != nil { // want `s3key: .*reaches the Key of an s3.GetObjectInput`
				return err
			}
		}
		return nil
	}
}

func thumb(ctx context.Context, bucket, src string) error {
	_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("thumbs/" + strings.TrimPrefix(src, "uploads/"))})
	return err
}

// Bug: stored as a DynamoDB attribute.
func handleRecord(ctx context.Context, r events.S3EventRecord) error {
	_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String("media"),
		Item: map[string]types.AttributeValue{
			"key": &types.AttributeValueMemberS{Value: r.S3.Object.Key}, // want `s3key: .*reaches a DynamoDB string attribute`
		},
	})
	return err
}

// Bug: a blob store's key parameter.
type blobs interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

func handleBlob(ctx context.Context, ev events.S3Event, b blobs) error {
	_, err := b.Get(ctx, ev.Records[0].S3.Object.Key) // want `s3key: .*reaches the key parameter of blobs.Get`
	return err
}

// Bug, as AI tools write it: url.PathUnescape, which leaves the '+' S3
// writes for a space.
func handlePathUnescape(ctx context.Context, ev events.S3Event) error {
	for _, r := range ev.Records {
		key, err := url.PathUnescape(r.S3.Object.Key) // want `s3key: events.S3Object.Key is URL-encoded`
		if err != nil {
			return err
		}
		if _, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.S3.Bucket.Name), Key: aws.String(key)}); err != nil {
			return err
		}
	}
	return nil
}

// Fix: the '+' replaced, then url.PathUnescape.
func handlePlusThenPathUnescape(ctx context.Context, ev events.S3Event) error {
	for _, r := range ev.Records {
		key, err := url.PathUnescape(strings.ReplaceAll(r.S3.Object.Key, "+", " "))
		if err != nil {
			return err
		}
		if _, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.S3.Bucket.Name), Key: aws.String(key)}); err != nil {
			return err
		}
	}
	return nil
}

// Fix: the decoded key, from aws-lambda-go or url.QueryUnescape.
func handleFixed(ctx context.Context, ev events.S3Event) error {
	for _, r := range ev.Records {
		if _, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.S3.Bucket.Name), Key: aws.String(r.S3.Object.URLDecodedKey)}); err != nil {
			return err
		}
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return err
		}
		if err := thumb(ctx, r.S3.Bucket.Name, key); err != nil {
			return err
		}
	}
	return nil
}

// Near-miss: the raw key as a map key, in a log line, compared, or its
// length taken.
func handleNearMiss(ctx context.Context, ev events.S3Event) (int, error) {
	seen := map[string]bool{}
	n := 0
	for _, r := range ev.Records {
		seen[r.S3.Object.Key] = true
		println("got", r.S3.Object.Key)
		if r.S3.Object.Key == "" {
			continue
		}
		n += len(r.S3.Object.Key)
	}
	return n, nil
}
