// Package media is the domain of Rampart's media service, in which S3
// uploads become thumbnails and a media record exactly once in effect,
// however often and in whatever order their notifications arrive: the media
// [Record], the claim protocol that orders events by S3 sequencer ([Claim],
// [Decide], the [Records] interface), sequencers, and the [Event] every
// notification is decoded into.
//
// It imports nothing of Rampart's and no cloud SDK, only aws-lambda-go's
// event structs (plain data), so that a record backend depends on the
// domain alone (a test asserts it with go list -deps). Above it:
//
//   - media/thumbnailer, the handler that turns events into thumbnails and
//     records (on Lambda in cmd/thumbnailer, locally in rampart dev);
//   - media/health, GET /health (cmd/health);
//   - the record backends media/sqliterecords (a local data folder) and
//     media/dynamorecords (the DynamoDB media table), both passing the
//     conformance suite media/recordstest.
//
// # Events
//
// S3 notifications are delivered directly ([FromS3]), inside SQS messages
// (the production wiring: S3 → SQS with a redrive policy → Lambda with
// ReportBatchItemFailures; [FromSQSBody]), in SNS notifications (S3 → SNS →
// Lambda, or S3 → SNS → SQS; [FromSNSMessage]) and as EventBridge "Object
// Created" / "Object Deleted" events ([FromEventBridge]); [DetectShape]
// tells the envelopes apart. All become an [Event] with a URL-decoded key
// and a normalised sequencer; lifecycle expirations are removals. SQS and
// SNS bodies are read by the one decoder the idempotency engine's
// SQSS3Keys uses (internal/s3event), so both take and refuse the same
// bodies: S3's test message is [ErrTestEvent] (acknowledge it), any body
// that is not an S3 event an *[EventError] (permanent). The decoders are fuzzed against aws-lambda-go's
// own unmarshalling (event_fuzz_test.go).
//
// # Ordering
//
// A [Records] implementation applies [Decide] atomically when an attempt
// claims an object for an event: an event older than the record is
// [ErrStale] and touches nothing, a newer event waits ([ErrBusy]) while an
// older one holds a live claim, and [Records.Commit] is fenced by the
// claim's owner ([ErrFenced]). Sequencers of one key compare after
// [NormalizeSequencer].
//
// # Records and key design
//
// The media table's partition key is id = [ID](bucket, key), a hash. It
// spreads writes evenly however object keys are named. There is no status
// or date key and no index on one: those have few values and would turn a
// burst of uploads into a hot partition. Listing by status is served by an
// SQLite index locally and by a filtered Scan (an operator's tool) on AWS.
package media
