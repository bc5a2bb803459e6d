// Package deadline is analysistest data for the deadline analyzer.
package deadline

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var client *s3.Client

// Bug: the SDK call ignores the invocation's deadline.
func handleBackground(ctx context.Context, ev events.S3Event) error {
	_, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}) // want `deadline: \(Client\).GetObject passes context.Background\(\)|deadline: Client.GetObject passes context.Background\(\)`
	return err
}

// Bug: TODO through a variable.
func handleTODO(ctx context.Context, ev events.SQSEvent) error {
	c := context.TODO()
	_, err := client.HeadObject(c, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}) // want `deadline: Client.HeadObject passes context.TODO\(\)`
	return err
}

// Bug: HTTP without a context.
func handleHTTP(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	resp, err := http.Get("http://127.0.0.1/") // want `deadline: http.Get makes an HTTP request without the invocation's context`
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	resp.Body.Close()
	req, err := http.NewRequest("GET", "http://127.0.0.1/", nil) // want `deadline: http.NewRequest makes an HTTP request without`
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	_, err = http.DefaultClient.Do(req)
	return events.APIGatewayProxyResponse{StatusCode: 200}, err
}

// Bug: a handler passed to lambda.Start, whatever its payload type.
type order struct{ ID string }

func handleOrder(ctx context.Context, o order) error {
	_, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(o.ID)}) // want `deadline: Client.GetObject passes context.Background`
	return err
}

func main() { lambda.Start(handleOrder) }

// Fix: the handler's ctx.
func handleFixed(ctx context.Context, ev events.S3Event) error {
	_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1/", nil)
	if err != nil {
		return err
	}
	_, err = http.DefaultClient.Do(req)
	return err
}

// Near-miss: a deliberate, bounded context for a cleanup that must run
// after the deadline; a request given its context later; Background outside
// any handler.
func handleCleanup(ctx context.Context, ev events.SQSEvent) error {
	cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := client.DeleteObject(cctx, &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		return err
	}
	_, err = client.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		return err
	}
	req, err := http.NewRequest("GET", "http://127.0.0.1/", nil)
	if err != nil {
		return err
	}
	_, err = http.DefaultClient.Do(req.WithContext(ctx))
	return err
}

// Near-miss: deferred cleanups, which run when the handler returns (often
// because ctx ended) and choose a context of their own on purpose.
func handleDeferredCleanup(ctx context.Context, ev events.SQSEvent) (err error) {
	defer client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("tmp")})
	defer func() {
		if err != nil {
			client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("marker")})
		}
	}()
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("marker")})
	return err
}

// Bug: a closure that is not deferred is no cleanup.
func handleClosure(ctx context.Context, ev events.SQSEvent) error {
	put := func() error {
		_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}) // want `deadline: Client.PutObject passes context.Background`
		return err
	}
	return put()
}

func warmUp() error {
	_, err := client.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	return err
}

// Bug, as AI tools write it: a helper of the handler's that takes no
// context and makes one up.
func (a *store) fetch(key string) error {
	_, err := client.GetObject(context.TODO(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(key)}) // want `deadline: Client.GetObject passes context.TODO\(\) inside a Lambda handler \(in fetch, which the handler calls at line \d+\)`
	return err
}

type store struct{}

func (a *store) handle(ctx context.Context, m events.SQSMessage) error {
	defer a.cleanup()
	return a.fetch(m.Body)
}

// Near-miss: a helper the handler defers (a cleanup), and warmUp above,
// which only start calls.
func (a *store) cleanup() {
	client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("tmp")})
}

func start() {
	if err := warmUp(); err != nil {
		panic(err)
	}
	lambda.Start((&store{}).handle)
}

// Near-miss: lazy init inside sync.Once, whose result outlives the
// invocation (initclient counts it as init too).
var (
	once  sync.Once
	ready bool
)

func handleOnce(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	once.Do(func() {
		_, err := client.ListBuckets(context.Background(), &s3.ListBucketsInput{})
		ready = err == nil
	})
	return events.SQSEventResponse{}, nil
}
