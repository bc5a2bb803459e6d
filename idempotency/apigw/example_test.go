package apigw_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/apigw"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/lambdatest"
)

// POST /payments on an HTTP API, idempotent per Idempotency-Key: a retry
// gets the stored response, marked as a replay; a request without the
// header, or the key reused for another payment, is a client error.
func ExampleHTTPHandler() {
	guard := idempotency.New(memstore.New(nil), &idempotency.Options{Namespace: "payments", Logger: slog.New(slog.DiscardHandler)})
	charges := 0
	createPayment := func(ctx context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		charges++
		return events.APIGatewayV2HTTPResponse{StatusCode: 201, Body: fmt.Sprintf(`{"payment":"pay-%d"}`, charges)}, nil
	}
	handler := apigw.HTTPHandler(guard, createPayment, nil) // lambda.Start(handler), in main

	for _, r := range []events.APIGatewayV2HTTPRequest{
		lambdatest.APIGatewayV2Request("POST", "/payments", `{"amount":1000}`, map[string]string{"Idempotency-Key": "8e03978e"}),
		lambdatest.APIGatewayV2Request("POST", "/payments", `{"amount":1000}`, map[string]string{"Idempotency-Key": "8e03978e"}),
		lambdatest.APIGatewayV2Request("POST", "/payments", `{"amount":1000}`, nil),
		lambdatest.APIGatewayV2Request("POST", "/payments", `{"amount":5}`, map[string]string{"Idempotency-Key": "8e03978e"}),
	} {
		resp, err := handler(context.Background(), r)
		fmt.Println(resp.StatusCode, resp.Headers[apigw.DefaultReplayHeader], resp.Body, err)
	}
	fmt.Println("charges:", charges)
	// Output:
	// 201  {"payment":"pay-1"} <nil>
	// 201 true {"payment":"pay-1"} <nil>
	// 400  {"title":"Idempotency-Key header required","status":400,"detail":"This endpoint is idempotent: send a unique Idempotency-Key header with each new request, and the same one with its retries."} <nil>
	// 422  {"title":"Idempotency-Key reused","status":422,"detail":"This Idempotency-Key was used for a different request; send a new key for a new request."} <nil>
	// charges: 1
}

// A REST API endpoint whose clients send their key in X-Request-Key, with
// replays marked X-Replayed: the key is scoped by API, stage, method and
// resource exactly as for Idempotency-Key.
func ExampleRESTHandler() {
	guard := idempotency.New(memstore.New(nil), &idempotency.Options{Namespace: "refunds", Logger: slog.New(slog.DiscardHandler)})
	refunds := 0
	refund := func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		refunds++
		return events.APIGatewayProxyResponse{StatusCode: 201, Body: fmt.Sprintf(`{"refund":"re-%d"}`, refunds)}, nil
	}
	handler := apigw.RESTHandler(guard, refund, &apigw.Options{Header: "X-Request-Key", ReplayHeader: "X-Replayed"})

	for _, key := range []string{"r-1", "r-1", ""} {
		headers := map[string]string{}
		if key != "" {
			headers["x-request-key"] = key
		}
		resp, err := handler(context.Background(), lambdatest.APIGatewayRequest("POST", "/refunds", `{"payment":"pay-1"}`, headers))
		fmt.Println(resp.StatusCode, resp.Headers["X-Replayed"], resp.Body, err)
	}
	fmt.Println("refunds:", refunds)
	// Output:
	// 201  {"refund":"re-1"} <nil>
	// 201 true {"refund":"re-1"} <nil>
	// 400  {"title":"X-Request-Key header required","status":400,"detail":"This endpoint is idempotent: send a unique X-Request-Key header with each new request, and the same one with its retries."} <nil>
	// refunds: 1
}

// Two tenants' users send one guessable key to POST /orders: each tenant's
// order is placed once, and a user of another tenant never gets it. The
// key is scoped by a tenant claim of the JWT instead of its subject.
func ExampleOptions_tenant() {
	guard := idempotency.New(memstore.New(nil), &idempotency.Options{Namespace: "orders", Logger: slog.New(slog.DiscardHandler)})
	placed := 0
	placeOrder := func(ctx context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		placed++
		return events.APIGatewayV2HTTPResponse{StatusCode: 201, Body: fmt.Sprintf(`{"order":%d}`, placed)}, nil
	}
	tenant := func(r events.APIGatewayV2HTTPRequest) (string, error) {
		if a := r.RequestContext.Authorizer; a != nil && a.JWT != nil {
			return a.JWT.Claims["custom:tenant"], nil
		}
		return "", nil // no tenant: refused with a 500, never shared
	}
	handler := apigw.HTTPHandler(guard, placeOrder, &apigw.Options{HTTPPrincipal: tenant})

	for _, user := range []struct{ sub, tenant string }{{"alice", "acme"}, {"bob", "acme"}, {"carol", "globex"}} {
		r := lambdatest.APIGatewayV2Request("POST", "/orders", `{"sku":"a-1"}`, map[string]string{"Idempotency-Key": "order-42"})
		r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"iss": "https://idp.example", "sub": user.sub, "custom:tenant": user.tenant}}}
		resp, _ := handler(context.Background(), r)
		fmt.Println(user.sub, user.tenant, resp.StatusCode, resp.Headers[apigw.DefaultReplayHeader], resp.Body)
	}
	// Output:
	// alice acme 201  {"order":1}
	// bob acme 201 true {"order":1}
	// carol globex 201  {"order":2}
}
