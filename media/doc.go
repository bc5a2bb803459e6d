// Package media is Rampart's media service: S3 uploads become thumbnails and
// a media record exactly once in effect, however often and in whatever order
// their notifications arrive. The same code runs on AWS Lambda
// (cmd/thumbnailer, cmd/health) and in the local runtime (rampart dev).
//
// The package holds the domain and the handlers, written against ports:
// [blob.Store] for objects, [Records] for media records (backends in
// media/sqliterecords and media/dynamorecords, conformance suite in
// media/recordstest) and an [idempotency.Guard]. It imports no cloud SDK.
//
// # Events
//
// [Thumbnailer.Invoke] accepts S3 notifications delivered directly, inside
// SQS messages (the production wiring: S3 → SQS with a redrive policy →
// Lambda with ReportBatchItemFailures), in SNS notifications (S3 → SNS →
// Lambda, or S3 → SNS → SQS) and as EventBridge "Object Created" / "Object
// Deleted" events. All become an [Event] with a URL-decoded key and a
// normalised sequencer. The decoders are fuzzed against aws-lambda-go's own
// unmarshalling (event_fuzz_test.go).
//
// # Processing one event
//
//  1. Idempotency on the event's identity ([Event.IdempotencyKey]: bucket,
//     key, eTag, versionId and sequencer) before any side effect. A duplicate
//     replays the stored [Outcome]; a concurrent duplicate fails
//     transiently and is delivered again.
//  2. A claim on the object's record ([Records.Claim]) orders events by S3
//     sequencer: an event older than the record is skipped without touching
//     anything, and a newer event waits while an older one holds a live
//     claim. A crash after the side effects but before the idempotency
//     record completed is therefore harmless: the redelivery finds its own
//     sequencer already committed and does nothing.
//  3. The object is read with a byte limit, checked against the event's eTag
//     (a changed object is skipped: its own event follows) and thumbnailed
//     with [imaging.Thumbnails] (format sniffed from the bytes, pixel and
//     frame limits checked from the header, EXIF orientation applied,
//     decoded once).
//  4. Thumbnails are written to derived/<size>/<key> with content type and
//     Cache-Control, then the record is committed, fenced by the claim.
//
// An "object removed" event deletes the thumbnails and marks the record
// deleted, unless the key still has an object (in a versioned bucket, the
// removal of an old version or a delete marker since followed by an
// upload): then it is skipped and the record stays. Only keys under the source prefix (uploads/) are processed, and
// the deployment's notification filter sends only those: thumbnails can
// never trigger the thumbnailer (the S3 recursion trap).
//
// # Errors
//
// [IsPermanent] separates problems no retry can fix (a corrupt, unsupported
// or oversized object: the record becomes rejected with a reason and the
// event completes; a malformed notification: it fails until the queue moves
// it to the dead-letter queue) from transient ones (throttling, timeouts,
// 5xx, a busy claim), which are returned so the platform delivers the event
// again. Both are logged as structured records and counted as metrics.
//
// # Records and key design
//
// The media table's partition key is id = [ID](bucket, key), a hash. It
// spreads writes evenly however object keys are named. There is no status
// or date key and no index on one: those have few values and would turn a
// burst of uploads into a hot partition. Listing by status is served by an
// SQLite index locally and by a filtered Scan (an operator's tool) on AWS.
package media
