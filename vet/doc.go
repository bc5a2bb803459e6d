// Package vet is the reviewer's checklist for serverless Go code as
// [golang.org/x/tools/go/analysis] analyzers: the failure modes that lose or
// repeat events under at-least-once delivery, found in the handler code
// before it is merged.
//
// # Analyzers
//
//   - [Dedupe] (dedupe): a conditional write used as a dedupe marker
//     (DynamoDB attribute_not_exists, Redis SETNX or SET NX, an SQL INSERT
//     that fails on conflict) followed by work whose failure leaves the
//     marker in place, so the retry is skipped and the event is lost.
//   - [Swallowed] (swallowed): an error path in an S3, SQS, SNS,
//     EventBridge, Kinesis or DynamoDB Streams handler that logs and goes
//     on (or a deferred recover that drops a panic), so Lambda sees
//     success and neither retries nor dead-letters.
//   - [S3Key] (s3key): events.S3Object.Key (URL-encoded) reaching an S3 call
//     or a stored key without decoding.
//   - [WholeBatch] (wholebatch): an SQS, Kinesis or DynamoDB Streams handler
//     returning one error for the whole batch from its loop over records.
//   - [Deadline] (deadline): SDK, database or HTTP calls inside a handler
//     made with context.Background or context.TODO (or without a context),
//     which outlive the invocation's deadline.
//   - [InitClient] (initclient): SDK configurations and clients built inside
//     the handler, on every invocation, instead of once at init.
//
// [Analyzers] lists them for a driver (cmd/rampart-vet, `rampart vet`, the
// golangci-lint plugin in vet/golangci). Every finding starts with its rule
// name and ends with the link to the README section that explains the
// failure and the fix ([URL]).
//
// # Suppression
//
// A finding is suppressed by a comment on its line, or alone on the line
// above, naming the rule and the reason:
//
//	client := s3.NewFromConfig(cfg) //rampart:ignore initclient built once per cold start by the caller
//
// A directive without a reason suppresses nothing and says so in the
// finding. The deployment rules (vet/awsrules, vet/wrangler) read the same
// directive in YAML and TOML comments (# rampart:ignore RULE reason).
package vet
