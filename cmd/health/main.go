// Command health is the Lambda bootstrap (provided.al2023, arm64) of the
// media service's GET /health behind an API Gateway HTTP API (payload format
// 2.0): JSON with the service version and status.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/middleware"
)

// Version is stamped at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	h := &media.Health{Service: "rampart-media", Version: Version}
	lambda.Start(middleware.Wrap(h.HandleAPIGateway, nil))
}
