// Command hello is the hello-world Go bootstrap the thumbnailer's cold start
// is compared with.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context) (string, error) { return "hello", nil })
}
