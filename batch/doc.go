// Package batch processes the records of an SQS, Kinesis or DynamoDB
// Streams event one by one and reports only the failed ones back to Lambda
// (partial batch responses), so that one bad record does not make the whole
// batch retry.
//
// # Use
//
// Write a handler for one record and let the package run it over the batch:
//
//	func process(ctx context.Context, m events.SQSMessage) error { ... }
//
//	lambda.Start(batch.SQSHandler(process, &batch.Options[events.SQSMessage]{Concurrency: 8}))
//
// The event source mapping must have ReportBatchItemFailures among its
// FunctionResponseTypes; otherwise Lambda ignores the response.
//
// # Semantics
//
//   - SQS standard queues: every message is processed, up to
//     Options.Concurrency at once; the failed ones are reported by
//     messageId and become visible again.
//   - SQS FIFO queues (ARN ending in ".fifo"): order within a message group
//     is kept. With [StopOnFailure] (the default) processing stops at the
//     first failure, which is reported with every message after it. With
//     [SkipGroupOnFailure] only the rest of the failed message's group is
//     reported, and the other groups go on, concurrently.
//   - Kinesis and DynamoDB Streams: records are processed in order; at the
//     first failure processing stops and that record and every later one are
//     reported by sequence number, so Lambda resumes the shard at the failed
//     record.
//   - A record whose handler panics fails alone; the panic and its stack are
//     logged.
//   - When the context ends (see the middleware package's deadline guard),
//     records not yet started are reported as failed, unprocessed, for the
//     next delivery.
//   - When every record failed, the handler returns an *[AllFailedError]
//     (errors.Is [ErrAllFailed]): Lambda then treats the batch as failed.
//
// # Idempotency
//
// With Options.Guard each record runs under [idempotency.Guard.Do], keyed by
// Options.Key (by default the message or event id; for S3 events in the
// queue, which S3 may send twice as two messages, guard each event with
// [idempotency.SQSS3Keys] in the handler instead): a record processed by
// an earlier delivery counts as a success without running again. Records of
// one batch that share a key are processed one after the other, so a
// duplicate inside a batch runs once and also counts as a success, even with
// Concurrency above one. A record without a key runs unguarded if the
// Guard's Options.AllowMissingKey is set, and fails otherwise (see
// [idempotency.Guard.CheckKey]).
//
// Options.Payload says what of a record is hashed to detect a key reused
// with a different payload, which fails the record. The default leaves out
// transport metadata: for SQS the body only, compared as canonical JSON, so
// the same order sent again with another trace attribute or with its keys in
// another order is a duplicate (see [Options] for every source). A producer
// that stamps each send (a sent_at field) needs the fields that make the
// order:
//
//	batch.SQSHandler(process, &batch.Options[events.SQSMessage]{
//		Guard:   guard,
//		Key:     orderKey,
//		Payload: idempotency.SQSBodyFields("id", "quantity"),
//	})
//
// A record whose handler succeeded but whose outcome the Guard could not
// save (an *[idempotency.NotRecordedError], after the Guard's own retries)
// counts as a success: the work was done once, and reporting it failed
// would make the redelivery do it again. The failure is logged at ERROR and
// counted as the [MetricNotRecorded] metric, and a duplicate later in the
// same batch counts as done too; later deliveries are not protected by a
// record (see the error's documentation for what they find). Set
// Options.FailNotRecorded to report such records as failed instead.
//
// Each record's logs carry its own id as correlation_id (see
// [logging.WithCorrelationID]).
package batch
