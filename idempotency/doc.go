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
// ([SQSKey]), the S3 events an SQS message carries ([SQSS3Keys]: S3 → SQS,
// through SNS or from EventBridge, keyed as if S3 had delivered them
// directly), EventBridge ([EventBridgeKey]) and API Gateway's
// Idempotency-Key header ([APIGatewayKey], [APIGatewayV2Key], scoped by the
// route and by the caller that API Gateway authenticated, see
// [APIGatewayPrincipal] and [PrincipalFunc]); each says what counts as "the
// same event", and any func(T) (string, error) is a [KeyFunc]. What is
// hashed to tell a key reused with another payload is a
// [PayloadFunc] ([Payload] by default, with a documented choice per event
// source that leaves out transport metadata; [HandlerWithPayload] picks
// another).
//
// # S3 events through a queue
//
// S3 delivers notifications at least once, so a queue between S3 and the
// function (S3 → SQS, S3 → SNS → SQS, S3 → EventBridge → SQS) can hold one
// event in two messages. Guard each event, not each message: [SQSS3Keys]
// unwraps the body and keys every record as [S3EventKey] would key it
// delivered directly, so the two messages (and a function triggered by the
// bucket itself) share one record:
//
//	objects, err := idempotency.SQSS3Keys(m) // ErrTestEvent: acknowledge; ErrMalformedMessage: reject, never retry
//	for _, o := range objects {
//		_, err := g.Do(ctx, o.Key, o.Payload, func(ctx context.Context) ([]byte, error) {
//			return nil, makeThumbnail(ctx, o.Record)
//		})
//		...
//	}
//
// The example of SQSS3Keys is the whole handler, with partial batch
// responses.
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
//     *[InProgressError] or, with Options.WaitForResult, waits for the result
//     (reading the record with backoff, never writing);
//   - the holder crashed: its lease ends and the next delivery takes over;
//   - the function succeeded but its result could not be recorded: Complete
//     is retried with backoff within the lease, then Do returns the result
//     with a *[NotRecordedError] (report success: the work is done) and the
//     record is held until its lease ends;
//   - the function succeeded with a result too large for the store: the
//     record is completed without it, Do returns the result with a
//     *[NotRecordedError], and duplicates get a *[ResultNotStoredError]
//     (done, nothing to replay), never a second run.
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
// so a duplicate needs no read after its failed write (the README's table
// gives each store's round trips). A result too large for the store is a
// *[ResultTooLargeError] at save time, never a silent truncation, and the
// work is not repeated for it: Powertools leaves such a record INPROGRESS
// (its save fails), so the first retry after the lease runs the function
// again; here the record is completed without the result.
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
// Every liveness decision uses the Guard's clock (Options.Now), passed to
// the store as an argument, so tests drive the engine and every store with a
// fake clock. What the engine assumes about clocks:
//
//   - The clocks of all processes sharing a store differ by at most
//     Options.SkewMargin (1 s by default; Lambda's clocks are kept within
//     milliseconds by the Amazon Time Sync Service, a laptop's may not be).
//   - A holder's lease is written in its own clock: its context deadline
//     plus SkewMargin. Its function's context ends at the deadline, so a
//     process whose clock runs up to SkewMargin ahead cannot take the lease
//     over while the function may still run; a takeover happens SkewMargin
//     after the deadline at the earliest. A holder whose clock runs more than
//     SkewMargin behind can be taken over while it still works: raise
//     SkewMargin to cover the skew, or fix the clock.
//   - Completed records expire Options.Expiry after completion, by the
//     completing holder's clock.
//
// Per store:
//
//   - memstore, sqlitestore: the caller's clock decides everything; there is
//     no other clock.
//   - redisstore: liveness is judged at the caller's now; the key's time to
//     live is set as a duration (the record's expiry less now), so the Redis
//     server's clock plays no part, even when it is hours off or the
//     caller's clock is injected.
//   - dynamostore: liveness is judged at the caller's now in the condition
//     expression. The table's TTL (expiration, epoch seconds) is applied by
//     DynamoDB's own clock, lazily (often hours later): it only deletes
//     records that have expired by real time, so with an injected clock far
//     ahead of real time a record may outlive its expiry in the table (it is
//     then replaced, not replayed), and a clock far behind makes DynamoDB
//     delete records that are still live for that clock.
//   - Powertools for AWS Lambda, sharing a DynamoDB table, judges leases
//     and expiry by its own Date.now() (TypeScript) or time (Python), the
//     same way. Its leases end at its deadline, without a margin: dynamostore
//     holds them for its ForeignLeaseMargin (set it to SkewMargin) more
//     before a Guard takes them over. Rampart's own leases carry the margin,
//     which protects a Rampart holder from a Powertools process whose clock
//     runs ahead.
//
// # Sharing a table with Powertools
//
// dynamostore uses Powertools' schema. Rampart reads every record Powertools
// writes (data as a string, binary or TypeScript's native map), takes over
// its ended leases and lets it take over Rampart's; its validation hashes
// (MD5, base64 or hex) are recognised as foreign and not compared with
// Rampart's SHA-256. A record Powertools completes while Rampart holds it
// (Powertools completes with an unconditional update) is reported as
// [ErrForeignCompletion], never as Rampart's own completion. Powertools'
// leases end at its deadline without a margin, so dynamostore holds them
// for its ForeignLeaseMargin more. What Rampart cannot fence: Powertools
// deletes its record unconditionally when its handler fails, so a
// Powertools holder that outlived its lease (a clock behind by more than
// the margin) and then fails deletes the record of the Rampart delivery
// that took over; that holder's completion is then [ErrFenced], and the
// next delivery runs at once.
package idempotency
