package httpproxy

import (
	"io"
	"log/slog"

	"github.com/rampartdev/rampart/gateway"
)

// NewLogHandler is [gateway.NewLogHandler]: slog's JSON lines, byte for
// byte, cheaper per access record.
//
// It lives in package gateway, which the Worker links too.
func NewLogHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	return gateway.NewLogHandler(w, opts)
}
