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
//
// Errors are application/problem+json documents (RFC 9457) with a title,
// the status and a detail. A replay also adds 1 to the [MetricReplay]
// metric of the invocation's metrics.Set (the middleware package's), and
// calls the Guard's Options.OnReplay like any replay.
//
// # What makes two requests the same
//
// A request's idempotency key is the header's value scoped by the API, its
// stage, the method and the route ("POST /payments", or the resource
// "/payments/{id}" of a REST API), as idempotency.APIGatewayV2KeyFrom and
// idempotency.APIGatewayKeyFrom define it for the configured header (the
// handlers use them): one key sent to two endpoints, two stages or two APIs
// is two keys. What is compared to detect a key reused
// for another request is idempotency.Payload of the request: the method,
// path, query and body, not the headers (a retry may carry another trace
// header or date) nor the request context (a new request id per attempt).
//
// The key is not scoped by the caller: an authorizer's principal (a JWT's
// subject, an IAM user, a REST API's principalId) is part of neither the key
// nor the payload. Two callers that send one key with the same request to
// one endpoint get one execution, and the second gets the first one's
// response. Clients must send unguessable keys (a random UUID, as the draft
// asks), never a counter or an order number.
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
