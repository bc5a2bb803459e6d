package idempotencytest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/apigw"
)

// orderRequest is POST /orders on an HTTP API with key, from the JWT
// subject sub (none when sub is empty).
func orderRequest(key, sub string) events.APIGatewayV2HTTPRequest {
	r := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /orders", RawPath: "/orders", Body: `{"sku":"a-1"}`,
		Headers: map[string]string{"idempotency-key": key, "content-type": "application/json"},
	}
	r.RequestContext.APIID, r.RequestContext.Stage, r.RequestContext.RouteKey = "api0123456", "$default", r.RouteKey
	r.RequestContext.HTTP.Method, r.RequestContext.HTTP.Path = "POST", "/orders"
	if sub != "" {
		r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"iss": "https://idp.example", "sub": sub}},
		}
	}
	return r
}

// orders is an apigw.HTTPHandler that counts its orders and answers each
// with its number and a session cookie.
func orders(g *idempotency.Guard, runs *atomic.Int64) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.HTTPHandler(g, func(_ context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		n := runs.Add(1)
		return events.APIGatewayV2HTTPResponse{
			StatusCode: 201, Body: fmt.Sprintf(`{"order":%d}`, n),
			Headers: map[string]string{"Content-Type": "application/json", "Set-Cookie": fmt.Sprintf("session=secret-%d", n)},
			Cookies: []string{fmt.Sprintf("csrf=secret-%d", n)},
		}, nil
	}, nil)
}

var apigwCases = []testCase{
	{
		name: "APIGatewayCallers",
		rule: "two callers who send one Idempotency-Key with the same request each run their own and get their own response; each one's retry replays their own",
		run: func(t *testing.T, e *env) {
			var runs atomic.Int64
			h := orders(e.guard(idempotency.Options{}), &runs)
			ctx := t.Context()
			bodies := map[string]string{}
			for _, sub := range []string{"alice", "bob", "alice", "bob"} {
				resp, err := h(ctx, orderRequest("order-42", sub))
				if err != nil || resp.StatusCode != 201 {
					t.Fatalf("%s: %+v, %v", sub, resp, err)
				}
				if first, ok := bodies[sub]; !ok {
					bodies[sub] = resp.Body
				} else if resp.Body != first || resp.Headers["Idempotent-Replayed"] != "true" {
					t.Errorf("%s's retry = %+v; want %s replayed", sub, resp, first)
				}
			}
			if n := runs.Load(); n != 2 || bodies["alice"] == bodies["bob"] {
				t.Errorf("%d runs, responses %v; want one run and one response per caller", n, bodies)
			}
		},
	},
	{
		name: "APIGatewayCookiesNotStored",
		rule: "a response's cookies reach its client but are neither stored nor replayed",
		run: func(t *testing.T, e *env) {
			var runs atomic.Int64
			g := e.guard(idempotency.Options{})
			h := orders(g, &runs)
			ctx := t.Context()
			r := orderRequest("k-1", "alice")
			first, err := h(ctx, r)
			if err != nil || first.Headers["Set-Cookie"] == "" || len(first.Cookies) != 1 {
				t.Fatalf("first = %+v, %v; want its cookies", first, err)
			}
			key, err := idempotency.APIGatewayV2Key(r)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := e.store.Get(ctx, g.StoreKey(key))
			if err != nil || rec.Status != idempotency.StatusCompleted || strings.Contains(string(rec.Result), "secret") || !strings.Contains(string(rec.Result), `order`) {
				t.Errorf("stored %q (%v, %v); want the response without its cookies", rec.Result, rec.Status, err)
			}
			replay, err := h(ctx, r)
			if err != nil || replay.Headers["Idempotent-Replayed"] != "true" || replay.Headers["Set-Cookie"] != "" || len(replay.Cookies) != 0 || replay.Body != first.Body {
				t.Errorf("replay = %+v, %v; want the body without cookies", replay, err)
			}
		},
	},
}
