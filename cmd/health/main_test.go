package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/rietest"
)

// TestRIE runs the health bootstrap as deployed under aws-lambda-rie: GET
// /health answers 200 with the version, a payload it cannot decode fails
// the invocation, and every line it writes (aws-lambda-go's report of the
// failure included) is one JSON object with the request id.
func TestRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap")
	}
	fn := rietest.Start(t, ".", []string{
		"AWS_LAMBDA_FUNCTION_NAME=rampart-health-test", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_TIMEOUT=3", "AWS_REGION=eu-central-1",
	})
	req, _ := json.Marshal(events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "GET /health", RawPath: "/health",
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "api-1", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/health"}}})
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal([]byte(fn.Invoke(t, "health-1", req)), &resp); err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"version"`) {
		t.Fatalf("GET /health: %+v, %v", resp, err)
	}
	if got := fn.Invoke(t, "health-2", []byte(`"not an API Gateway request"`)); !strings.Contains(got, `"errorMessage"`) {
		t.Fatalf("undecodable payload: %s", got)
	}
	rietest.WaitFor(t, func() bool { return strings.Contains(fn.Output(), "invocation error reported to Lambda") })
	for _, l := range fn.Lines(t) {
		if l.Fields["msg"] == "invocation error reported to Lambda" && (l.Fields["requestId"] != "health-2" || l.Fields["level"] != "ERROR") {
			t.Errorf("error report: %s", l.Raw)
		}
	}
}
