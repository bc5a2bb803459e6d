// Package dynamostore keeps idempotency records in an Amazon DynamoDB table,
// using the table schema of Powertools for AWS Lambda so that Go and
// Powertools functions can share one table.
//
//	client := dynamodb.NewFromConfig(cfg)
//	guard := idempotency.New(dynamostore.New(client, "idempotency", nil), nil)
//
// # Schema
//
// One item per record, with these attributes (names configurable in
// [Options]):
//
//	id                      S  partition key: the record key
//	expiration              N  Expiry in epoch seconds, rounded up: the table's TTL attribute
//	in_progress_expiration  N  InProgressExpiry in epoch milliseconds
//	status                  S  INPROGRESS or COMPLETED
//	data                    S  the result (B when it is not valid UTF-8)
//	validation              S  the payload hash
//	owner                   S  the holder's fencing token (Rampart only)
//	expiration_ms           N  Expiry in epoch milliseconds (Rampart only)
//	completed_by            S  the owner whose Complete stored data (Rampart only)
//
// Powertools ignores the last three. expiration_ms exists because a record
// expiring "within the second" is not precise enough to decide liveness the
// way [idempotency.Record.Live] does. It is trusted only on items Rampart
// wrote last (in progress, or with completed_by): items written by
// Powertools, and items Rampart acquired that Powertools then completed
// (its unconditional update sets expiration and leaves expiration_ms
// stale), are judged by expiration, to the second.
//
// Items written by Powertools are read as they are: data as S or B, or, as
// Powertools for TypeScript stores its results, as a native map, list,
// number or boolean, which is read back as JSON (members sorted by name).
// Rampart stores results as S (JSON results as their text), as Powertools
// for Python does; Powertools for TypeScript returns such a record's data
// as that string. Their validation hashes (base64 or hex MD5) are not
// Rampart's SHA-256 and are not compared (see idempotency's package
// documentation). Powertools writes its lease (in_progress_expiration) at
// its invocation's deadline, without the skew margin a Guard adds to its
// own: an in-progress item without owner is held
// [Options.ForeignLeaseMargin] (1 s by default) past it, so a Rampart
// process whose clock runs that much ahead of the Powertools holder's does
// not take the record over while the holder may still run.
//
// In sort-key mode ([Options.SortKeyAttr] set) the partition key holds
// [Options.StaticPKValue] on every item and the record key goes in the sort
// key, as Powertools' sort_key_attr and static_pk_value options do.
//
// # Operations and costs
//
// Acquire is one PutItem with the condition
//
//	attribute_not_exists(id) OR expiration_ms <= :now_ms
//	OR (attribute_not_exists(expiration_ms) AND expiration <= :now)
//	OR (status = INPROGRESS AND in_progress_expiration <= :now_ms)
//
// (:now_ms and :now are the caller's now, truncated to the millisecond and
// the second; "<=" because a record stops being live at its expiry) and
// ReturnValuesOnConditionCheckFailure=ALL_OLD, so that DynamoDB returns
// the live item with the ConditionalCheckFailedException. Servers that omit
// it (dynalite, older emulators) cost one strongly consistent GetItem more;
// the store logs this once. If the item vanished or expired in between, the
// put is tried again. Complete is one UpdateItem and Release one DeleteItem,
// both conditioned on "owner = :owner AND status = INPROGRESS"; a failed
// condition is [idempotency.ErrFenced], except that a Complete whose record
// is already COMPLETED by the same owner succeeds without writing (Complete
// asks for the old item with the failure to tell; servers that omit it cost
// one consistent GetItem of status and owner on this rare path). Get is a
// consistent GetItem and Delete an unconditional DeleteItem.
//
// Per delivery through the engine:
//
//	first delivery     2 writes (PutItem, UpdateItem), 0 reads
//	duplicate          1 write (the failed PutItem), 0 reads (1 read without ALL_OLD)
//	failure            2 writes (PutItem, DeleteItem)
//	waiting duplicate  1 write (the failed PutItem), then 1 consistent GetItem per poll
//
// (measured by BenchmarkGuard; the README's table has the figures.)
//
// A failed conditional write consumes write capacity like a successful one.
//
// DynamoDB limits an item to 400 KB, attribute names included. Complete
// checks the item's size before writing and returns a
// [*idempotency.ResultTooLargeError] without a request when it is too large;
// the server's own ValidationException for item size maps to the same error.
//
// Requests use the client's retryer unless [Options.Retryer] is set. The
// SDK's standard retryer retries throttling
// (ProvisionedThroughputExceededException) with jittered exponential
// backoff, and transient errors, including a connection that dropped
// after the request was sent. Retrying Acquire and Complete is safe: a retry
// that finds the record written by its own lost first attempt (same owner)
// succeeds, and a retried Complete leaves the result and expiry the first
// attempt stored. A retried Release whose first attempt succeeded but lost
// its response finds no record and reports [idempotency.ErrFenced], which
// the engine only logs (see idempotency.Store.Release for why Release is not
// made idempotent).
//
// # Table
//
// [CreateTable] creates an on-demand table and enables TTL on expiration.
// The CloudFormation equivalent:
//
//	IdempotencyTable:
//	  Type: AWS::DynamoDB::Table
//	  Properties:
//	    BillingMode: PAY_PER_REQUEST
//	    AttributeDefinitions:
//	      - {AttributeName: id, AttributeType: S}
//	    KeySchema:
//	      - {AttributeName: id, KeyType: HASH}
//	    TimeToLiveSpecification:
//	      AttributeName: expiration
//	      Enabled: true
//
// # IAM
//
// The function needs dynamodb:PutItem, dynamodb:UpdateItem,
// dynamodb:DeleteItem and dynamodb:GetItem on the table (GetItem serves
// Store.Get and the fallback read). CreateTable additionally needs
// dynamodb:CreateTable, dynamodb:DescribeTable and dynamodb:UpdateTimeToLive.
package dynamostore
