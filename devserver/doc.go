// Package devserver is Rampart's local runtime: the media service on one
// machine with no cloud account, running the same [thumbnailer.Thumbnailer] the
// Lambda function runs.
//
// Everything lives in one data folder:
//
//	objects/         the bucket (blob/fsblob): uploads/… and derived/<size>/…
//	media.db         media records (media/sqliterecords)
//	idempotency.db   idempotency records (idempotency/sqlitestore)
//	queue.db         the event queue and its dead letters (queue)
//	journal/         intents of writes in progress (see Crash safety)
//	dev.lock         held while a dev server has the folder open
//
// so state survives a restart, and an event accepted before a crash is
// processed after it.
//
// # Wiring
//
// An upload (PUT /objects/{key}) under the source prefix enqueues the
// notification S3 would send to SQS (an S3 event with eTag, sequencer and
// the upload's request id). Workers receive batches with SQS semantics
// (visibility timeout, redelivery, a maximum receive count, then the
// dead-letter queue), hand them to [thumbnailer.Thumbnailer.HandleSQS] as an
// events.SQSEvent with a deadline, the invocation timeout (as Lambda's
// timeout), delete the messages that succeeded and leave those listed in
// batchItemFailures for redelivery, each with its own error. While an
// invocation runs, a heartbeat keeps its messages invisible (the local
// ChangeMessageVisibility, every third of the visibility timeout), so slow
// work is never delivered twice; the visibility timeout only decides how
// soon the messages of a process that died come back. (On AWS, where the
// event source does no such heartbeat, deploy/aws keeps the visibility
// timeout at six times the function timeout instead.)
//
// # HTTP API
//
//	PUT    /objects/{key...}   upload (Content-Type kept); 201 with the request id
//	GET    /objects/{key...}   an object or a thumbnail (derived/<size>/<key>); HEAD too
//	DELETE /objects/{key...}   delete, notifying the thumbnailer
//	GET    /objects?prefix=    list objects
//	GET    /media?status=      list media records (cursor: after, limit)
//	GET    /media/{id}         one record
//	GET    /queue              queue statistics
//	GET    /queue/dead         dead letters (cursor: after, limit)
//	POST   /queue/redrive      move dead letters back: body {"ids": [...]} or
//	                           {"count": N} (the N oldest), or ?id=… repeated;
//	                           none = all; only with Options.AllowWrites,
//	                           never cross-site
//
// Errors are JSON ({"error", "requestId"}): 400 for an invalid key, an
// unknown status, a cursor or limit the API never returned, or a redrive
// body it cannot read; 404, 413, 503 as above.
//
//	GET    /health             service status
//
// Requests whose Host is not one of the listener's own names (127.0.0.1,
// localhost, [::1] on its port, and Options.AllowedHosts) are refused with
// 403 and a JSON error, so that a DNS-rebinding page cannot call the API;
// so are requests whose Origin is not one of those names (a page on
// another origin, or "null" from a sandboxed frame or a file), whatever
// the method.
// Objects are served with nosniff, a sandboxing Content-Security-Policy and
// Content-Disposition: attachment except for raster images, so that an
// uploaded page or SVG never runs on the API's origin (package
// inspect/writegate).
//
// # Limits
//
// Upload bodies are streamed to a temporary file beside the bucket and
// renamed into place when complete, so memory per upload is a 64 KiB
// buffer whatever its size. A body over Options.MaxUploadBytes is refused
// with 413: at once from its Content-Length, before a byte is read, or
// when a chunked body reaches the limit. Beyond
// Options.MaxConcurrentUploads streaming at once, uploads get 503 with
// Retry-After. [Server.HTTPServer] closes connections whose headers take
// over 10 s, whose body sends nothing for Options.BodyReadTimeout, or that
// stay idle for 60 s.
//
// # Crash safety
//
// Every object under the source prefix ends in a final record (processed,
// rejected or deleted) or a dead letter, even when the process is killed
// between any two steps of a write. Before an upload or delete changes the
// bucket, an intent (the key and request id) is written to journal/ and
// synced; it is removed once the notification is enqueued. [Open] replays
// the intents a crash left: for each key it enqueues the event describing
// the key's current state, unless its record already shows it. It also
// removes the temporary files and unreferenced bodies of interrupted writes
// ([fsblob.Store.Sweep]). So one dev server serves a data folder at a time:
// Open holds a lock on it (dev.lock, released by Close or when the process
// dies) and a second Open fails with [ErrDataFolderInUse].
//
// # Fault injection
//
// [Faults] makes the runtime treat the handler the way production does, and
// worse: duplicate deliveries (sequential and concurrent), crashes after the
// side effects but before the idempotency record completes (the attempt is
// abandoned without releasing anything, as a killed process would), and
// transient read errors (S3 throttling).
//
// # Logs
//
// Structured JSON on the logger given (stdout in rampart dev). Every record
// about an object carries correlation_id, the request id of its upload, from
// the HTTP request to the thumbnails.
package devserver
