package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/metrics"
)

// Defaults of Options, and the metrics the handlers add.
const (
	// DefaultHeader is the request header that carries the key.
	DefaultHeader = idempotency.IdempotencyKeyHeader
	// DefaultReplayHeader is set to "true" on a replayed response.
	DefaultReplayHeader = "Idempotent-Replayed"
	// MetricReplay counts responses replayed from the store (Count).
	MetricReplay = "IdempotencyReplay"
	// MetricNotRecorded counts requests done whose response could not be
	// stored (Count).
	MetricNotRecorded = "IdempotencyNotRecorded"
)

// Options configures [HTTPHandler] and [RESTHandler]. A nil *Options selects
// the defaults.
type Options struct {
	// Header is the request header that carries the idempotency key,
	// matched in any case. Empty means DefaultHeader ("Idempotency-Key").
	Header string
	// ReplayHeader is the response header set to "true" on a replayed
	// response. Empty means DefaultReplayHeader ("Idempotent-Replayed");
	// "-" means none.
	ReplayHeader string
	// Logger receives a record for each request that cannot be scoped and
	// each response done but not recorded. Nil means slog.Default().
	Logger *slog.Logger
	// HTTPPrincipal returns the caller that scopes the key of an
	// [HTTPHandler] request (a tenant claim, say). Nil means
	// idempotency.APIGatewayV2Principal: the JWT's issuer and subject, a
	// Lambda authorizer's principalId, the IAM caller, a client certificate,
	// or idempotency.AnonymousPrincipal on a route without authentication.
	// An error or an empty principal answers 500, not run. RESTHandler does
	// not read it.
	HTTPPrincipal idempotency.PrincipalFunc[events.APIGatewayV2HTTPRequest]
	// RESTPrincipal is HTTPPrincipal for [RESTHandler] requests. Nil means
	// idempotency.APIGatewayPrincipal (an authorizer's principalId or
	// claims, the Cognito identity or IAM caller, a client certificate, or
	// idempotency.AnonymousPrincipal). HTTPHandler does not read it.
	RESTPrincipal idempotency.PrincipalFunc[events.APIGatewayProxyRequest]
}

// HTTPHandler returns h made idempotent per Idempotency-Key for an HTTP API
// or a function URL (payload format 2.0), as the package documentation
// describes. The result has the signature lambda.Start accepts. It panics
// if opts sets RESTPrincipal but not HTTPPrincipal: a principal meant for
// this endpoint that it would not use.
func HTTPHandler(g *idempotency.Guard, h func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), opts *Options) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return newEndpoint(g, h, opts, v2{}).serve
}

// RESTHandler returns h made idempotent per Idempotency-Key for a REST API
// (payload format 1.0, Lambda proxy integration), as the package
// documentation describes. The result has the signature lambda.Start
// accepts. It panics if opts sets HTTPPrincipal but not RESTPrincipal.
func RESTHandler(g *idempotency.Guard, h func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error), opts *Options) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return newEndpoint(g, h, opts, v1{}).serve
}

// format is what differs between the two payload formats.
type format[Req, Resp any] interface {
	// keyFunc returns the engine's key function reading header, scoped by
	// o's principal for the format: one definition of "the same request",
	// the idempotency package's.
	keyFunc(header string, o *Options) idempotency.KeyFunc[Req]
	status(Resp) int
	// storable returns resp without what must not be stored nor replayed
	// (its cookies).
	storable(resp Resp) Resp
	// respond returns a response of status with headers and body.
	respond(status int, headers map[string]string, body string) Resp
	// withHeader returns resp with one more header.
	withHeader(resp Resp, name, value string) Resp
}

type endpoint[Req, Resp any] struct {
	g      *idempotency.Guard
	h      func(context.Context, Req) (Resp, error)
	f      format[Req, Resp]
	key    idempotency.KeyFunc[Req]
	header string
	replay string
	log    *slog.Logger
}

func newEndpoint[Req, Resp any](g *idempotency.Guard, h func(context.Context, Req) (Resp, error), opts *Options, f format[Req, Resp]) *endpoint[Req, Resp] {
	var o Options
	if opts != nil {
		o = *opts
	}
	e := &endpoint[Req, Resp]{g: g, h: h, f: f, header: o.Header, replay: o.ReplayHeader, log: o.Logger}
	if e.header == "" {
		e.header = DefaultHeader
	}
	if e.replay == "" {
		e.replay = DefaultReplayHeader
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.key = f.keyFunc(e.header, &o)
	return e
}

// unstored carries a response that must not be stored (a 5xx or 429) out of
// Guard.Do as an error, so that the record is released.
type unstored[Resp any] struct{ resp Resp }

func (u *unstored[Resp]) Error() string { return "apigw: response not stored" }

func (e *endpoint[Req, Resp]) serve(ctx context.Context, r Req) (Resp, error) {
	var zero Resp
	key, err := e.key(r)
	switch {
	case errors.Is(err, idempotency.ErrNoPrincipal):
		// An authorizer let the request in, but who sent it is unknown:
		// guarding it under a scope shared with other callers would replay
		// one caller's response to another.
		e.log.LogAttrs(ctx, slog.LevelError, "apigw: authorized request without a principal, cannot be made idempotent",
			slog.String("error", err.Error()))
		return e.problem(http.StatusInternalServerError, "Request cannot be made idempotent",
			"The request reached the function without the identity of its caller.", nil), nil
	case errors.Is(err, idempotency.ErrUnscopedKey):
		// A request without method or route: a test event or an integration
		// that does not pass them. Guarding it under a key without its route
		// would share the key with every other such endpoint.
		e.log.LogAttrs(ctx, slog.LevelError, "apigw: request without method or route, cannot be made idempotent")
		return e.problem(http.StatusInternalServerError, "Request cannot be made idempotent",
			"The request reached the function without its method and route.", nil), nil
	case errors.Is(err, idempotency.ErrMissingKey): // no header, or an empty one
		guarded, err := e.g.CheckKey(ctx, "", err)
		if err == nil && !guarded {
			return e.h(ctx, r)
		}
		return e.problem(http.StatusBadRequest, e.header+" header required",
			"This endpoint is idempotent: send a unique "+e.header+" header with each new request, and the same one with its retries.", nil), nil
	case err != nil:
		return zero, err
	}
	payload, err := idempotency.Payload(r)
	if err != nil {
		return zero, err
	}
	var live Resp
	ran := false
	res, err := e.g.Do(ctx, key, payload, func(ctx context.Context) ([]byte, error) {
		ran = true
		resp, err := e.h(ctx, r)
		if err != nil {
			return nil, err
		}
		live = resp
		if s := e.f.status(resp); s >= 500 || s == http.StatusTooManyRequests {
			return nil, &unstored[Resp]{resp}
		}
		b, err := json.Marshal(e.f.storable(resp))
		if err != nil {
			return nil, fmt.Errorf("apigw: encode response: %w", err)
		}
		return b, nil
	})
	if err != nil {
		return e.outcome(ctx, live, err)
	}
	if ran {
		return live, nil
	}
	// Not run and no error: Do replayed a stored response.
	var stored Resp
	if err := json.Unmarshal(res, &stored); err != nil {
		return zero, fmt.Errorf("apigw: decode stored response: %w", err)
	}
	_ = metrics.FromContext(ctx).Add(MetricReplay, metrics.Count, 1)
	if e.replay != "-" {
		stored = e.f.withHeader(stored, e.replay, "true")
	}
	return stored, nil
}

// outcome maps an error of Guard.Do to the response.
func (e *endpoint[Req, Resp]) outcome(ctx context.Context, live Resp, err error) (Resp, error) {
	if u, ok := errors.AsType[*unstored[Resp]](err); ok {
		return u.resp, nil
	}
	if nr, ok := errors.AsType[*idempotency.NotRecordedError](err); ok {
		_ = metrics.FromContext(ctx).Add(MetricNotRecorded, metrics.Count, 1)
		e.log.LogAttrs(ctx, slog.LevelError, "apigw: request done but its response was not stored",
			slog.String("key_hash", nr.KeyHash), slog.Bool("held", nr.Held), slog.String("error", nr.Err.Error()))
		return live, nil
	}
	if _, ok := errors.AsType[*idempotency.PayloadMismatchError](err); ok {
		return e.problem(http.StatusUnprocessableEntity, e.header+" reused",
			"This "+e.header+" was used for a different request; send a new key for a new request.", nil), nil
	}
	if _, ok := errors.AsType[*idempotency.ResultNotStoredError](err); ok {
		// Done once; its response was too large to keep. Running the
		// handler again would charge twice; a 5xx would invite retries.
		return e.problem(http.StatusConflict, "Request already processed",
			"The request with this "+e.header+" was processed, but its response was too large to be kept and cannot be replayed. Do not retry it: look up its result instead.", nil), nil
	}
	if ip, ok := errors.AsType[*idempotency.InProgressError](err); ok {
		secs := strconv.Itoa(int(max(1, math.Ceil(ip.RetryAfter.Seconds()))))
		return e.problem(http.StatusConflict, "A request with this "+e.header+" is in progress",
			"Retry after the first request has finished.", map[string]string{"Retry-After": secs}), nil
	}
	var zero Resp
	return zero, err
}

func (e *endpoint[Req, Resp]) problem(status int, title, detail string, headers map[string]string) Resp {
	b, _ := json.Marshal(struct {
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{title, status, detail})
	h := map[string]string{"Content-Type": "application/problem+json"}
	for k, v := range headers {
		h[k] = v
	}
	return e.f.respond(status, h, string(b))
}

type v2 struct{}

func (v2) keyFunc(header string, o *Options) idempotency.KeyFunc[events.APIGatewayV2HTTPRequest] {
	if o.HTTPPrincipal == nil && o.RESTPrincipal != nil {
		panic("apigw: HTTPHandler given Options.RESTPrincipal, which only RESTHandler reads: set HTTPPrincipal")
	}
	return idempotency.APIGatewayV2KeyWith(header, o.HTTPPrincipal)
}

func (v2) storable(r events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	r.Cookies = nil
	r.Headers, r.MultiValueHeaders = withoutCookies(r.Headers), withoutCookies(r.MultiValueHeaders)
	return r
}

func (v2) status(r events.APIGatewayV2HTTPResponse) int { return r.StatusCode }

func (v2) respond(status int, h map[string]string, body string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: h, Body: body}
}

func (v2) withHeader(r events.APIGatewayV2HTTPResponse, name, value string) events.APIGatewayV2HTTPResponse {
	r.Headers = withHeader(r.Headers, name, value)
	return r
}

type v1 struct{}

func (v1) keyFunc(header string, o *Options) idempotency.KeyFunc[events.APIGatewayProxyRequest] {
	if o.RESTPrincipal == nil && o.HTTPPrincipal != nil {
		panic("apigw: RESTHandler given Options.HTTPPrincipal, which only HTTPHandler reads: set RESTPrincipal")
	}
	return idempotency.APIGatewayKeyWith(header, o.RESTPrincipal)
}

func (v1) storable(r events.APIGatewayProxyResponse) events.APIGatewayProxyResponse {
	r.Headers, r.MultiValueHeaders = withoutCookies(r.Headers), withoutCookies(r.MultiValueHeaders)
	return r
}

func (v1) status(r events.APIGatewayProxyResponse) int { return r.StatusCode }

func (v1) respond(status int, h map[string]string, body string) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: h, Body: body}
}

func (v1) withHeader(r events.APIGatewayProxyResponse, name, value string) events.APIGatewayProxyResponse {
	r.Headers = withHeader(r.Headers, name, value)
	if r.MultiValueHeaders != nil {
		mv := make(map[string][]string, len(r.MultiValueHeaders)+1)
		for k, v := range r.MultiValueHeaders {
			mv[k] = v
		}
		mv[name] = []string{value}
		r.MultiValueHeaders = mv
	}
	return r
}

// withHeader returns a copy of h with name set to value.
func withHeader(h map[string]string, name, value string) map[string]string {
	c := make(map[string]string, len(h)+1)
	for k, v := range h {
		if !strings.EqualFold(k, name) {
			c[k] = v
		}
	}
	c[name] = value
	return c
}

// withoutCookies returns h without its Set-Cookie header (any case): a
// cookie is minted for the response that carried it (a session, a CSRF
// token), so it is neither kept in the store nor sent again to a retry.
func withoutCookies[V any](h map[string]V) map[string]V {
	var c map[string]V
	for k := range h {
		if strings.EqualFold(k, "Set-Cookie") {
			if c == nil {
				c = maps.Clone(h)
			}
			delete(c, k)
		}
	}
	if c == nil {
		return h
	}
	return c
}
