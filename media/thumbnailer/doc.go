// Package thumbnailer is Rampart's media service handler: S3 uploads become
// thumbnails and a media record exactly once in effect, however often and in
// whatever order their notifications arrive. The same code runs on AWS
// Lambda (cmd/thumbnailer) and in the local runtime (rampart dev).
//
// It is written against ports: [blob.Store] for objects, [media.Records]
// for media records (the domain, package media) and an
// [idempotency.Guard]. It imports no cloud SDK.
//
// # Events
//
// [Thumbnailer.Invoke] accepts every wiring package media decodes: S3
// notifications delivered directly, inside SQS messages (the production
// wiring: S3 → SQS with a redrive policy → Lambda with
// ReportBatchItemFailures), in SNS notifications and as EventBridge events.
//
// # Processing one event
//
//  1. Idempotency on the event's identity ([media.Event.IdempotencyKey]:
//     bucket, key, eTag, versionId and sequencer) before any side effect. A
//     duplicate replays the stored [Outcome]; a concurrent duplicate fails
//     transiently and is delivered again.
//  2. A claim on the object's record ([media.Records.Claim]) orders events
//     by S3 sequencer: an event older than the record is skipped without
//     touching anything, and a newer event waits while an older one holds a
//     live claim. A crash after the side effects but before the idempotency
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
// upload): then it is skipped and the record stays. Only keys under the
// source prefix (uploads/) are processed, and the deployment's notification
// filter sends only those: thumbnails can never trigger the thumbnailer
// (the S3 recursion trap).
//
// # Errors
//
// [IsPermanent] separates problems no retry can fix (a corrupt, unsupported
// or oversized object: the record becomes rejected with a reason and the
// event completes; a malformed notification: it fails until the queue moves
// it to the dead-letter queue) from transient ones (throttling, timeouts,
// 5xx, a busy claim), which are returned so the platform delivers the event
// again. Both are logged as structured records and counted as metrics.
package thumbnailer
