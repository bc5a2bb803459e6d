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
// [NewJSONHandler] writes one JSON object per line. The keys follow Lambda's
// own JSON log format where it has one, so Lambda's log-level filter and
// Logs Insights treat these lines like the platform's:
//
//	timestamp             RFC 3339 time with nanoseconds (Lambda: "timestamp")
//	level                 TRACE, DEBUG, INFO, WARN, ERROR or FATAL (Lambda: "level")
//	message               the log message (Lambda: "message")
//	source                file and line, when Options.AddSource is set
//	function_name         AWS_LAMBDA_FUNCTION_NAME
//	function_version      AWS_LAMBDA_FUNCTION_VERSION
//	function_memory_size  AWS_LAMBDA_FUNCTION_MEMORY_SIZE, a number (MB)
//	function_arn          the invoked function's ARN, alias included
//	requestId             the Lambda request id (Lambda's key in its own logs)
//	cold_start            true only on the first invocation of the process
//	xray_trace_id         the Root of the X-Ray trace header, when tracing is on
//	correlation_id        the request id of the event, see [CorrelationID]
//	debug_sampled         true when the invocation is sampled for debug logs
//
// followed by the record's own attributes. The Lambda context attributes
// stay at the top level even under [slog.Logger.WithGroup], so queries can
// rely on them:
//
//	fields @timestamp, level, message
//	| filter requestId = "c6af9ac6-7b61-11e6-9a41-93e812345678"
//
//	filter cold_start = 1 | stats count() by function_version
//
//	filter correlation_id = "MessageID_1" | sort @timestamp
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
// logger derives its wrapped handler once per invocation: a record costs the
// wrapped handler's work plus a context lookup and a scan of its keys for
// secrets. See BenchmarkHandler and BenchmarkJSONHandler.
package logging
