// Package s3event is the one decoder of S3 events delivered through a queue
// or a topic (S3 → SQS, S3 → SNS → SQS with raw message delivery or
// without, S3 → EventBridge → SQS, S3 → SNS → Lambda) and the one
// converter of an S3 event that EventBridge delivers into the notification
// record it stands for, used by the media domain and by the idempotency
// engine, so that both read one body the same way: the same records, the
// same test message, the same malformed bodies. Its errors say what to
// do: [ErrTestEvent] acknowledge, a *[MalformedError] reject (permanent).
// Like internal/s3seq it links nothing of the module, and outside the
// standard library only aws-lambda-go's event structs, so the media domain
// stays free of the rest of the module.
package s3event
