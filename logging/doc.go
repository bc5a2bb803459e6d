// Package logging is a [log/slog] handler for AWS Lambda: it adds the Lambda
// context to every record, so that CloudWatch Logs can tie each line to its
// function, invocation and request, and it keeps secrets out of the logs.
//
// # Use
//
// Build the handler once, at init, and start each invocation with the raw
// event (the middleware package does both for you):
//
//	h := logging.NewJSONHandler(os.Stdout, nil)
//	logger := slog.New(h)
//	...
//	ctx = h.Start(ctx, payload) // once per invocation
//	logger.InfoContext(ctx, "order stored", "order", id)
//
// Records logged without a started context (at init, or with
// logger.Info rather than logger.InfoContext) carry only the function's
// attributes.
//
// # Fields
//
// [NewJSONHandler] writes one JSON object per line, which is what Lambda's
// JSON log format expects of a custom runtime: Lambda's application
// log-level filter reads the "level" key, and Logs Insights discovers every
// key as a field.
//
//	time                  RFC 3339 time with nanoseconds
//	level                 DEBUG, INFO, WARN or ERROR (slog's names)
//	msg                   the log message
//	source                file and line, when Options.AddSource is set
//	function_name         AWS_LAMBDA_FUNCTION_NAME
//	function_version      AWS_LAMBDA_FUNCTION_VERSION
//	function_memory_size  AWS_LAMBDA_FUNCTION_MEMORY_SIZE, a number (MB)
//	requestId             the Lambda request id (the key Lambda uses in its own JSON logs)
//	function_arn          the invoked function's ARN, alias included
//	cold_start            true only on the first invocation of the process
//	xray_trace_id         the Root of the X-Ray trace header, when tracing is on
//	correlation_id        the id of the innermost event the record is about, see [CorrelationID]
//	debug_sampled         true when the invocation is sampled for debug logs
//
// A record has one correlation_id. When work moves to an event inside the
// invocation's (the S3 notification in an SQS message's body, with
// [WithInnerCorrelationID], a logger's With or the record's own
// correlation_id attribute), the inner event's id is the correlation_id and
// each outer id is kept under its source's key:
//
//	api_request_id        API Gateway's or a function URL's request id
//	s3_request_id         an S3 notification's x-amz-request-id
//	sqs_message_id        an SQS message's messageId
//	sns_message_id        an SNS notification's MessageId
//	event_id              a Kinesis, DynamoDB Streams or EventBridge event's id
//	outer_correlation_id  an id from Options.Correlation
//
// so that `filter correlation_id = "<S3 request id>"` finds everything about
// an upload, and `filter sqs_message_id = "<message id>"` everything about
// one delivery.
//
// followed by the record's own attributes. With Options.ReplaceAttr set to
// [ReplaceAttr], the first three are written as the managed runtimes write
// them ("timestamp", "level" with TRACE and FATAL for [LevelTrace] and
// [LevelFatal], "message"), at some cost per record (see Cost).
//
// The Lambda context attributes stay at the top level even under
// [slog.Logger.WithGroup], so queries can rely on them:
//
//	fields @timestamp, level, msg
//	| filter requestId = "c6af9ac6-7b61-11e6-9a41-93e812345678"
//
//	filter cold_start = 1 | stats count() by function_version
//
//	filter correlation_id = "MessageID_1" | sort @timestamp
//
// # Powertools field names
//
// With Options.Preset set to [PresetPowertools] the Handler writes the
// standard keys of Powertools for AWS Lambda's logger instead, so that a
// team's Logs Insights queries, metric filters and dashboards carry over:
//
//	timestamp             RFC 3339 in UTC, with milliseconds
//	level                 TRACE, DEBUG, INFO, WARN, ERROR or FATAL (Lambda's names)
//	location              the caller, as pkg.Func:line
//	message               the log message
//	service               Options.Service, else POWERTOOLS_SERVICE_NAME, else service_undefined
//	cold_start            as above
//	function_name         as above
//	function_memory_size  as above
//	function_arn          as above
//	function_request_id   the Lambda request id
//	xray_trace_id         as above
//	sampling_rate         the debug sample rate, when sampling is on
//	correlation_id        as above
//
// (plus function_version, debug_sampled and the outer ids, under the names
// above). POWERTOOLS_LOG_LEVEL and POWERTOOLS_LOGGER_SAMPLE_RATE are read
// too. The queries become:
//
//	fields @timestamp, level, message
//	| filter function_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
//
//	filter service = "payment" and level = "ERROR" | stats count() by location
//
// # Every line JSON
//
// [SetDefault] makes the Handler slog's default handler and the output of
// the standard log package, so that libraries' fallback logging and
// aws-lambda-go's error line for a failed invocation come out as JSON
// records with the Lambda context too. A panic in the handler's goroutine is
// such a failed invocation (aws-lambda-go recovers it and reports it with
// its stack), followed by aws-lambda-go's log.Fatal line as the process
// exits, at FATAL so that no level filters it out.
//
// One kind of output cannot be JSON: a crash of the Go runtime itself
// ("fatal error: concurrent map writes", running out of memory, a stack
// overflow) or a panic in a goroutine the handler started that nothing
// recovers. The runtime prints its plain-text report on stderr after Go
// code has stopped running, so no handler sees it; Lambda reports such an
// end as Runtime.ExitError in the invocation's platform record. Recover in
// the goroutines you start (package batch does for its workers).
//
// # Level and sampling
//
// The level is Options.Level, else AWS_LAMBDA_LOG_LEVEL (the application log
// level of Lambda's advanced logging controls), else INFO. With
// Options.DebugSampleRate, that fraction of invocations logs at DEBUG.
//
// # Redaction
//
// Attributes whose key is in [DefaultRedactKeys] or Options.RedactKeys
// (compared case-insensitively, ignoring '-' and '_') are written as
// [Redacted]. Keys are checked at any depth of groups, and inside
// map[string]string, map[string][]string and [net/http.Header] values, so
// logging API Gateway headers does not leak the Authorization header.
//
// # Cost
//
// The invocation's attributes are built once, in [Handler.Start], and each
// logger derives its wrapped handler once per invocation, with those
// attributes preformatted: a record costs the wrapped handler's work plus a
// context lookup, a map lookup and a scan of its keys for secrets, and no
// allocation. See BenchmarkHandler against BenchmarkJSONHandler, slog's JSON
// handler alone. Any ReplaceAttr function sends slog's JSON handler down a
// slower path (about a quarter more time per record).
package logging
