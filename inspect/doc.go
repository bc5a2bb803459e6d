// Package inspect is the read model of a Rampart service's live state: media
// records, idempotency records, objects, the event queue and its dead
// letters, structured logs, cold-start logs and gateway tokens. The
// inspection front ends (the MCP server in package mcpserver and the web
// dashboard in package dashboard) ask it every question and never touch
// storage themselves.
//
// # Backends
//
// [Source] is the query interface; each backend is a subpackage:
// inspect/local reads the data folder of "rampart dev" (SQLite, the
// filesystem bucket, the JSON log file) and inspect/awsstate reads DynamoDB,
// S3, CloudWatch Logs and SQS. The conformance suite every backend passes is
// package inspect/inspecttest.
//
// # Optional capabilities
//
// What not every backend can do is an optional interface, discovered by a
// type assertion as io.WriterTo is: [DeadLetterLister] (SQS cannot list a
// queue without receiving it), [TokenLister] (the gateway's tokens are not
// part of the AWS deployment) and [Writer] (front ends use it only when the
// operator allowed writes). Front ends offer a capability's tools and
// pages only when the source has it; [WhyNot] says why it does not, in the
// backend's words when it implements [Explainer], so that the user is told
// rather than left looking for a missing tool.
//
// # Pages
//
// Every listing returns a [Page] of at most [MaxLimit] items and an opaque
// cursor for the next page, so that no answer grows with the state. Cursors
// are only valid for the query that produced them; a malformed one is
// [ErrInvalidCursor].
//
// # Errors
//
// Backends wrap [ErrNotFound] for missing records and objects and return
// [ErrNotSupported] for a question they cannot answer in a particular case
// (an unconfigured resource, a redrive of chosen messages where only the
// whole queue moves); a question they can never answer is an optional
// capability they do not implement.
package inspect
