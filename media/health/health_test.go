package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/media/health"
)

func TestHandler(t *testing.T) {
	h := &health.Handler{Service: "rampart-media", Version: "v1.2.3"}
	resp, err := h.HandleAPIGateway(t.Context(), events.APIGatewayV2HTTPRequest{RawPath: "/health",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}})
	if err != nil || resp.StatusCode != http.StatusOK || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("%+v, %v", resp, err)
	}
	var r health.Report
	if err := json.Unmarshal([]byte(resp.Body), &r); err != nil || r.Version != "v1.2.3" || r.Status != "ok" {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	h.Checks = map[string]func(context.Context) error{"records": func(context.Context) error { return errors.New("unreachable") }}
	resp, _ = h.HandleAPIGateway(t.Context(), events.APIGatewayV2HTTPRequest{})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(resp.Body, `"degraded"`) {
		t.Fatalf("failing check: %+v", resp)
	}
	resp, _ = h.HandleAPIGateway(t.Context(), events.APIGatewayV2HTTPRequest{
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"}}})
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %+v", resp)
	}
}
