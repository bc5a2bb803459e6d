// Package s3eventtest is the table of SQS message bodies that every reader
// of S3 events in a queue (internal/s3event's decoder, the media service's
// FromSQSBody, the idempotency engine's SQSS3Keys) is tested with, so that
// they are seen to read each body the same way: S3 notifications, SNS
// envelopes, EventBridge events, the test message and malformed bodies,
// written with the fields AWS documents.
package s3eventtest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Outcome is what a reader makes of a body.
type Outcome int

// Outcomes.
const (
	Records   Outcome = iota // the body's S3 event records, in order
	TestEvent                // S3's test message: acknowledge it
	Malformed                // not an S3 event: reject it, never retry it
)

// Record is what a decoded record must say.
type Record struct {
	EventName string // as an S3 notification names it: ObjectCreated:Put
	Bucket    string
	Key       string // the object key itself (URL-decoded)
	ETag      string
	VersionID string
	Sequencer string // as sent, not normalised
}

// Message is one SQS message body and what it holds.
type Message struct {
	Name    string
	Body    string
	Want    Outcome
	Records []Record // for Records
	// Enveloped reports whether Body is an SNS message (a notification or
	// not): as the Message of an SNS notification it is Malformed.
	Enveloped bool
}

// Object is one object event, written as an S3 notification record and as
// the EventBridge event S3 sends for it.
type Object struct {
	EventName            string // S3 notification eventName
	Reason, DeletionType string // EventBridge detail
	Key                  string // the key itself
	ETag, Version, Seq   string
	Size                 int64
}

// Record returns o as a record of an S3 notification, with the fields of
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html.
func (o Object) Record() string {
	return fmt.Sprintf(`{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-central-1","eventTime":"2026-03-04T05:06:07.089Z",`+
		`"eventName":%q,"userIdentity":{"principalId":"AWS:AIDAEXAMPLE"},"requestParameters":{"sourceIPAddress":"203.0.113.9"},`+
		`"responseElements":{"x-amz-request-id":"N4N7GDK58NMKJ12R","x-amz-id-2":"EXAMPLE"},"s3":{"s3SchemaVersion":"1.0","configurationId":"uploads",`+
		`"bucket":{"name":"media-uploads","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},"arn":"arn:aws:s3:::media-uploads"},`+
		`"object":{"key":%q,"size":%d,"eTag":%q,"versionId":%q,"sequencer":%q}}}`,
		o.EventName, Encode(o.Key), o.Size, o.ETag, o.Version, o.Seq)
}

// Notification returns an S3 notification of o alone.
func (o Object) Notification() string { return fmt.Sprintf(`{"Records":[%s]}`, o.Record()) }

// EventBridge returns the EventBridge event of o, with the fields of
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html.
func (o Object) EventBridge() string {
	detailType := "Object Created"
	if o.DeletionType != "" {
		detailType = "Object Deleted"
	}
	return fmt.Sprintf(`{"version":"0","id":"2ee9cc15-d022-99ea-1fb8-1b1bac4850f9","detail-type":%q,"source":"aws.s3",`+
		`"account":"111122223333","time":"2026-03-04T05:06:07Z","region":"eu-central-1","resources":["arn:aws:s3:::media-uploads"],`+
		`"detail":{"version":"0","bucket":{"name":"media-uploads"},"object":{"key":%q,"size":%d,"etag":%q,"version-id":%q,"sequencer":%q},`+
		`"request-id":"N4N7GDK58NMKJ12R","requester":"111122223333","source-ip-address":"203.0.113.9","reason":%q,"deletion-type":%q}}`,
		detailType, o.Key, o.Size, o.ETag, o.Version, o.Seq, o.Reason, o.DeletionType)
}

// want returns what a reader must decode o to, named name.
func (o Object) want(name string) Record {
	return Record{EventName: name, Bucket: "media-uploads", Key: o.Key, ETag: o.ETag, VersionID: o.Version, Sequencer: o.Seq}
}

// Encode spells a key as S3 notifications do: URL-encoded, "+" for a
// space, slashes kept.
func Encode(key string) string { return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/") }

// SNS wraps message in the notification SNS sends to a subscribed queue
// without raw message delivery, with the fields of
// https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html.
func SNS(message string) string {
	b, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
		"TopicArn": "arn:aws:sns:eu-central-1:111122223333:uploads", "Subject": "Amazon S3 Notification",
		"Message": message, "Timestamp": "2026-03-04T05:06:08.001Z", "SignatureVersion": "1",
		"Signature":      "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
		"SigningCertURL": "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
		"UnsubscribeURL": "https://sns.eu-central-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-central-1:111122223333:uploads:c9135db0",
	})
	if err != nil {
		panic(err) // a map of strings always encodes
	}
	return string(b)
}

// TestMessage is S3's test message, as
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
// shows it.
const TestMessage = `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-03-04T05:06:07.089Z",` +
	`"Bucket":"media-uploads","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}`

// MinIONotification is a MinIO bucket notification (the body its webhook
// and queue targets send) of one upload: eventSource "minio:s3", event
// names with an "s3:" prefix, times to the second, MinIO's own request
// parameters, response elements and source, and EventName and Key beside
// the Records
// (https://github.com/minio/minio/blob/master/docs/bucket/notifications/README.md).
const MinIONotification = `{"EventName":"s3:ObjectCreated:Put","Key":"images/photos/a b.jpg","Records":[{"eventVersion":"2.0","eventSource":"minio:s3",` +
	`"awsRegion":"","eventTime":"2026-03-04T05:06:07Z","eventName":"s3:ObjectCreated:Put","userIdentity":{"principalId":"minioadmin"},` +
	`"requestParameters":{"principalId":"minioadmin","region":"","sourceIPAddress":"172.17.0.1"},` +
	`"responseElements":{"x-amz-id-2":"dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8","x-amz-request-id":"18A1F0E2B5C6D7E8",` +
	`"x-minio-deployment-id":"0170a4cc-dca6-4e72-86f1-c0cc760dff7f","x-minio-origin-endpoint":"http://172.17.0.2:9000"},` +
	`"s3":{"s3SchemaVersion":"1.0","configurationId":"Config","bucket":{"name":"images","ownerIdentity":{"principalId":"minioadmin"},"arn":"arn:aws:s3:::images"},` +
	`"object":{"key":"photos%2Fa+b.jpg","size":224662,"eTag":"5fc7298143efe1276d39a3466d4e255f-1","contentType":"image/jpeg",` +
	`"userMetadata":{"content-type":"image/jpeg"},"versionId":"1","sequencer":"18A1F0E2B5D31A4C"}},` +
	`"source":{"host":"172.17.0.1","port":"","userAgent":"MinIO (linux; amd64) minio-go/v7.0.70 mc/RELEASE.2024-06-12T14-34-03Z"}}]}`

// Messages returns the table. Every well-formed event in it is one both
// readers accept (an eTag on created objects, a hexadecimal sequencer);
// what each reader requires beyond the body's shape is tested by it.
func Messages() []Message {
	put := Object{EventName: "ObjectCreated:Put", Reason: "PutObject", Key: "photos/été 2026/a+b c ☀.jpg", ETag: "b1946ac92492d2347c6235b4d2611184", Seq: "00617F08299329D189", Size: 5}
	del := Object{EventName: "ObjectRemoved:Delete", Reason: "DeleteObject", DeletionType: "Permanently Deleted", Key: "c.jpg", Seq: "00617F08299329D190"}
	marker := Object{EventName: "ObjectRemoved:DeleteMarkerCreated", Reason: "DeleteObject", DeletionType: "Delete Marker Created", Key: "日本語/キー.jpg", Version: "CY6jmR1pUJG.N3Y6x0AhJE5ThzK2Nhpp", Seq: "00617F08299329D191"}
	expired := Object{EventName: "LifecycleExpiration:Delete", Reason: "Lifecycle Expiration", DeletionType: "Permanently Deleted", Key: "old/a b.jpg", Seq: "00617F08299329D192"}
	plain := Object{EventName: "ObjectCreated:Put", Reason: "PutObject", Key: "a+b%20c.jpg", ETag: "e", Seq: "0055AED6DCD90281E5"}
	subscribe := `{"Type":"SubscriptionConfirmation","MessageId":"165545c9-2a5c-472c-8df2-7ff2be2b3b1b","Token":"2336412f37",` +
		`"TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic","Message":"You have chosen to subscribe to the topic",` +
		`"SubscribeURL":"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription"}`
	ec2 := `{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2",` +
		`"account":"111122223333","time":"2026-03-04T05:06:07Z","region":"eu-central-1","resources":["arn:aws:ec2:eu-central-1:111122223333:instance/i-1"],` +
		`"detail":{"instance-id":"i-1","state":"terminated"}}`
	two := fmt.Sprintf(`{"Records":[%s,%s]}`, put.Record(), del.Record())
	minio := MinIONotification
	minioRecord := Record{EventName: "ObjectCreated:Put", Bucket: "images", Key: "photos/a b.jpg", ETag: "5fc7298143efe1276d39a3466d4e255f-1", VersionID: "1", Sequencer: "18A1F0E2B5D31A4C"}
	minioDelete := strings.NewReplacer(`"s3:ObjectCreated:Put"`, `"s3:ObjectRemoved:Delete"`, `"eTag":"5fc7298143efe1276d39a3466d4e255f-1",`, "").Replace(minio)
	minioDeleteRecord := minioRecord
	minioDeleteRecord.EventName, minioDeleteRecord.ETag = "ObjectRemoved:Delete", ""
	ceph := strings.Replace(put.Notification(), `"aws:s3"`, `"ceph:s3"`, 1)
	ok := func(name, body string, recs ...Record) Message {
		return Message{Name: name, Body: body, Want: Records, Records: recs}
	}
	bad := func(name, body string) Message { return Message{Name: name, Body: body, Want: Malformed} }
	enveloped := func(m Message) Message { m.Enveloped = true; return m }
	return []Message{
		ok("S3 → SQS", put.Notification(), put.want("ObjectCreated:Put")),
		ok("S3 → SQS, a delete", del.Notification(), del.want("ObjectRemoved:Delete")),
		ok("S3 → SQS, a lifecycle expiration", expired.Notification(), expired.want("LifecycleExpiration:Delete")),
		ok("S3 → SQS, two records", two, put.want("ObjectCreated:Put"), del.want("ObjectRemoved:Delete")),
		enveloped(ok("S3 → SNS → SQS", SNS(put.Notification()), put.want("ObjectCreated:Put"))),
		enveloped(ok("S3 → SNS → SQS, two records", SNS(two), put.want("ObjectCreated:Put"), del.want("ObjectRemoved:Delete"))),
		ok("S3 → EventBridge → SQS", put.EventBridge(), put.want("ObjectCreated:Put")),
		ok("S3 → EventBridge → SQS, a key not URL-encoded", plain.EventBridge(), plain.want("ObjectCreated:Put")),
		ok("S3 → EventBridge → SQS, a delete marker", marker.EventBridge(), marker.want("ObjectRemoved:DeleteMarkerCreated")),
		ok("S3 → EventBridge → SQS, a lifecycle expiration", expired.EventBridge(), expired.want("LifecycleExpiration:Delete")),
		enveloped(ok("S3 → EventBridge → SNS → SQS", SNS(put.EventBridge()), put.want("ObjectCreated:Put"))),
		ok("an S3-compatible server's notification (MinIO)", minio, minioRecord),
		ok("an S3-compatible server's delete (MinIO)", minioDelete, minioDeleteRecord),
		enveloped(ok("an S3-compatible server's notification through SNS", SNS(minio), minioRecord)),
		ok("an S3-compatible server's notification (Ceph RGW)", ceph, put.want("ObjectCreated:Put")),
		ok("member names in another case", strings.Replace(put.Notification(), `"Records"`, `"records"`, 1), put.want("ObjectCreated:Put")),
		ok("an Event member beside Records", strings.Replace(put.Notification(), `{"Records"`, `{"Event":"s3:TestEvent","Records"`, 1), put.want("ObjectCreated:Put")),

		{Name: "the test message", Body: TestMessage, Want: TestEvent},
		{Name: "the test message through SNS", Body: SNS(TestMessage), Want: TestEvent, Enveloped: true},

		bad("empty", ""),
		bad("not JSON", "hello"),
		bad("truncated", put.Notification()[:40]),
		bad("an array", "["+put.Notification()+"]"),
		bad("a string", `"Records"`),
		bad("an empty object", "{}"),
		bad("an order", `{"order":{"id":"o-1"}}`),
		bad("no records", `{"Records":[]}`),
		bad("null records", `{"Records":null}`),
		bad("records not an array", `{"Records":{}}`),
		bad("the test event with empty Records", `{"Event":"s3:TestEvent","Records":[]}`),
		bad("a key not encoded as S3 encodes keys", strings.Replace(put.Notification(), Encode(put.Key), "a%zz.jpg", 1)),
		bad("a record without eventSource", strings.Replace(put.Notification(), `"eventSource":"aws:s3",`, "", 1)),
		bad("a record of another event source", strings.Replace(put.Notification(), `"aws:s3"`, `"aws:dynamodb"`, 1)),
		bad("a record whose source is only \":s3\"", strings.Replace(put.Notification(), `"aws:s3"`, `":s3"`, 1)),
		bad("a record whose source merely contains s3", strings.Replace(put.Notification(), `"aws:s3"`, `"aws:s3x"`, 1)),
		bad("a second record of another event source", strings.Replace(two, `"aws:s3","awsRegion":"eu-central-1","eventTime":"2026-03-04T05:06:07.089Z","eventName":"ObjectRemoved`, `"aws:sqs","awsRegion":"eu-central-1","eventTime":"2026-03-04T05:06:07.089Z","eventName":"ObjectRemoved`, 1)),
		bad("an SQS event", `{"Records":[{"messageId":"m","body":"{}","eventSource":"aws:sqs"}]}`),
		bad("an SNS event", `{"Records":[{"EventSource":"aws:sns","Sns":{"Type":"Notification","Message":"{}"}}]}`),
		enveloped(bad("an SNS subscription confirmation", subscribe)),
		enveloped(bad("an SNS notification of something else", SNS("Hello from SNS!"))),
		enveloped(bad("an SNS notification in an SNS notification", SNS(SNS(put.Notification())))),
		enveloped(bad("an SNS notification without Message", `{"Type":"Notification","MessageId":"x"}`)),
		bad("an EventBridge event of EC2", ec2),
		bad("an S3 restore from EventBridge", strings.Replace(put.EventBridge(), `"Object Created"`, `"Object Restore Completed"`, 1)),
		bad("an EventBridge event of S3 from another source", strings.Replace(put.EventBridge(), `"aws.s3"`, `"my.app"`, 1)),
		bad("an empty detail-type", strings.Replace(put.Notification(), `{"Records"`, `{"detail-type":"","Records"`, 1)),
		bad("an EventBridge detail not an object", `{"detail-type":"Object Created","source":"aws.s3","detail":[1]}`),
		bad("over 256 KiB", put.Notification()+strings.Repeat(" ", 256<<10)),
	}
}
