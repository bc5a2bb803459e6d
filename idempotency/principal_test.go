package idempotency_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
)

// TestAPIGatewayPrincipal: the caller of a REST API request, from each way
// API Gateway authenticates one; an authorizer without a principal is
// ErrNoPrincipal, never the anonymous scope.
func TestAPIGatewayPrincipal(t *testing.T) {
	var sample events.APIGatewayProxyRequest
	mustLoad(t, "apigw-request.json", &sample) // a Lambda authorizer's principalId "admin", IAM fields, a client certificate
	anon := events.APIGatewayProxyRequest{}
	anon.RequestContext.Identity.SourceIP = "198.51.100.1"
	withCtx := func(f func(c *events.APIGatewayProxyRequestContext)) events.APIGatewayProxyRequest {
		var r events.APIGatewayProxyRequest
		f(&r.RequestContext)
		return r
	}
	// An HTTP API's payload format 1.0, as AWS documents its event: null
	// claims and scopes without an authorizer.
	decode := func(requestContext string) events.APIGatewayProxyRequest {
		var r events.APIGatewayProxyRequest
		if err := json.Unmarshal([]byte(`{"httpMethod":"POST","requestContext":`+requestContext+`}`), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	httpV1 := decode(`{"authorizer":{"claims":null,"scopes":null},"identity":{"accessKey":null,"caller":null,"cognitoIdentityId":null,"sourceIp":"192.0.2.1","userArn":null}}`)
	httpV1JWT := decode(`{"authorizer":{"claims":{"sub":"u-1","iss":"https://idp"},"scopes":["orders"]},"identity":{"sourceIp":"192.0.2.1"}}`)
	httpV1Lambda := decode(`{"authorizer":{"lambda":{"principalId":"u-2"}},"identity":{"sourceIp":"192.0.2.1"}}`)
	httpV1LambdaNil := decode(`{"authorizer":{"lambda":null},"identity":{"sourceIp":"192.0.2.1"}}`)
	for _, c := range []struct {
		name string
		r    events.APIGatewayProxyRequest
		want string // "" means ErrNoPrincipal
	}{
		{"sample: Lambda authorizer", sample, "lambda|5:admin"},
		{"HTTP API 1.0 without authorizer", httpV1, idempotency.AnonymousPrincipal},
		{"HTTP API 1.0 JWT", httpV1JWT, "jwt|11:https://idp|3:u-1"},
		{"HTTP API 1.0 Lambda authorizer", httpV1Lambda, "lambda|3:u-2"},
		{"HTTP API 1.0 Lambda authorizer without context", httpV1LambdaNil, ""},
		{"Lambda authorizer", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Authorizer = map[string]any{"principalId": "user|7", "integrationLatency": 12.0}
		}), "lambda|6:user|7"},
		{"Cognito user pool", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Authorizer = map[string]any{"claims": map[string]any{"sub": "c0ffee", "iss": "https://cognito-idp.eu-central-1.amazonaws.com/pool", "email": "a@example.com"}}
		}), "jwt|51:https://cognito-idp.eu-central-1.amazonaws.com/pool|6:c0ffee"},
		{"claims as strings", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Authorizer = map[string]any{"claims": map[string]string{"sub": "c0ffee"}}
		}), "jwt|0:|6:c0ffee"},
		{"IAM", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Identity = events.APIGatewayRequestIdentity{UserArn: "arn:aws:iam::123456789012:user/alice", Caller: "AIDAEXAMPLE", AccountID: "123456789012"}
		}), "iam|36:arn:aws:iam::123456789012:user/alice"},
		{"IAM with Cognito identity pool credentials", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Identity = events.APIGatewayRequestIdentity{UserArn: "arn:aws:sts::123456789012:assumed-role/Pool_Auth_Role/CognitoIdentityCredentials",
				CognitoIdentityPoolID: "eu-central-1:pool", CognitoIdentityID: "eu-central-1:identity-1"}
		}), "cognito|17:eu-central-1:pool|23:eu-central-1:identity-1"},
		{"mutual TLS", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Identity.ClientCert = &events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCert{IssuerDN: "CN=CA", SerialNumber: "0a:1b"}
		}), "mtls|5:CN=CA|5:0a:1b"},
		{"no authentication", anon, idempotency.AnonymousPrincipal},
		{"authorizer without principal", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Authorizer = map[string]any{"integrationLatency": 12.0, "tenant": "t-1"}
		}), ""},
		{"authorizer with an empty principalId", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Authorizer = map[string]any{"principalId": ""}
		}), ""},
		{"claims without sub", withCtx(func(c *events.APIGatewayProxyRequestContext) {
			c.Authorizer = map[string]any{"claims": map[string]any{"email": "a@example.com"}}
		}), ""},
	} {
		got, err := idempotency.APIGatewayPrincipal(c.r)
		if c.want == "" {
			if !errors.Is(err, idempotency.ErrNoPrincipal) || !errors.Is(err, idempotency.ErrMissingKey) || got != "" {
				t.Errorf("%s: %q, %v; want ErrNoPrincipal (an ErrMissingKey)", c.name, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// TestAPIGatewayV2Principal: the caller of an HTTP API request, from AWS's
// samples for each authorizer type and from their variants.
func TestAPIGatewayV2Principal(t *testing.T) {
	load := func(name string) events.APIGatewayV2HTTPRequest {
		var r events.APIGatewayV2HTTPRequest
		mustLoad(t, name, &r)
		return r
	}
	jwt := load("apigw-v2-request-jwt-authorizer.json") // claims claim1, claim2: no sub
	jwtSub := load("apigw-v2-request-jwt-authorizer.json")
	jwtSub.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": "auth0|42", "iss": "https://tenant.example/"}
	lambda := load("apigw-v2-request-lambda-authorizer.json") // context {"key": "value"}
	lambdaID := load("apigw-v2-request-lambda-authorizer.json")
	lambdaID.RequestContext.Authorizer.Lambda = map[string]any{"principalId": "tenant-7/user-1", "scope": "payments"}
	lambdaNil := load("apigw-v2-request-lambda-authorizer.json")
	lambdaNil.RequestContext.Authorizer.Lambda = nil // "authorizer": {"lambda": null}: a simple response without context
	iam := load("apigw-v2-request-iam.json")         // Cognito identity pool credentials
	iamUser := load("apigw-v2-request-iam.json")
	iamUser.RequestContext.Authorizer.IAM.CognitoIdentity = events.APIGatewayV2HTTPRequestContextAuthorizerCognitoIdentity{}
	noCert := load("apigw-v2-request-no-authorizer.json")
	noCert.RequestContext.Authentication = events.APIGatewayV2HTTPRequestContextAuthentication{}
	for _, c := range []struct {
		name string
		r    events.APIGatewayV2HTTPRequest
		want string // "" means ErrNoPrincipal
	}{
		{"JWT", jwtSub, "jwt|23:https://tenant.example/|8:auth0|42"},
		{"JWT without sub", jwt, ""},
		{"Lambda authorizer with principalId", lambdaID, "lambda|15:tenant-7/user-1"},
		{"Lambda authorizer without principalId", lambda, ""},
		{"Lambda authorizer without context", lambdaNil, ""},
		{"IAM with Cognito identity", iam, "cognito|46:us-east-1:4f291106-8703-466b-8f2b-3ecee1ca56ce|46:us-east-1:3f291106-8703-466b-8f2b-3ecee1ca56ce"},
		{"IAM", iamUser, "iam|34:arn:aws:iam::1234567890:user/Admin"},
		{"mutual TLS without authorizer", load("apigw-v2-request-no-authorizer.json"),
			"mtls|79:C=US,ST=Washington,L=Seattle,O=Amazon Web Services,OU=Security,CN=My Private CA|1:1"},
		{"no authentication", noCert, idempotency.AnonymousPrincipal},
	} {
		got, err := idempotency.APIGatewayV2Principal(c.r)
		if c.want == "" {
			if !errors.Is(err, idempotency.ErrNoPrincipal) || got != "" {
				t.Errorf("%s: %q, %v; want ErrNoPrincipal", c.name, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// TestAPIGatewayV2Principal_lambdaResponses: an HTTP API Lambda authorizer
// (payload format 2.0) returns a simple response or an IAM policy
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html,
// "Lambda function response for format 2.0", whose example contexts these
// are); API Gateway passes the context to the function in
// requestContext.authorizer.lambda, with an IAM policy response's
// principalId beside it (as AWS's SAM CLI emulates it). Decoded from JSON,
// as the function receives them: a principalId that is not a string is
// refused with a reason, never rounded into another caller's.
func TestAPIGatewayV2Principal_lambdaResponses(t *testing.T) {
	const docContext = `"stringKey":"value","numberKey":1,"booleanKey":true,"arrayKey":["value1","value2"],"mapKey":{"value1":"value2"}`
	for _, c := range []struct {
		name, lambda string
		want         string // "" means ErrNoPrincipal
		reason       string // in the error
	}{
		{"IAM policy response", `{"principalId":"abcdef",` + docContext + `}`, "lambda|6:abcdef", ""},
		{"IAM policy response without context", `{"principalId":"user|7"}`, "lambda|6:user|7", ""},
		{"simple response with a principal in its context", `{"principalId":"tenant-7/user-1",` + docContext + `}`, "lambda|15:tenant-7/user-1", ""},
		{"simple response without one", `{` + docContext + `}`, "", "has no principalId"},
		{"an empty principalId", `{"principalId":""}`, "", "has no principalId"},
		{"a numeric principalId", `{"principalId":9007199254740993}`, "", "is a JSON number, not a string"},
		{"a boolean principalId", `{"principalId":true}`, "", "is a JSON boolean, not a string"},
		{"an object principalId", `{"principalId":{"id":"u-1"}}`, "", "is a JSON object, not a string"},
	} {
		var r events.APIGatewayV2HTTPRequest
		body := `{"version":"2.0","routeKey":"POST /orders","rawPath":"/orders","headers":{"idempotency-key":"k-1"},` +
			`"requestContext":{"apiId":"api-id","stage":"$default","http":{"method":"POST","path":"/orders"},"authorizer":{"lambda":` + c.lambda + `}}}`
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := idempotency.APIGatewayV2Principal(r)
		if c.want == "" {
			if !errors.Is(err, idempotency.ErrNoPrincipal) || got != "" || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("%s: %q, %v; want ErrNoPrincipal saying %q", c.name, got, err, c.reason)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// TestAPIGatewayPrincipal_lambdaResponses: a REST API Lambda authorizer's
// principalId and context reach the function flattened in
// requestContext.authorizer
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html),
// and an HTTP API's in payload format 1.0 either so or under "lambda".
func TestAPIGatewayPrincipal_lambdaResponses(t *testing.T) {
	for _, c := range []struct {
		name, authorizer string
		want             string // "" means ErrNoPrincipal
	}{
		{"REST TOKEN or REQUEST authorizer", `{"principalId":"user|a1b2c3d4","integrationLatency":12,"stringKey":"value","numberKey":"1","booleanKey":"true"}`, "lambda|13:user|a1b2c3d4"},
		{"REST authorizer without context", `{"principalId":"abcdef","integrationLatency":12}`, "lambda|6:abcdef"},
		{"HTTP API 1.0, flattened", `{"principalId":"abcdef","stringKey":"value","integrationLatency":40}`, "lambda|6:abcdef"},
		{"HTTP API 1.0, under lambda", `{"lambda":{"principalId":"abcdef","stringKey":"value"}}`, "lambda|6:abcdef"},
		{"REST authorizer with an empty principalId", `{"principalId":"","integrationLatency":12}`, ""},
	} {
		var r events.APIGatewayProxyRequest
		body := `{"resource":"/orders","path":"/orders","httpMethod":"POST","headers":{"Idempotency-Key":"k-1"},` +
			`"requestContext":{"apiId":"api-id","stage":"prod","identity":{"sourceIp":"192.0.2.1"},"authorizer":` + c.authorizer + `}}`
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := idempotency.APIGatewayPrincipal(r)
		if c.want == "" {
			if !errors.Is(err, idempotency.ErrNoPrincipal) || got != "" {
				t.Errorf("%s: %q, %v; want ErrNoPrincipal", c.name, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// TestAPIGatewayKey_callers: one key and one request from two callers are
// two keys; a caller's retry is one; an authorized request without a
// principal has no key, and a principal function's error or empty answer
// is ErrNoPrincipal.
func TestAPIGatewayKey_callers(t *testing.T) {
	var alice, bob events.APIGatewayV2HTTPRequest
	mustLoad(t, "apigw-v2-request-jwt-authorizer.json", &alice)
	mustLoad(t, "apigw-v2-request-jwt-authorizer.json", &bob)
	alice.Headers["idempotency-key"], bob.Headers["idempotency-key"] = "order-42", "order-42"
	alice.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": "alice", "iss": "https://idp.example"}
	bob.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": "bob", "iss": "https://idp.example"}
	ka, errA := idempotency.APIGatewayV2Key(alice)
	kb, errB := idempotency.APIGatewayV2Key(bob)
	if errA != nil || errB != nil || ka == kb {
		t.Fatalf("alice %q (%v), bob %q (%v); want two keys", ka, errA, kb, errB)
	}
	if again, _ := idempotency.APIGatewayV2Key(redelivered(t, alice)); again != ka {
		t.Errorf("alice's retry: %q; want %q", again, ka)
	}
	delete(bob.RequestContext.Authorizer.JWT.Claims, "sub")
	if k, err := idempotency.APIGatewayV2Key(bob); !errors.Is(err, idempotency.ErrNoPrincipal) {
		t.Errorf("no sub: %q, %v; want ErrNoPrincipal", k, err)
	}
	tenant := func(r events.APIGatewayV2HTTPRequest) (string, error) {
		if t := r.RequestContext.Authorizer.JWT.Claims["custom:tenant"]; t != "" {
			return t, nil
		}
		return "", errors.New("no custom:tenant claim")
	}
	byTenant := idempotency.APIGatewayV2KeyWith("", tenant)
	if k, err := byTenant(bob); !errors.Is(err, idempotency.ErrNoPrincipal) || err.Error() == idempotency.ErrNoPrincipal.Error() {
		t.Errorf("the principal function's error: %q, %v; want ErrNoPrincipal wrapping it", k, err)
	}
	alice.RequestContext.Authorizer.JWT.Claims["custom:tenant"] = "acme"
	bob.RequestContext.Authorizer.JWT.Claims["custom:tenant"] = "acme"
	if k1, _ := byTenant(alice); k1 == "" || k1 == ka {
		t.Errorf("by tenant: %q; want another key than by sub (%q)", k1, ka)
	} else if k2, _ := byTenant(bob); k2 != k1 {
		t.Errorf("one tenant's users: %q and %q; want one key", k1, k2)
	}
	empty := idempotency.APIGatewayKeyWith("", func(events.APIGatewayProxyRequest) (string, error) { return "", nil })
	if k, err := empty(events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/p", Headers: map[string]string{"Idempotency-Key": "x"}}); !errors.Is(err, idempotency.ErrNoPrincipal) {
		t.Errorf("an empty principal: %q, %v; want ErrNoPrincipal, not the anonymous scope", k, err)
	}
}

// TestAPIGatewayKey_unambiguous: scopes whose fields differ make different
// keys whatever the fields hold. Each pair made one key when the fields
// were joined with "|".
func TestAPIGatewayKey_unambiguous(t *testing.T) {
	v2 := func(api, stage, path, key string, claims map[string]string) events.APIGatewayV2HTTPRequest {
		r := events.APIGatewayV2HTTPRequest{RouteKey: "$default", RawPath: path, Headers: map[string]string{"idempotency-key": key}}
		r.RequestContext.APIID, r.RequestContext.Stage, r.RequestContext.HTTP.Method = api, stage, "POST"
		if claims != nil {
			r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
		}
		return r
	}
	for _, c := range []struct {
		name string
		a, b events.APIGatewayV2HTTPRequest
	}{
		// "http|api|$default|POST /a|b|c" twice: the path's "|" and the key's.
		{"path and key", v2("api", "$default", "/a|b", "c", nil), v2("api", "$default", "/a", "b|c", nil)},
		// "http|a|b|c|POST /p|k" twice.
		{"API and stage", v2("a|b", "c", "/p", "k", nil), v2("a", "b|c", "/p", "k", nil)},
		// A subject with "|" (Auth0's "auth0|42") and the key.
		{"principal and key", v2("api", "$default", "/p", "42|k", map[string]string{"sub": "auth0"}), v2("api", "$default", "/p", "k", map[string]string{"sub": "auth0|42"})},
		{"issuer and subject", v2("api", "$default", "/p", "k", map[string]string{"iss": "https://a", "sub": "b|c"}), v2("api", "$default", "/p", "k", map[string]string{"iss": "https://a|b", "sub": "c"})},
	} {
		ka, errA := idempotency.APIGatewayV2Key(c.a)
		kb, errB := idempotency.APIGatewayV2Key(c.b)
		if errA != nil || errB != nil || ka == kb {
			t.Errorf("%s: %q (%v) and %q (%v); want two keys", c.name, ka, errA, kb, errB)
		}
	}
	rest := func(resource, key string) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: resource, Headers: map[string]string{"Idempotency-Key": key}}
	}
	ka, _ := idempotency.APIGatewayKey(rest("/a|b", "c"))
	kb, _ := idempotency.APIGatewayKey(rest("/a", "b|c"))
	if ka == "" || ka == kb {
		t.Errorf("REST resource and key: %q and %q; want two keys", ka, kb)
	}
}
