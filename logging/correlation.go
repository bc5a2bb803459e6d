package logging

import "encoding/json"

// event holds the fields of the AWS event shapes that identify a request.
// encoding/json matches keys case-insensitively, which covers both the
// "messageId" of SQS and the "MessageId" of SNS.
type event struct {
	RequestContext *struct {
		RequestID string `json:"requestId"`
	} `json:"requestContext"`
	Records []struct {
		EventSource      string            `json:"eventSource"`
		MessageID        string            `json:"messageId"`
		EventID          string            `json:"eventID"`
		ResponseElements map[string]string `json:"responseElements"`
		SNS              *struct {
			MessageID string `json:"MessageId"`
		} `json:"Sns"`
	} `json:"Records"`
	ID         string `json:"id"`
	DetailType string `json:"detail-type"`
}

// CorrelationID returns the id that ties an invocation to the request that
// caused it, from the raw event payload:
//
//   - API Gateway (REST, HTTP and WebSocket APIs) and function URLs:
//     requestContext.requestId;
//   - S3 notifications: the x-amz-request-id of the first record;
//   - SQS: the messageId of the first record (the batch package switches to
//     each record's own id while that record is processed);
//   - SNS: the MessageId of the first record;
//   - Kinesis and DynamoDB Streams: the eventID of the first record;
//   - EventBridge: the event's id.
//
// It returns "" for any other payload.
func CorrelationID(payload []byte) string {
	if len(payload) == 0 || payload[0] != '{' {
		return ""
	}
	var e event
	if json.Unmarshal(payload, &e) != nil {
		return ""
	}
	switch {
	case e.RequestContext != nil && e.RequestContext.RequestID != "":
		return e.RequestContext.RequestID
	case len(e.Records) > 0:
		r := e.Records[0]
		switch {
		case r.EventSource == "aws:s3":
			return r.ResponseElements["x-amz-request-id"]
		case r.SNS != nil:
			return r.SNS.MessageID
		case r.MessageID != "":
			return r.MessageID
		}
		return r.EventID
	case e.ID != "" && e.DetailType != "":
		return e.ID
	}
	return ""
}
