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
// S3, CloudWatch Logs and SQS. A backend that can change state also implements
// [Writer]; front ends use it only when the operator allowed writes.
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
// [ErrNotSupported] for questions they cannot answer.
package inspect
