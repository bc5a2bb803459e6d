// Package suppress is analysistest data for //rampart:ignore.
package suppress

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var client *s3.Client

func handle(ctx context.Context, ev events.S3Event) error {
	// A reason on the line: suppressed.
	_, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("b")}) //rampart:ignore deadline the probe must finish even after the deadline
	if err != nil {
		return err
	}
	//rampart:ignore deadline alone on the line above: suppressed too
	_, err = client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("b")})
	if err != nil {
		return err
	}
	// No reason: reported, and the message says why.
	_, err = client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("b")}) //rampart:ignore deadline // want `deadline: .*without a reason suppresses nothing`
	if err != nil {
		return err
	}
	// Another rule named: reported.
	_, err = client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("b")}) //rampart:ignore initclient not this one // want `deadline: Client.HeadObject passes context.Background`
	return err
}
