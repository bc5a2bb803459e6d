// Package mcpserver is the Model Context Protocol server over the
// inspection read model (package inspect), built on the official Go SDK: it
// lets an AI coding tool read a Rampart service's live state, locally or on
// AWS. "rampart mcp" serves it over stdio or streamable HTTP.
//
// # Tools
//
// Read-only tools, each with typed, documented input and output:
//
//	list_media               media records by status, key prefix and time (rejected ones say why)
//	get_media                one record: every thumbnail, the source object, its request's log lines
//	list_idempotency_records by status, or stuck in progress past their lease
//	list_objects, head_object the bucket
//	queue_status             message counts
//	list_dead_letters        the dead-letter queue with the reason each message died
//	query_logs               structured logs by request id, level, text and time
//	analyze_cold_starts      the cold-start analysis of Lambda logs
//	list_gateway_tokens      token ids and metadata, never secrets
//	describe_backend         the backend, the order of list_media, which optional tools it offers and why not
//
// list_dead_letters and list_gateway_tokens are optional capabilities: the
// server offers them only over a source that implements
// [inspect.DeadLetterLister] or [inspect.TokenLister] (the local backend
// does; on AWS, SQS cannot list a queue without receiving it and the
// tokens are not kept there). With [Options].AllowWrites, and a source that
// implements [inspect.Writer], two more tools change state and say what
// they changed: evict_idempotency_record and redrive_dead_letters. A
// capability left out is not silent: the server's instructions and
// describe_backend say why ([inspect.WhyNot]), and queue_status's
// description says why the dead letters cannot be listed.
//
// # Limits and errors
//
// Listings return at most [MaxLimit] items and a cursor. A failing call
// (bad input, a missing record, a backend error, even a panic) is a tool
// result with IsError set and a message meant for the model; the server
// keeps running. Array arguments have plain {"type": "array"} schemas that
// every client can fill. analyze_cold_starts reads only files inside
// [Options].ColdStartDirs and refuses every other path with one error,
// whether it exists or not.
//
// # Transports
//
// [StdioTransport] is the stdio transport rampart mcp uses: a malformed
// line gets a JSON-RPC parse error and the session goes on, and at the end
// of the input every request already read is answered before it closes.
// Over HTTP, rampart mcp checks Host and Origin (package inspect/writegate)
// as the MCP specification requires of local servers.
package mcpserver
