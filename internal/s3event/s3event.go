// Package s3event is the one decoder of S3 events delivered through a queue
// or a topic (S3 → SQS, S3 → SNS → SQS with raw message delivery or
// without, S3 → EventBridge → SQS, S3 → SNS → Lambda) and the one
// definition of the detail of an S3 event that EventBridge delivers, used
// by the media domain and by the idempotency engine, so that both read one
// body the same way: the same records, the same test message, the same
// malformed bodies. Its errors say what to do: [ErrTestEvent] acknowledge,
// a *[MalformedError] reject (permanent). Like internal/s3seq it links
// nothing of the module, and outside the standard library only
// aws-lambda-go's event structs, so the media domain stays free of the
// rest of the module.
package s3event

// EventBridgeDetail is the detail of an S3 "Object Created" or "Object
// Deleted" event from EventBridge, field names as AWS documents them
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
// Its object key is not URL-encoded.
type EventBridgeDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
	RequestID    string `json:"request-id"`
	Requester    string `json:"requester"`
	SourceIP     string `json:"source-ip-address"`
	Reason       string `json:"reason"`
	DeletionType string `json:"deletion-type"`
}
