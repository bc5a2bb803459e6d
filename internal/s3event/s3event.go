// Package s3event is the one definition of the detail of an S3 event that
// EventBridge delivers, read by the media domain and by the idempotency
// engine. Like internal/s3seq it imports only the standard library, so the
// media domain stays free of the rest of the module.
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
