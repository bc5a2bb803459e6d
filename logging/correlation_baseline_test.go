package logging

import "encoding/json"

// This file keeps the CorrelationID of before the streaming scan, which
// decoded the whole payload, as the benchmarks' baseline and the
// differential test's oracle.

// eventUnmarshal holds the fields of the AWS event shapes that identify a
// request. encoding/json matches keys case-insensitively, which covers both
// the "messageId" of SQS and the "MessageId" of SNS.
type eventUnmarshal struct {
	RequestContext *struct {
		RequestID string `json:"requestId"`
	} `json:"requestContext"`
	Records    []eventRecord `json:"Records"`
	ID         string        `json:"id"`
	DetailType string        `json:"detail-type"`
}

// CorrelationIDUnmarshal is CorrelationID as it was: one json.Unmarshal of
// the whole payload.
func CorrelationIDUnmarshal(payload []byte) string {
	if len(payload) == 0 || payload[0] != '{' {
		return ""
	}
	var e eventUnmarshal
	if json.Unmarshal(payload, &e) != nil {
		return ""
	}
	switch {
	case e.RequestContext != nil && e.RequestContext.RequestID != "":
		return e.RequestContext.RequestID
	case len(e.Records) > 0:
		id, _ := e.Records[0].id()
		return id
	case e.ID != "" && e.DetailType != "":
		return e.ID
	}
	return ""
}
