package idempotency

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// AnonymousPrincipal is the principal of an API Gateway request that went
// through no authorizer and carries no other authentication (no IAM
// signature, no client certificate): every such caller of one route is the
// same caller, and only the key tells their requests apart.
const AnonymousPrincipal = "anonymous"

// PrincipalFunc returns the caller who sent a request: its idempotency key
// is scoped by it, so that two callers who send one key never share an
// execution or a response. It returns the same string for every request of
// one caller (a user, a tenant, a client) and different strings for
// different callers. An empty string, or an error, means no principal: the
// key extractor reports [ErrNoPrincipal] (wrapping the error), and the
// request is not guarded. A public route that means to share one scope
// among all its callers returns a constant (such as [AnonymousPrincipal]).
// It may be called concurrently.
type PrincipalFunc[T any] func(T) (string, error)

// APIGatewayPrincipal returns the caller of a REST API (payload v1)
// request, as API Gateway authenticated it, from the first of these that
// the request context holds:
//
//   - a Lambda authorizer's principalId (requestContext.authorizer.principalId);
//   - a Cognito user pool authorizer's claims: their issuer and subject
//     (authorizer.claims.iss and sub);
//   - IAM authorization with Cognito identity pool credentials: the pool and
//     the identity (identity.cognitoIdentityPoolId, cognitoIdentityId),
//     never the role that all the pool's identities assume;
//   - IAM authorization: the caller's ARN (identity.userArn, else caller),
//     which for an assumed role names the session: a client whose
//     credentials are refreshed under a new session name is a new caller;
//   - mutual TLS: the client certificate's issuer and serial number.
//
// An HTTP API request in payload format 1.0 is read the same way, its
// JWT authorizer's claims as a Cognito authorizer's, its Lambda
// authorizer's principalId from authorizer.principalId (beside the
// context, flattened as REST APIs pass it) or from authorizer.lambda.
//
// A request with none of them and no authorizer is [AnonymousPrincipal]. A
// request that went through an authorizer (requestContext.authorizer holds
// anything but the null claims and scopes of an HTTP API request without
// one) yet yields none of them is [ErrNoPrincipal]: sharing the anonymous
// scope would let its callers read each other's responses. An API key
// (identity.apiKeyId) is not a principal (AWS advises against API keys
// for authentication); scope by it with a PrincipalFunc of your own.
func APIGatewayPrincipal(r events.APIGatewayProxyRequest) (string, error) {
	c := r.RequestContext
	a := c.Authorizer
	if p, ok := a["principalId"].(string); ok && p != "" {
		return fields("lambda", p), nil
	}
	if l, ok := a["lambda"].(map[string]any); ok { // an HTTP API's Lambda authorizer, payload format 1.0
		if p, ok := l["principalId"].(string); ok && p != "" {
			return fields("lambda", p), nil
		}
	}
	if iss, sub := claimsOf(a["claims"]); sub != "" {
		return fields("jwt", iss, sub), nil
	}
	id := c.Identity
	switch {
	case id.CognitoIdentityID != "":
		return fields("cognito", id.CognitoIdentityPoolID, id.CognitoIdentityID), nil
	case id.UserArn != "":
		return fields("iam", id.UserArn), nil
	case id.Caller != "":
		return fields("iam", id.Caller), nil
	case authorized(a):
		return "", fmt.Errorf("%w: the authorizer's context has no principalId and no claims.sub", ErrNoPrincipal)
	case id.ClientCert != nil && id.ClientCert.SerialNumber != "":
		return fields("mtls", id.ClientCert.IssuerDN, id.ClientCert.SerialNumber), nil
	}
	return AnonymousPrincipal, nil
}

// APIGatewayV2Principal returns the caller of an HTTP API or function URL
// (payload v2) request, as API Gateway authenticated it:
//
//   - a JWT authorizer: the token's issuer and subject (claims iss and sub);
//   - a Lambda authorizer: the principalId string in
//     requestContext.authorizer.lambda, where API Gateway passes the
//     context the authorizer returned. An IAM policy response's
//     principalId arrives there beside its context, as AWS's SAM CLI
//     emulates it; a simple response ({"isAuthorized": true, "context":
//     {...}}) has no principal of its own: return one in its context, as a
//     string (a number is refused, not rounded: JSON numbers decode to
//     float64, and two user ids above 2^53 would become one caller);
//   - IAM authorization: the Cognito identity when the caller signed with
//     identity pool credentials, else the caller's ARN (userArn);
//   - mutual TLS without an authorizer: the client certificate's issuer and
//     serial number.
//
// A request without an authorizer or client certificate is
// [AnonymousPrincipal]. A request that went through an authorizer
// (requestContext.authorizer is set, as it is for a Lambda authorizer that
// returned no context) yet yields no principal is [ErrNoPrincipal].
func APIGatewayV2Principal(r events.APIGatewayV2HTTPRequest) (string, error) {
	c := r.RequestContext
	if c.Authorizer != nil {
		return v2AuthorizerPrincipal(c.Authorizer)
	}
	if cert := c.Authentication.ClientCert; cert.SerialNumber != "" {
		return fields("mtls", cert.IssuerDN, cert.SerialNumber), nil
	}
	return AnonymousPrincipal, nil
}

// v2AuthorizerPrincipal returns the principal of an HTTP API request that
// went through authorizer a, or an error matching ErrNoPrincipal.
func v2AuthorizerPrincipal(a *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) (string, error) {
	switch {
	case a.JWT != nil && a.JWT.Claims["sub"] != "":
		return fields("jwt", a.JWT.Claims["iss"], a.JWT.Claims["sub"]), nil
	case a.JWT != nil:
		return "", fmt.Errorf("%w: the JWT authorizer's claims have no sub", ErrNoPrincipal)
	case a.IAM != nil && a.IAM.CognitoIdentity.IdentityID != "":
		return fields("cognito", a.IAM.CognitoIdentity.IdentityPoolID, a.IAM.CognitoIdentity.IdentityID), nil
	case a.IAM != nil && a.IAM.UserARN != "":
		return fields("iam", a.IAM.UserARN), nil
	case a.IAM != nil:
		return "", fmt.Errorf("%w: IAM authorization without userArn", ErrNoPrincipal)
	}
	switch p := a.Lambda["principalId"].(type) {
	case string:
		if p != "" {
			return fields("lambda", p), nil
		}
	case nil:
	default:
		return "", fmt.Errorf("%w: the Lambda authorizer's principalId is a JSON %s, not a string", ErrNoPrincipal, jsonKind(p))
	}
	return "", fmt.Errorf("%w: the Lambda authorizer's context has no principalId", ErrNoPrincipal)
}

// jsonKind names the JSON type of v as encoding/json decodes it into an any.
func jsonKind(v any) string {
	switch v.(type) {
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("value (%T)", v)
}

// authorized reports whether a REST API request's authorizer context says
// an authorizer ran. An HTTP API request in payload format 1.0 carries
// {"claims": null, "scopes": null} when none did; any other entry (even
// "lambda": null, a Lambda authorizer that returned no context) is one.
func authorized(a map[string]any) bool {
	for k, v := range a {
		if v != nil || k != "claims" && k != "scopes" {
			return true
		}
	}
	return false
}

// claimsOf returns the iss and sub of a REST API authorizer's claims: a
// JSON object as Lambda decodes it, or a map of strings as a test builds it.
func claimsOf(c any) (iss, sub string) {
	switch c := c.(type) {
	case map[string]any:
		iss, _ = c["iss"].(string)
		sub, _ = c["sub"].(string)
	case map[string]string:
		iss, sub = c["iss"], c["sub"]
	}
	return iss, sub
}

// principalOf returns p's principal of r, or an error matching
// ErrNoPrincipal.
func principalOf[T any](p PrincipalFunc[T], r T) (string, error) {
	s, err := p(r)
	switch {
	case errors.Is(err, ErrNoPrincipal):
		return "", err
	case err != nil:
		return "", fmt.Errorf("%w: %w", ErrNoPrincipal, err)
	case s == "":
		return "", fmt.Errorf("%w: the principal function returned none", ErrNoPrincipal)
	}
	return s, nil
}

// fields returns kind followed by each field length-prefixed ("|3:abc"),
// so that no value, whatever it contains, moves a boundary between fields:
// two different field lists of one kind never make one string.
func fields(kind string, fs ...string) string {
	n := len(kind)
	for _, f := range fs {
		n += len(f) + 8
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(kind)
	for _, f := range fs {
		b.WriteByte('|')
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
	}
	return b.String()
}
