// Package lambdatest runs AWS Lambda handlers in ordinary Go tests, in
// process, the way the Lambda runtime runs them, so that a handler built on
// the toolkit (logging, metrics, batch, idempotency, middleware) can be
// tested without an emulator:
//
//	func TestHandler(t *testing.T) {
//		lambdatest.Setenv(t, &lambdatest.Function{Name: "orders"}) // before building the log handler
//		lambdatest.ResetColdStart()
//		h := newHandler(...)                                          // what main passes to lambda.Start
//
//		ctx := lambdatest.Context(t, &lambdatest.Invocation{Timeout: 3 * time.Second})
//		out, err := lambdatest.Invoke(ctx, h, lambdatest.SQSEvent("orders", `{"id":"o-1"}`))
//		...
//	}
//
// # What the runtime does, and what this package does
//
// For each invocation aws-lambda-go's runtime loop builds a context with the
// invocation's deadline, a lambdacontext.LambdaContext (request id, invoked
// function ARN, client context, Cognito identity, tenant id) and the X-Ray
// trace header under the key "x-amzn-trace-id", then calls the handler
// through lambda.NewHandler(h).Invoke, which decodes the event and encodes
// the response. [Context] builds the same context; [Invoke] makes the same
// call. The handler's error is returned as it is; [ErrorType] gives the
// errorType Lambda would report for it. A panic is not recovered (the
// runtime reports it and ends the process; a test fails with its stack).
//
// Lambda also sets the function's environment before the process starts,
// and the toolkit reads it when it is built (logging.NewJSONHandler reads
// the function name, version and memory size once, the metrics package the
// function name): [Setenv] sets it for a test, through t.Setenv. The
// runtime sets _X_AMZN_TRACE_ID per invocation; Context does not, so that
// parallel tests do not share it.
//
// The first invocation of a process is its cold start, and the toolkit
// records that in process-wide flags: [ResetColdStart] rewinds them, so
// that the next invocation reports cold_start and the ColdStart metric
// again.
//
// [Output] collects what the function writes, log lines and EMF documents,
// and hands them back decoded.
//
// # Events
//
// [SQSEvent], [APIGatewayV2Request] (HTTP APIs and function URLs),
// [APIGatewayRequest] (REST APIs), [S3Event] and [EventBridgeEvent] build
// events shaped as Lambda delivers them, with every field a handler or the
// toolkit's key and payload functions read, deterministic from their
// arguments. [Sample] returns the sample events AWS publishes with
// aws-lambda-go.
package lambdatest
