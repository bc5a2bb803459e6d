// Package awsstate is the [inspect.Source] over a Rampart media service
// deployed on AWS (deploy/aws): the DynamoDB media table and idempotency
// table, the S3 bucket, the Lambda functions' log groups in CloudWatch Logs
// and, optionally, the SQS event queue and its dead-letter queue, all
// through aws-sdk-go-v2. "rampart mcp --aws" serves it.
//
// The resources are named by a [Config] whose fields carry the names of the
// environment variables the thumbnailer reads (MEDIA_TABLE,
// IDEMPOTENCY_TABLE, MEDIA_BUCKET; see package media) and the outputs of the
// deployment template (QueueUrl, DeadLetterQueueUrl). A resource left out is
// a question the source declines with [inspect.ErrNotSupported] and a
// message naming what to configure. The API gateway's tokens are not part
// of the AWS deployment, so the source is no [inspect.TokenLister].
//
// # Media records
//
// The media table is keyed by a hash of bucket and key and has no index on
// status or time, on purpose: such keys have a handful of values and would
// put a burst of uploads on one hot partition (see package
// media/dynamorecords). So listing media records is a Scan with a
// FilterExpression on status, key prefix and update time. A page reads at
// most [MaxScanReads] Scan requests of up to [ScanBatch] items each and
// returns what matched (possibly fewer than the limit, possibly none) with a
// cursor, the encoded key of the last item read, so an answer stays
// bounded however large the table is; a caller pages on until the cursor is
// empty. The records arrive in the table's hash order, not newest first: each
// page is sorted newest first, the listing as a whole is not. MediaCounts
// scans the status attribute of the whole table and gives up beyond
// [MaxCountReads] requests.
//
// # Logs
//
// Logs runs FilterLogEvents over each configured log group with a JSON
// filter pattern built from the query, so CloudWatch Logs does the search:
//
//	{ ($.correlation_id = "X") || ($.request_id = "X") || ($.requestId = "X") || ($.correlationId = "X") ||
//	  ($.sqs_message_id = "X") || ($.sns_message_id = "X") || ($.s3_request_id = "X") || ($.api_request_id = "X") }
//
// for a request id, and a level clause ($.level = "WARN*" and so on) joined
// with && for a minimum level. Such a pattern sees top-level fields only;
// the Contains filter and the exact checks run on the lines returned. The
// events of several log groups are merged oldest first (FilterLogEvents
// returns each group's events in timestamp order); the cursor holds, per
// group, the pagination token of the page being read and how many of its
// events were consumed. A page makes at most a bounded number of requests
// (see [MaxLogReads]) and may come back short with a cursor. Lines that
// are not JSON (the Lambda platform's START, END and REPORT lines) are not
// shown; the cold-start analysis reads those.
//
// # Queues
//
// SQS cannot list a queue without receiving its messages (which hides them
// and counts as a delivery attempt), so the source is no
// [inspect.DeadLetterLister] and says so through [Source.WhyNot]; Queue
// reports the approximate counts of GetQueueAttributes. Redrive starts an SQS message move task
// (StartMessageMoveTask) from the dead-letter queue back to the event
// queue: it moves the whole queue, asynchronously, and returns the number
// of messages the dead-letter queue held when the task started.
//
// # Permissions
//
// Reading needs dynamodb:Scan and dynamodb:GetItem on both tables,
// s3:ListBucket and s3:GetObject on the bucket, logs:FilterLogEvents on the
// log groups and sqs:GetQueueAttributes on the queues. The writes need
// dynamodb:DeleteItem on the idempotency table and
// sqs:StartMessageMoveTask, sqs:ReceiveMessage, sqs:DeleteMessage on the
// dead-letter queue and sqs:SendMessage on the event queue.
package awsstate
