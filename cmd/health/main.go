// Command health is the Lambda bootstrap (provided.al2023, arm64) of the
// media service's GET /health behind an API Gateway HTTP API (payload format
// 2.0): JSON with the service version and status. Every line it writes is
// one JSON object (package logging, also for the log package); GOMEMLIMIT
// defaults to the function's memory less a tenth (internal/memlimit).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rampartdev/rampart/internal/memlimit"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/media/health"
	"github.com/rampartdev/rampart/middleware"
)

// Version is stamped at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	memlimit.FromLambda()
	lh := logging.NewJSONHandler(os.Stdout, nil)
	logging.SetDefault(lh)
	h := &health.Handler{Service: "rampart-media", Version: Version}
	lambda.Start(middleware.Wrap(h.HandleAPIGateway, &middleware.Options{Logger: slog.New(lh)}))
}
