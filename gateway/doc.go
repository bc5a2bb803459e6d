// Package gateway is the core of Rampart's API gateway: bearer-token
// authentication, exact per-token rate limiting and the hygiene of requests
// forwarded to an origin. It is plain Go with no net/http, so that the same
// decisions run in the native server ([github.com/rampartdev/rampart/gateway/httpproxy])
// and, compiled to WebAssembly, in the Cloudflare Worker (cmd/gatewayworker
// and deploy/cloudflare).
//
// # Decisions
//
// [Gateway.Handle] takes a [Request] and returns a [Result]: either an
// [Error] (a status and a stable code, written as
// {"error":{"code":...,"message":...,"request_id":...}}) or an [Upstream]
// request to send to the origin. The checks run in this order: framing
// and field names that are not tokens (400, with Close), expectation
// (417), method, header size (431), host (421), declared body size (413),
// path ([CleanPath], 400), route (404, 405), token (401, 403), rate limit
// (429). A failing token store or limiter refuses with 503: the gateway
// fails closed. A forwarded request's fields are the request's own,
// edited in place (see [Request].Header).
//
// # Tokens
//
// Tokens look like rpt_<id>_<secret> ([GenerateToken]). Stores keep only
// [HashToken] of a token with its [TokenRecord] (tenant, scopes, rate and
// burst, expiry, revocation) and find records by token id ([TokenStore]); the
// gateway compares the hashes in constant time. Logs carry the token id,
// never the token.
//
// # Rate limits
//
// [GCRA] is the generic cell rate algorithm on one timestamp per key: with
// rate r and burst b, exactly b + floor(r * elapsed) requests pass in a
// window that starts with a full bucket. [Limiter] implementations apply it:
// [MemoryLimiter] in one process, redislimiter across gateway instances, and
// the Worker's Durable Object (one object per token). Tokens are limited by
// their own rate; public routes by Config.AnonymousLimit per client address.
// Responses carry the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers) and Retry-After on 429.
//
// # Forwarding
//
// The forwarded request keeps the checked path byte for byte and drops the
// hop-by-hop fields (and those named by Connection), every client-supplied
// forwarding or identity field (Forwarded, X-Forwarded-*, X-Real-IP,
// True-Client-IP, CF-Connecting-IP, X-Request-Id, X-Rampart-*), and
// Authorization unless
// Config.ForwardAuthorization is set. It adds X-Forwarded-For (the address
// the platform saw), X-Forwarded-Host, X-Forwarded-Proto, X-Request-Id and,
// for token routes, X-Rampart-Token-Id and X-Rampart-Tenant.
//
// # Test vectors
//
// gateway/testdata/vectors.json is one table of requests and expected
// decisions; package gatewaytest runs it against any target over HTTP, and
// both targets must pass it. Where a platform changes a request before the
// gateway sees it (workerd resolves dot segments in the URL), a case states
// that target's expectation and why.
package gateway
