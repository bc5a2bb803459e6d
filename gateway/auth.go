package gateway

import (
	"context"
	"errors"
	"time"
)

// Reasons a token is refused. The response says only missing_token or
// invalid_token (an attacker learns nothing about which tokens exist); the
// access log names the reason as auth_error, with the token id when the
// token was well formed.
const (
	AuthMissing       = "missing"                // no Authorization field, or an empty one
	AuthMultiple      = "multiple_authorization" // more than one Authorization field
	AuthNotBearer     = "not_bearer"             // another scheme, or no credentials
	AuthMalformed     = "malformed"              // not rpt_<id>_<secret>
	AuthUnknownID     = "unknown_id"             // no token has the id
	AuthWrongSecret   = "wrong_secret"           // the id exists, the hash differs
	AuthRevoked       = "revoked"
	AuthExpired       = "expired"
	AuthThrottled     = "throttled" // the client address spent its failure budget; the token was not checked
	AuthStoreFailed   = "store_failed"
	bearerScheme      = "bearer"
	maxAuthFieldBytes = 512 // longer than any token GenerateToken makes, with room to spare
)

// ParseAuthorization returns the bearer token carried by the Authorization
// field values of a request, or the reason ([AuthMissing], [AuthMultiple],
// [AuthNotBearer], [AuthMalformed]) it carries none. It accepts exactly one
// field "Bearer <token>": the scheme in any case, one or more spaces, and a
// token [ParseToken] accepts (RFC 6750 section 2.1).
func ParseAuthorization(values []string) (token, id, reason string) {
	switch {
	case len(values) == 0 || len(values) == 1 && values[0] == "":
		return "", "", AuthMissing
	case len(values) > 1:
		return "", "", AuthMultiple
	}
	v := values[0]
	if len(v) > maxAuthFieldBytes {
		return "", "", AuthMalformed
	}
	if len(v) <= len(bearerScheme) || v[len(bearerScheme)] != ' ' || !asciiEqualFold(v[:len(bearerScheme)], bearerScheme) {
		return "", "", AuthNotBearer
	}
	token = v[len(bearerScheme):]
	for len(token) > 0 && token[0] == ' ' {
		token = token[1:]
	}
	for len(token) > 0 && (token[len(token)-1] == ' ' || token[len(token)-1] == '\t') {
		token = token[:len(token)-1]
	}
	if token == "" {
		return "", "", AuthNotBearer
	}
	id, _, err := ParseToken(token)
	if err != nil {
		return "", "", AuthMalformed
	}
	return token, id, ""
}

// asciiEqualFold reports whether a and b are equal under ASCII case
// folding (not Unicode's: "ſ" is not "s" here).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// authenticate checks the request's bearer token. On refusal it sets
// res.AuthError to the reason and res.TokenID to the presented id when the
// token was well formed.
func (g *Gateway) authenticate(ctx context.Context, req *Request, now time.Time, d *decision, f form) (*TokenRecord, *Error) {
	res := &d.res
	token, id, reason := ParseAuthorization(req.Header[fieldAuthorization[f]])
	switch reason {
	case "":
	case AuthMissing:
		res.AuthError = reason
		return nil, d.refuse(401, CodeMissingToken, "missing bearer token")
	case AuthMultiple:
		res.AuthError = reason
		return nil, d.refuse(401, CodeInvalidToken, "more than one Authorization field")
	case AuthNotBearer:
		res.AuthError = reason
		return nil, d.refuse(401, CodeInvalidToken, "authorization is not a bearer token")
	default:
		res.AuthError = reason
		return nil, d.refuse(401, CodeInvalidToken, "malformed bearer token")
	}
	res.TokenID = id
	var rec *TokenRecord
	var err error
	if c, ok := g.cfg.Tokens.(*TokenCache); ok {
		var wall time.Time
		if g.wallClock {
			wall = now
		}
		rec, d.limitKey, err = c.lookup(ctx, id, wall)
	} else {
		rec, err = g.cfg.Tokens.LookupToken(ctx, id)
	}
	switch {
	case errors.Is(err, ErrTokenNotFound) || err == nil && (rec == nil || rec.ID != id):
		reason = AuthUnknownID
	case err != nil:
		res.AuthError = AuthStoreFailed
		g.log.ErrorContext(ctx, "gateway: token store failed", "request_id", res.RequestID, "token_id", id, "err", err)
		return nil, d.refuse(503, CodeUnavailable, "token store unavailable")
	case !tokenHashIs(token, rec.Hash):
		reason = AuthWrongSecret
	case rec.Revoked:
		reason = AuthRevoked
	case rec.Expired(now):
		reason = AuthExpired
	default:
		return rec, nil
	}
	res.AuthError = reason
	return nil, d.refuse(401, CodeInvalidToken, "invalid bearer token")
}
