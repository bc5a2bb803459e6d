package awsstate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/s3blob"
	"github.com/rampartdev/rampart/blob/s3blob/s3test"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/inspect/awsstate"
	"github.com/rampartdev/rampart/internal/fakecwlogs"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/dynamorecords"
)

// Log groups of the fixture.
const (
	thumbnailerGroup = "/aws/lambda/rampart-thumbnailer"
	apiGroup         = "/aws/lambda/rampart-api"
)

// facts describe what mustFixture wrote.
type facts struct {
	now                                        time.Time
	processed, rejected, processing, oldReject string // media record ids
	rejectedReason, requestID                  string
	stuck, completed                           string // idempotency keys
	bulk                                       []string
	cfg                                        awsstate.Config
	clients                                    awsstate.Clients
	logs                                       *fakecwlogs.Server
	sqs                                        *fakeSQS
}

var tableSeq atomic.Int64

// mustFixture creates the tables on the DynamoDB-compatible server, a
// bucket on an in-process S3, log groups on an in-process CloudWatch Logs
// and queues on an in-process SQS, and writes a known state through the
// owners' stores: four media records (plus bulk ones under bulk/ when
// bulk > 0), two idempotency records (one stuck), objects and log lines.
func mustFixture(t *testing.T, bulk int) facts {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	f := facts{now: now, requestID: "REQ0000000000042", rejectedReason: "unsupported image format: text/plain"}

	ddb := dynamodb.New(dynamodb.Options{
		Region:       "eu-central-1",
		BaseEndpoint: aws.String(testenv.DynamoDBEndpoint(t)),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	n := tableSeq.Add(1)
	f.cfg = awsstate.Config{
		Region:           "eu-central-1",
		MediaTable:       fmt.Sprintf("inspect-media-%d-%d", now.UnixNano(), n),
		IdempotencyTable: fmt.Sprintf("inspect-idem-%d-%d", now.UnixNano(), n),
		LogGroups:        []string{thumbnailerGroup, apiGroup},
	}
	if err := dynamorecords.CreateTable(ctx, ddb, f.cfg.MediaTable); err != nil {
		t.Fatal(err)
	}
	if err := dynamostore.CreateTable(ctx, ddb, f.cfg.IdempotencyTable, nil); err != nil && !errors.Is(err, dynamostore.ErrTTLUnsupported) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, tbl := range []string{f.cfg.MediaTable, f.cfg.IdempotencyTable} {
			ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(tbl)})
		}
	})

	s3srv := s3test.Start(t)
	s3c := s3srv.Client()
	f.cfg.Bucket = s3srv.NewBucket(t, "media")
	objs := s3blob.New(s3c, f.cfg.Bucket)
	for key, body := range map[string]string{"uploads/cat.png": "png bytes", "uploads/notes.txt": "not an image", "derived/128/uploads/cat.png": "thumb"} {
		if _, err := objs.Put(ctx, key, []byte(body), blob.PutOptions{ContentType: "application/octet-stream"}); err != nil {
			t.Fatal(err)
		}
	}

	// Media records, through the owner's protocol: claim, then commit.
	recs := dynamorecords.New(ddb, f.cfg.MediaTable)
	seq := 0
	write := func(key string, at time.Time, status media.Status, cid string, edit func(*media.Record)) string {
		t.Helper()
		seq++
		id := media.ID(f.cfg.Bucket, key)
		c := media.Claim{ID: id, Bucket: f.cfg.Bucket, Key: key, Sequencer: fmt.Sprintf("%016X", seq), Owner: fmt.Sprintf("owner-%d", seq),
			CorrelationID: cid, Now: at, Until: at.Add(time.Minute)}
		if err := recs.Claim(ctx, c); err != nil {
			t.Fatal(err)
		}
		if status == media.StatusProcessing {
			return id
		}
		rec := media.Record{ID: id, Bucket: f.cfg.Bucket, Key: key, Sequencer: c.Sequencer, Owner: c.Owner, Status: status,
			CorrelationID: cid, CreatedAt: at, UpdatedAt: at}
		if edit != nil {
			edit(&rec)
		}
		if err := recs.Commit(ctx, rec); err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.oldReject = write("uploads/old.txt", now.Add(-2*time.Hour), media.StatusRejected, "REQ0000000000040", func(r *media.Record) { r.Reason = "empty object" })
	f.processed = write("uploads/cat.png", now.Add(-10*time.Minute), media.StatusProcessed, "REQ0000000000041", func(r *media.Record) {
		r.Format, r.Width, r.Height = "png", 2, 1
		r.Thumbnails = []media.Thumbnail{{Size: 128, Width: 2, Height: 1, Key: "derived/128/uploads/cat.png", Bytes: 5}}
	})
	f.rejected = write("uploads/notes.txt", now.Add(-5*time.Minute), media.StatusRejected, f.requestID, func(r *media.Record) { r.Reason = f.rejectedReason })
	f.processing = write("uploads/big.jpg", now.Add(-time.Minute), media.StatusProcessing, "REQ0000000000043", nil)
	for i := range bulk {
		f.bulk = append(f.bulk, write(fmt.Sprintf("bulk/%03d.jpg", i), now.Add(-3*time.Hour-time.Duration(i)*time.Second), media.StatusProcessed, "", nil))
	}

	// Idempotency records: one completed, one stuck (lease over, not expired).
	idem := dynamostore.New(ddb, f.cfg.IdempotencyTable, nil)
	f.completed, f.stuck = "thumbnailer#completed", "thumbnailer#stuck"
	for _, r := range []idempotency.Record{
		{Key: f.completed, Owner: "o1", InProgressExpiry: now.Add(time.Minute), Expiry: now.Add(time.Hour)},
		{Key: f.stuck, Owner: "o2", InProgressExpiry: now.Add(-time.Minute), Expiry: now.Add(time.Hour)},
	} {
		if err := idem.Acquire(ctx, r, now.Add(-2*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := idem.Complete(ctx, idempotency.Record{Key: f.completed, Owner: "o1", Status: idempotency.StatusCompleted,
		Result: []byte(`{}`), Expiry: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// Logs: the rejected upload's request logs in both groups, between
	// other requests' lines and the platform's text lines; three events a
	// page, so that every query pages.
	f.logs = fakecwlogs.Start(t)
	f.logs.PageSize = 3
	line := func(group string, at time.Time, level slog.Level, msg, cid string, attrs ...any) {
		m := map[string]any{"time": at.Format(time.RFC3339Nano), "level": level.String(), "msg": msg, "correlation_id": cid}
		for i := 0; i+1 < len(attrs); i += 2 {
			m[attrs[i].(string)] = attrs[i+1]
		}
		b, _ := json.Marshal(m)
		f.logs.Add(group, fakecwlogs.Event{Timestamp: at.UnixMilli(), Message: string(b) + "\n", Stream: "2026/01/01/[$LATEST]abc"})
	}
	text := func(group string, at time.Time, msg string) {
		f.logs.Add(group, fakecwlogs.Event{Timestamp: at.UnixMilli(), Message: msg + "\n", Stream: "2026/01/01/[$LATEST]abc"})
	}
	t0 := now.Add(-5 * time.Minute)
	line(apiGroup, now.Add(-10*time.Minute), slog.LevelInfo, "object uploaded", "REQ0000000000041", "key", "uploads/cat.png")
	line(apiGroup, t0, slog.LevelInfo, "object uploaded", f.requestID, "key", "uploads/notes.txt")
	text(thumbnailerGroup, t0.Add(500*time.Millisecond), "START RequestId: 8f0e Version: $LATEST")
	line(thumbnailerGroup, t0.Add(time.Second), slog.LevelInfo, "message received", f.requestID, "receive_count", 1)
	line(thumbnailerGroup, t0.Add(1500*time.Millisecond), slog.LevelInfo, "other work", "REQ0000000000099")
	line(thumbnailerGroup, t0.Add(2*time.Second), slog.LevelWarn, "object rejected", f.requestID, "reason", f.rejectedReason)
	text(thumbnailerGroup, t0.Add(2100*time.Millisecond), "END RequestId: 8f0e")
	line(apiGroup, t0.Add(3*time.Second), slog.LevelInfo, "http response", f.requestID, "status", 201)
	line(apiGroup, now.Add(-time.Minute), slog.LevelError, "origin timeout", "REQ0000000000043")

	f.sqs = startSQS(t)
	f.cfg.QueueURL, f.cfg.DeadLetterQueueURL = f.sqs.URL+"/000000000000/media-events", f.sqs.URL+"/000000000000/media-events-dlq"
	f.sqs.queues = map[string]*fakeQueue{
		f.cfg.QueueURL:           {arn: "arn:aws:sqs:eu-central-1:000000000000:media-events", visible: 3, inFlight: 2},
		f.cfg.DeadLetterQueueURL: {arn: "arn:aws:sqs:eu-central-1:000000000000:media-events-dlq", visible: 4},
	}
	f.clients = awsstate.Clients{DynamoDB: ddb, S3: s3c, Logs: f.logs.Client(), SQS: f.sqs.client()}
	return f
}

// mustSource opens the source over the fixture at its time.
func mustSource(t *testing.T, f facts) *awsstate.Source {
	t.Helper()
	s, err := awsstate.New(f.cfg, f.clients, &awsstate.Options{Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeSQS speaks the SQS JSON protocol for GetQueueAttributes and
// StartMessageMoveTask (no SQS-compatible server that does both runs
// locally), and moves messages at once.
type fakeSQS struct {
	URL    string
	mu     sync.Mutex
	queues map[string]*fakeQueue
	moves  []sqs.StartMessageMoveTaskInput
}

type fakeQueue struct {
	arn               string
	visible, inFlight int
}

func startSQS(t *testing.T) *fakeSQS {
	f := &fakeSQS{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeSQS) client() *sqs.Client {
	return sqs.New(sqs.Options{Region: "eu-central-1", BaseEndpoint: aws.String(f.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")})
}

func (f *fakeSQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(code, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.sqs#%s","message":%q}`, code, msg)
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		fail("MissingAuthenticationToken", "not signed")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch target := r.Header.Get("X-Amz-Target"); target {
	case "AmazonSQS.GetQueueAttributes":
		var in struct {
			QueueUrl       string
			AttributeNames []string
		}
		json.NewDecoder(r.Body).Decode(&in)
		q, ok := f.queues[in.QueueUrl]
		if !ok {
			fail("QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		all := map[string]string{"QueueArn": q.arn, "ApproximateNumberOfMessages": fmt.Sprint(q.visible),
			"ApproximateNumberOfMessagesNotVisible": fmt.Sprint(q.inFlight)}
		out := map[string]string{}
		for _, n := range in.AttributeNames {
			if v, ok := all[n]; ok {
				out[n] = v
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"Attributes": out})
	case "AmazonSQS.StartMessageMoveTask":
		var in sqs.StartMessageMoveTaskInput
		json.NewDecoder(r.Body).Decode(&in)
		var src, dst *fakeQueue
		for _, q := range f.queues {
			if q.arn == aws.ToString(in.SourceArn) {
				src = q
			}
			if q.arn == aws.ToString(in.DestinationArn) {
				dst = q
			}
		}
		if src == nil || dst == nil {
			fail("ResourceNotFoundException", "unknown source or destination ARN")
			return
		}
		f.moves = append(f.moves, in)
		dst.visible += src.visible
		src.visible = 0
		json.NewEncoder(w).Encode(map[string]any{"TaskHandle": "handle-1"})
	default:
		fail("UnsupportedOperation", "fake SQS does not serve "+target)
	}
}

func fakeEvent(ms int64, msg string) fakecwlogs.Event {
	return fakecwlogs.Event{Timestamp: ms, Message: msg + "\n", Stream: "2026/01/01/[$LATEST]cold"}
}
