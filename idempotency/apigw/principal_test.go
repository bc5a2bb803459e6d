package apigw_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/apigw"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/lambdatest"
)

// signedIn returns r as a JWT authorizer passes it for the user sub of
// issuer iss, with more claims.
func signedIn(r events.APIGatewayV2HTTPRequest, iss, sub string, more ...string) events.APIGatewayV2HTTPRequest {
	claims := map[string]string{"iss": iss, "sub": sub}
	for i := 0; i+1 < len(more); i += 2 {
		claims[more[i]] = more[i+1]
	}
	r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: []string{"payments"}},
	}
	return r
}

// TestHTTPHandler_callers: two users who send one guessable key ("order-42")
// with the same request each have their payment made and get their own
// response; each one's retry replays their own. Before the key was scoped
// by the caller, bob got alice's response and was never charged.
func TestHTTPHandler_callers(t *testing.T) {
	p := &payments{}
	h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
	const iss = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_pool"
	alice := signedIn(post("order-42", `{"amount":1000}`), iss, "alice")
	bob := signedIn(post("order-42", `{"amount":1000}`), iss, "bob")
	ctx := lambdatest.Context(t, nil)
	a, _ := h(ctx, alice)
	b, err := h(ctx, bob)
	if err != nil || b.StatusCode != 201 || b.Body == a.Body || b.Headers["Idempotent-Replayed"] != "" || p.charges.Load() != 2 {
		t.Fatalf("bob = %+v, %v after %d charges; want his own payment, not alice's %s", b, err, p.charges.Load(), a.Body)
	}
	for _, c := range []struct {
		who  string
		r    events.APIGatewayV2HTTPRequest
		want string
	}{{"alice", alice, a.Body}, {"bob", bob, b.Body}} {
		if again, _ := h(ctx, c.r); again.Body != c.want || again.Headers["Idempotent-Replayed"] != "true" {
			t.Errorf("%s's retry = %+v; want %s replayed", c.who, again, c.want)
		}
	}
	// One subject from another issuer is another caller.
	if other, _ := h(ctx, signedIn(post("order-42", `{"amount":1000}`), "https://other.example", "alice")); other.Headers["Idempotent-Replayed"] != "" {
		t.Errorf("alice of another issuer got a replay: %+v", other)
	}
	// IAM callers: two users, one key.
	iam := func(arn string) events.APIGatewayV2HTTPRequest {
		r := post("order-43", `{"amount":5}`)
		r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: arn, AccountID: "123456789012"}}
		return r
	}
	before := p.charges.Load()
	_, _ = h(ctx, iam("arn:aws:iam::123456789012:user/alice"))
	if resp, _ := h(ctx, iam("arn:aws:iam::123456789012:user/bob")); resp.Headers["Idempotent-Replayed"] != "" || p.charges.Load() != before+2 {
		t.Errorf("IAM users sharing a key: %+v after %d charges; want two payments", resp, p.charges.Load()-before)
	}
}

// TestRESTHandler_callers: a REST API's Lambda authorizer principals and
// Cognito user pool subjects scope the key.
func TestRESTHandler_callers(t *testing.T) {
	var runs atomic.Int32
	h := apigw.RESTHandler(newGuard(t, nil, nil), func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 201, Body: fmt.Sprintf(`{"run":%d}`, runs.Add(1))}, nil
	}, nil)
	req := func(authorizer map[string]any) events.APIGatewayProxyRequest {
		r := lambdatest.APIGatewayRequest("POST", "/orders", `{"sku":"a"}`, map[string]string{"Idempotency-Key": "order-42"})
		r.RequestContext.Authorizer = authorizer
		return r
	}
	ctx := lambdatest.Context(t, nil)
	for _, r := range []events.APIGatewayProxyRequest{
		req(map[string]any{"principalId": "alice", "integrationLatency": 10.0}),
		req(map[string]any{"principalId": "alice", "integrationLatency": 31.0}), // her retry: another latency
		req(map[string]any{"principalId": "bob", "integrationLatency": 10.0}),
		req(map[string]any{"claims": map[string]any{"sub": "carol", "iss": "https://cognito-idp.example/pool"}}),
	} {
		if _, err := h(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("%d runs; want 3: alice (and her retry), bob, carol", n)
	}
}

// TestHTTPHandler_principalOption: Options.HTTPPrincipal scopes keys by a
// claim of the user's choosing (the users of one tenant share them), and a
// principal meant for the other format is a panic, not ignored.
func TestHTTPHandler_principalOption(t *testing.T) {
	p := &payments{}
	tenant := func(r events.APIGatewayV2HTTPRequest) (string, error) {
		if a := r.RequestContext.Authorizer; a != nil && a.JWT != nil {
			return a.JWT.Claims["custom:tenant"], nil // "" without the claim: refused
		}
		return "", nil
	}
	h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, &apigw.Options{HTTPPrincipal: tenant})
	ctx := lambdatest.Context(t, nil)
	first, _ := h(ctx, signedIn(post("k-1", `{"amount":7}`), "https://idp", "alice", "custom:tenant", "acme"))
	colleague, _ := h(ctx, signedIn(post("k-1", `{"amount":7}`), "https://idp", "bob", "custom:tenant", "acme"))
	other, _ := h(ctx, signedIn(post("k-1", `{"amount":7}`), "https://idp", "carol", "custom:tenant", "globex"))
	if colleague.Body != first.Body || colleague.Headers["Idempotent-Replayed"] != "true" || other.Headers["Idempotent-Replayed"] != "" || p.charges.Load() != 2 {
		t.Errorf("acme's second user %+v, globex %+v after %d charges; want acme's payment replayed, globex's own", colleague, other, p.charges.Load())
	}
	if resp, _ := h(ctx, signedIn(post("k-1", `{"amount":7}`), "https://idp", "dave")); resp.StatusCode != 500 || p.charges.Load() != 2 {
		t.Errorf("no tenant claim: %+v; want 500, not run", resp)
	}
	defer func() {
		if recover() == nil {
			t.Error("HTTPHandler with only RESTPrincipal did not panic")
		}
	}()
	apigw.HTTPHandler(newGuard(t, nil, nil), p.create, &apigw.Options{RESTPrincipal: func(events.APIGatewayProxyRequest) (string, error) { return "x", nil }})
}

// TestHTTPHandler_authorizedWithoutPrincipal: a request that went through
// an authorizer that named no caller is refused with a 500 problem (and
// logged), not run, never guarded under the anonymous scope that every
// such caller would share.
func TestHTTPHandler_authorizedWithoutPrincipal(t *testing.T) {
	noSub := signedIn(post("k-1", `{"amount":5}`), "https://idp", "")
	noContext := post("k-1", `{"amount":5}`)
	noContext.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{} // "authorizer": {"lambda": null}
	noID := post("k-1", `{"amount":5}`)
	noID.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{"tenant": "acme"}}
	for name, r := range map[string]events.APIGatewayV2HTTPRequest{
		"JWT without sub": noSub, "Lambda authorizer without context": noContext, "Lambda authorizer without principalId": noID,
	} {
		p := &payments{}
		var logs bytes.Buffer
		h := apigw.HTTPHandler(newGuard(t, nil, &idempotency.Options{AllowMissingKey: true}), p.create,
			&apigw.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		for range 2 {
			resp, err := h(lambdatest.Context(t, nil), r)
			if err != nil || resp.StatusCode != 500 || decodeProblem(t, resp).Title != "Request cannot be made idempotent" {
				t.Errorf("%s: %+v, %v; want a 500 problem", name, resp, err)
			}
		}
		if p.charges.Load() != 0 || !strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), "principal") {
			t.Errorf("%s: %d charges, logs %s; want none, and an ERROR record", name, p.charges.Load(), logs.String())
		}
	}
	// REST: an authorizer's context without principalId.
	var runs atomic.Int32
	h := apigw.RESTHandler(newGuard(t, nil, nil), func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		runs.Add(1)
		return events.APIGatewayProxyResponse{StatusCode: 201}, nil
	}, nil)
	r := lambdatest.APIGatewayRequest("POST", "/orders", `{}`, map[string]string{"Idempotency-Key": "k-1"})
	r.RequestContext.Authorizer = map[string]any{"integrationLatency": 10.0, "tenant": "acme"}
	if resp, _ := h(lambdatest.Context(t, nil), r); resp.StatusCode != 500 || runs.Load() != 0 {
		t.Errorf("REST authorizer without principalId: %+v after %d runs; want 500, not run", resp, runs.Load())
	}
}

// TestHTTPHandler_unambiguousScope: a request to "/a|b" with key "c" and
// one to "/a" with key "b|c" ($default route) are two requests. When the
// key joined its fields with "|", they were one key, and the second, a new
// request, was refused as the first one's key reused (422).
func TestHTTPHandler_unambiguousScope(t *testing.T) {
	p := &payments{}
	h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
	req := func(path, key string) events.APIGatewayV2HTTPRequest {
		r := lambdatest.APIGatewayV2Request("POST", path, `{"amount":5}`, map[string]string{"Idempotency-Key": key})
		r.RouteKey, r.RequestContext.RouteKey = "$default", "$default"
		return r
	}
	for _, r := range []events.APIGatewayV2HTTPRequest{req("/a|b", "c"), req("/a", "b|c")} {
		if resp, err := h(lambdatest.Context(t, nil), r); err != nil || resp.StatusCode != 201 || resp.Headers["Idempotent-Replayed"] != "" {
			t.Errorf("POST %s with key %q: %+v, %v; want it run", r.RawPath, r.Headers["idempotency-key"], resp, err)
		}
	}
	if p.charges.Load() != 2 {
		t.Errorf("%d charges; want 2", p.charges.Load())
	}
}

// recording is a Store that keeps the results it is asked to complete.
type recording struct {
	idempotency.Store
	results [][]byte
}

func (s *recording) Complete(ctx context.Context, rec idempotency.Record) error {
	s.results = append(s.results, rec.Result)
	return s.Store.Complete(ctx, rec)
}

// TestHTTPHandler_cookiesNotReplayed: the first response's cookies (v2's
// cookies and any Set-Cookie header) reach its client, but are neither
// stored nor replayed: a session minted for one response is not kept in
// the table, nor handed to whoever retries with its key.
func TestHTTPHandler_cookiesNotReplayed(t *testing.T) {
	store := &recording{Store: memstore.New(nil)}
	h := apigw.HTTPHandler(newGuard(t, store, nil), func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 201, Body: `{"payment":"pay-1"}`,
			Cookies:           []string{"session=s3cr3t-v2; Secure; HttpOnly"},
			Headers:           map[string]string{"Content-Type": "application/json", "set-cookie": "csrf=s3cr3t-h", "Location": "/payments/pay-1"},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=s3cr3t-mv"}, "Link": {"</payments>; rel=collection"}},
		}, nil
	}, nil)
	ctx := lambdatest.Context(t, nil)
	first, _ := h(ctx, post("k-1", `{"amount":5}`))
	if len(first.Cookies) != 1 || first.Headers["set-cookie"] == "" || len(first.MultiValueHeaders["Set-Cookie"]) != 1 {
		t.Fatalf("first response %+v lost its cookies", first)
	}
	replay, _ := h(ctx, post("k-1", `{"amount":5}`))
	if replay.Headers["Idempotent-Replayed"] != "true" || len(replay.Cookies) != 0 || strings.Contains(fmt.Sprint(replay), "s3cr3t") {
		t.Errorf("replay %+v; want it without cookies", replay)
	}
	if replay.Headers["Location"] != "/payments/pay-1" || replay.Headers["Content-Type"] != "application/json" || len(replay.MultiValueHeaders["Link"]) != 1 || replay.Body != first.Body {
		t.Errorf("replay %+v; want the other headers and the body kept", replay)
	}
	if len(store.results) != 1 || bytes.Contains(store.results[0], []byte("s3cr3t")) {
		t.Errorf("stored %q; want the response without its cookies", store.results)
	}

	// REST: Set-Cookie in headers and multi-value headers.
	rest := &recording{Store: memstore.New(nil)}
	rh := apigw.RESTHandler(newGuard(t, rest, nil), func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 201, Body: "{}",
			Headers: map[string]string{"SET-COOKIE": "s=s3cr3t"}, MultiValueHeaders: map[string][]string{"set-cookie": {"t=s3cr3t"}, "Vary": {"Origin"}}}, nil
	}, nil)
	r := lambdatest.APIGatewayRequest("POST", "/orders", `{}`, map[string]string{"Idempotency-Key": "k-1"})
	_, _ = rh(ctx, r)
	again, _ := rh(ctx, r)
	if again.Headers["Idempotent-Replayed"] != "true" || strings.Contains(fmt.Sprint(again), "s3cr3t") || again.MultiValueHeaders["Vary"][0] != "Origin" || bytes.Contains(rest.results[0], []byte("s3cr3t")) {
		t.Errorf("REST replay %+v, stored %q; want no cookie in either", again, rest.results)
	}
}
