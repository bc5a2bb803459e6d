// Package idempotency makes at-least-once deliveries (S3, SQS, EventBridge,
// API Gateway retries) take effect once: a guarded function runs at most once
// per idempotency key, and a duplicate delivery gets the stored result.
//
// # Usage
//
// Create one [Guard] per store and share it:
//
//	store, err := sqlitestore.Open(ctx, "data/idempotency.db", nil)
//	...
//	g := idempotency.New(store, &idempotency.Options{Namespace: "thumbnailer"})
//
//	res, err := g.Do(ctx, key, payload, func(ctx context.Context) ([]byte, error) {
//		return makeThumbnail(ctx, ...)
//	})
//
// or guard an aws-lambda-go handler, generic over its input and output:
//
//	lambda.Start(idempotency.Handler(g, idempotency.EventBridgeKey, handle))
//
// Key extractors exist for S3 records ([S3Key], [S3EventKey]), SQS messages
// ([SQSKey], using the deduplication id on FIFO queues), EventBridge
// ([EventBridgeKey]) and API Gateway's Idempotency-Key header
// ([APIGatewayKey], [APIGatewayV2Key]); any func(T) (string, error) is a
// [KeyFunc].
//
// # Protocol
//
// Do first acquires an INPROGRESS record in one atomic store operation. The
// record carries a lease that ends at ctx's deadline (Lambda's invocation
// deadline), a random owner token, and a hash of the payload. Then:
//
//   - the function succeeds: the record becomes COMPLETED with the result,
//     for Options.Expiry (an hour by default);
//   - the function fails or panics: the record is released and the error is
//     returned unchanged, so the platform's retry does the work and its
//     dead-letter handling still sees failures;
//   - a duplicate finds a COMPLETED record: it gets the stored result, or a
//     *[PayloadMismatchError] if its payload differs;
//   - a duplicate finds a live INPROGRESS record: it gets a retryable
//     *[InProgressError] or, with Options.WaitForResult, waits for the result;
//   - the holder crashed: its lease ends and the next delivery takes over.
//
// # Why not a conditional put
//
// The common pattern writes a dedupe record with attribute_not_exists and
// then does the work. When the work fails, the retry finds the record and
// skips the event: it is lost. Here a failure releases the record, and a
// record is only final once COMPLETED.
//
// Compared with Powertools for AWS Lambda, completion and release are fenced
// by the owner token: a holder whose lease ended and was taken over cannot
// overwrite or delete the new holder's record (Do reports [ErrFenced]). The
// lease is the invocation's real deadline, not a fixed guess. Every store
// returns the conflicting record from the acquire itself ([ConflictError]),
// so a duplicate costs one round trip. A result too large for the store is a
// *[ResultTooLargeError] at save time, never a silent truncation.
//
// # Stores
//
// A [Store] does I/O only; hashing, caching and the protocol live here.
// Stores are subpackages: memstore (in memory), sqlitestore (embedded, the
// default), dynamostore and redisstore. Each passes the conformance suite in
// idempotencytest.
//
// # Observability
//
// Every decision is logged through Options.Logger with the namespace, a
// SHA-256 hash of the key and the record status; payloads and results are
// never logged. Store keys are the namespace and that hash
// ([Guard.StoreKey]), so raw keys are not stored either.
//
// # Time
//
// Every liveness decision uses Options.Now, passed to the store as an
// argument, so tests drive the engine and every store with a fake clock.
package idempotency
