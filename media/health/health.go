// Package health serves the media service's GET /health: the service's
// version and the result of its checks, as JSON, behind API Gateway (the
// Lambda function cmd/health) or over net/http (rampart dev).
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Report is the body of GET /health.
type Report struct {
	Service string            `json:"service"`
	Version string            `json:"version"`
	Status  string            `json:"status"` // "ok" or "degraded"
	Checks  map[string]string `json:"checks,omitempty"`
	Time    time.Time         `json:"time"`
}

// Handler reports the service's version and status. Checks, when given, are
// run on every request with a short timeout; any failure makes the status
// "degraded" and the HTTP status 503.
type Handler struct {
	Service string
	Version string
	Checks  map[string]func(context.Context) error
	Now     func() time.Time // nil means time.Now
	Timeout time.Duration    // per check; zero means 2s
}

// Report runs the checks and returns the report and its HTTP status.
func (h *Handler) Report(ctx context.Context) (Report, int) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	r := Report{Service: h.Service, Version: h.Version, Status: "ok", Time: now().UTC()}
	code := http.StatusOK
	names := make([]string, 0, len(h.Checks))
	for n := range h.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if r.Checks == nil {
			r.Checks = map[string]string{}
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := h.Checks[n](cctx)
		cancel()
		if err != nil {
			r.Checks[n] = err.Error()
			r.Status, code = "degraded", http.StatusServiceUnavailable
			continue
		}
		r.Checks[n] = "ok"
	}
	return r, code
}

// HandleAPIGateway serves GET /health behind an API Gateway HTTP API
// (payload format 2.0).
func (h *Handler) HandleAPIGateway(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	headers := map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}
	if req.RequestContext.HTTP.Method != "" && req.RequestContext.HTTP.Method != http.MethodGet && req.RequestContext.HTTP.Method != http.MethodHead {
		headers["Allow"] = "GET, HEAD"
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusMethodNotAllowed, Headers: headers,
			Body: `{"error":"method not allowed"}`}, nil
	}
	r, code := h.Report(ctx)
	body, err := json.Marshal(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: code, Headers: headers, Body: string(body)}, nil
}

// ServeHTTP serves the same report over net/http (the local runtime).
func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r, code := h.Report(req.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(r)
}
