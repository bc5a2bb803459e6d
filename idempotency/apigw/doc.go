// Package apigw makes Amazon API Gateway endpoints idempotent with the
// idempotency engine: a client that sends an Idempotency-Key header gets
// one execution of its request, however often it retries, and the same
// response each time; every outcome of the engine is an HTTP response, not
// a 500.
//
//	guard := idempotency.New(store, &idempotency.Options{Namespace: "payments"})
//	lambda.Start(middleware.Wrap(apigw.HTTPHandler(guard, createPayment, nil), opts))
//
//	func createPayment(ctx context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) { ... }
//
// [HTTPHandler] serves HTTP APIs and function URLs (payload format 2.0),
// [RESTHandler] REST APIs (payload format 1.0, Lambda proxy integration).
// The package is an adapter: the engine (idempotency.Guard) decides, this
// package maps its decisions to HTTP, following the IETF's Idempotency-Key
// header draft.
//
// # Responses
//
//	the handler's response, first time       the response, stored for Options.Expiry of the Guard
//	a retry (same key, same request)         the stored response, with Idempotent-Replayed: true
//	no Idempotency-Key header                400 Bad Request (or the handler, unguarded, with the Guard's AllowMissingKey)
//	the key with another request             422 Unprocessable Content
//	the key while its first request runs     409 Conflict with Retry-After (or the stored response, with the Guard's WaitForResult)
//	a 5xx or 429 from the handler            that response, not stored: the retry runs the handler again
//	an error from the handler                the error (API Gateway answers 500/502), not stored
//	done, but the store failed to record it  the handler's response (see below)
//	a retry after a response too large to    409 Conflict without Retry-After: done once, not
//	store (over the store's result limit)    run again, nothing to replay (see below)
//	a request without its method or route    500, not run: its key would be shared with every such request
//	an authorized request without principal  500, not run: its key would be shared with other callers
//
// Errors are application/problem+json documents (RFC 9457) with a title,
// the status and a detail. A replay also adds 1 to the [MetricReplay]
// metric of the invocation's metrics.Set (the middleware package's), and
// calls the Guard's Options.OnReplay like any replay.
//
// # What makes two requests the same
//
// A request's idempotency key is the header's value scoped by the API, its
// stage, the method, the route ("POST /payments", or the resource
// "/payments/{id}" of a REST API) and the caller, as
// idempotency.APIGatewayV2KeyWith and idempotency.APIGatewayKeyWith define
// it for the configured header and principal (the handlers use them): one
// key sent to two endpoints, two stages or two APIs, or by two callers, is
// two keys. Every field is length-prefixed in the key, so no value (a "|"
// in a header, a path or a JWT subject such as "auth0|42") can make two
// scopes one key. What is compared to detect a key reused for another
// request is idempotency.Payload of the request: the method, path, query
// and body, not the headers (a retry may carry another trace header or
// date) nor the request context (a new request id per attempt).
//
// # Callers
//
// Keys are often guessable or chosen by the client ("order-42"), and two
// callers may send the same one: each gets its own execution and its own
// response, never the other's (Stripe scopes keys by account, and the IETF
// draft by client, for the same reason). The caller is the principal that API Gateway authenticated:
//
//	HTTP API, function URL (HTTPHandler)       REST API (RESTHandler)
//	JWT authorizer: claims iss and sub         Lambda authorizer: principalId
//	Lambda authorizer: principalId in the      Cognito user pool authorizer: claims iss and sub
//	  context it returns
//	IAM: the Cognito identity, else userArn    IAM: the Cognito identity, else userArn (or caller)
//	mutual TLS: the client certificate's       mutual TLS: the client certificate's
//	  issuer and serial number                   issuer and serial number
//
// Options.HTTPPrincipal and Options.RESTPrincipal replace this with a
// function of the request: a tenant claim, so that the users of one
// tenant share their keys, or an API key id.
//
// A request that went through an authorizer that named no caller (a JWT
// without sub, an HTTP API Lambda authorizer whose context has no
// principalId, as a simple response without context has none), or a
// principal function that returns an error or "", is refused: 500 with a
// problem document titled "Request cannot be made idempotent", the handler
// not run, and an ERROR record naming what was missing (never the claims).
// It is the function's configuration that is wrong, not the client's
// request, and guarding the request under a scope shared with other
// callers is what this package must not do.
//
// A route without authentication (no authorizer, no IAM, no client
// certificate) has one caller, idempotency.AnonymousPrincipal: everyone.
// Its keys are shared by all its clients, and only the key tells their
// requests apart, so its clients must send unguessable keys (a random
// UUID, as the draft asks), and a response it returns must be one that
// anyone holding the key may read. Scoping such a route by the source IP
// would be no safer (clients behind one NAT share an address) and would
// break idempotency (a phone's retry comes from another address). A public
// route that wants a scope of its own returns it from the principal
// option; one that must never share sets a principal function that refuses
// anonymous requests.
//
// # What is stored and replayed
//
// The response's status, headers and multi-value headers, body and base64
// flag are stored for Options.Expiry of the Guard and replayed, with the
// replay header added. Its cookies are not: an HTTP API response's cookies
// and any Set-Cookie header (in any case, in headers or multi-value
// headers) reach the first request's client, but are neither kept in the
// store nor sent again, since a cookie (a session, a CSRF token) is minted
// for one response. A retry that needs the cookie gets the response
// without it.
//
// # Done but not recorded
//
// When the handler succeeded but the Guard could not save its response (an
// *idempotency.NotRecordedError: a throttled or unreachable table, a
// response too large for the store), the payment has been made: answering
// 5xx would make the client retry and pay twice. The handler's response is
// returned, the failure is logged at ERROR and counted as the
// [MetricNotRecorded] metric. A handler that calls Guard.Do itself should do
// the same: treat errors.Is(err, idempotency.ErrNotRecorded) as success.
//
// A response too large for the store (DynamoDB's item holds about 396 KB;
// see each store's MaxResultSize) is not stored, but its request is recorded
// as done: a retry gets 409 Conflict, without Retry-After, with the title
// "Request already processed", never a second run of the handler (Powertools
// for AWS Lambda fails such a save and leaves the record in progress, so a
// retry after the lease runs the handler again). The first request's client
// got the response; a client that lost it looks the result up (GET the
// payment) instead of retrying. Keep responses small (an id and a status)
// and this never happens.
package apigw
