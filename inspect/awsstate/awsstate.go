package awsstate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/s3blob"
	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/coldstart/logsource"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/media/dynamorecords"
)

var (
	_ inspect.Source    = (*Source)(nil)
	_ inspect.Writer    = (*Source)(nil)
	_ inspect.Explainer = (*Source)(nil)
)

// Config names the deployment's resources. Empty fields are resources the
// source does without.
type Config struct {
	// Region is shown by Backend; the clients carry their own.
	Region string
	// Bucket is the media bucket (MEDIA_BUCKET).
	Bucket string
	// MediaTable is the DynamoDB media table (MEDIA_TABLE).
	MediaTable string
	// IdempotencyTable is the DynamoDB idempotency table
	// (IDEMPOTENCY_TABLE), in dynamostore's default layout unless
	// Options.Idempotency says otherwise.
	IdempotencyTable string
	// LogGroups are the CloudWatch Logs groups of the functions, such as
	// /aws/lambda/rampart-thumbnailer; Logs and the cold-start analysis
	// read them.
	LogGroups []string
	// QueueURL and DeadLetterQueueURL are the SQS event queue and its
	// dead-letter queue (the template's QueueUrl and DeadLetterQueueUrl
	// outputs).
	QueueURL, DeadLetterQueueURL string
}

// Clients are the service clients a [Source] uses; a client may be nil when
// the Config names no resource of its service.
type Clients struct {
	DynamoDB *dynamodb.Client
	S3       *s3.Client
	Logs     logsource.FilterLogEventsAPI
	SQS      SQSAPI
}

// SQSAPI is the part of the SQS client a [Source] uses; *sqs.Client
// implements it.
type SQSAPI interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	StartMessageMoveTask(ctx context.Context, in *sqs.StartMessageMoveTaskInput, optFns ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error)
}

// NewClients builds the clients from an AWS configuration. A non-empty
// endpointURL sends every client to that URL instead of AWS (LocalStack, a
// local DynamoDB); S3 then uses path-style addressing.
func NewClients(cfg aws.Config, endpointURL string) Clients {
	var ep *string
	if endpointURL != "" {
		ep = aws.String(endpointURL)
	}
	return Clients{
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = ep }),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = ep
			o.UsePathStyle = ep != nil
		}),
		Logs: cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = ep }),
		SQS:  sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = ep }),
	}
}

// Options tune a [Source]. The zero value (or nil) selects the defaults.
type Options struct {
	// Idempotency describes the idempotency table's layout; nil means
	// dynamostore's defaults, which the thumbnailer uses.
	Idempotency *dynamostore.Options
	// ColdStartWindow is how far back the default cold-start analysis
	// reads the log groups; zero means DefaultColdStartWindow.
	ColdStartWindow time.Duration
	// Now is the clock of stuck and expired records and of the cold-start
	// window; nil means time.Now.
	Now func() time.Time
}

// DefaultColdStartWindow is the default Options.ColdStartWindow.
const DefaultColdStartWindow = 24 * time.Hour

// Source is the read model over a deployment on AWS. It is safe for
// concurrent use.
type Source struct {
	cfg     Config
	clients Clients
	now     func() time.Time
	window  time.Duration

	records *dynamorecords.Store
	idem    *dynamostore.Store
	objects *s3blob.Store

	// Bounds of a media listing, MaxScanReads and ScanBatch; tests lower
	// them.
	scanReads, scanBatch int
}

// New returns a source over the resources cfg names, through clients. It
// fails when a resource is named without the client it needs.
func New(cfg Config, clients Clients, opts *Options) (*Source, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ColdStartWindow <= 0 {
		o.ColdStartWindow = DefaultColdStartWindow
	}
	s := &Source{cfg: cfg, clients: clients, now: o.Now, window: o.ColdStartWindow, scanReads: MaxScanReads, scanBatch: ScanBatch}
	var missing []string
	need := func(named bool, client bool, what string) {
		if named && !client {
			missing = append(missing, what)
		}
	}
	need(cfg.MediaTable != "" || cfg.IdempotencyTable != "", clients.DynamoDB != nil, "DynamoDB")
	need(cfg.Bucket != "", clients.S3 != nil, "S3")
	need(len(cfg.LogGroups) > 0, clients.Logs != nil, "CloudWatch Logs")
	need(cfg.QueueURL != "" || cfg.DeadLetterQueueURL != "", clients.SQS != nil, "SQS")
	if len(missing) > 0 {
		return nil, fmt.Errorf("awsstate: no %s client for the configured resources", strings.Join(missing, ", "))
	}
	if cfg.MediaTable != "" {
		s.records = dynamorecords.New(clients.DynamoDB, cfg.MediaTable)
	}
	if cfg.IdempotencyTable != "" {
		s.idem = dynamostore.New(clients.DynamoDB, cfg.IdempotencyTable, o.Idempotency)
	}
	if cfg.Bucket != "" {
		s.objects = s3blob.New(clients.S3, cfg.Bucket)
	}
	return s, nil
}

// notConfigured is the error of a question about a resource the Config
// does not name.
func notConfigured(what, flag string) error {
	return fmt.Errorf("no %s configured (%s): %w", what, flag, inspect.ErrNotSupported)
}

// MediaOrder implements [inspect.Source]: Media pages through a Scan.
func (s *Source) MediaOrder() inspect.MediaOrder { return inspect.NewestFirstPerPage }

// Backend implements [inspect.Source]: "aws" and the region and resources.
func (s *Source) Backend() (string, string) {
	var parts []string
	add := func(what, name string) {
		if name != "" {
			parts = append(parts, what+" "+name)
		}
	}
	add("media table", s.cfg.MediaTable)
	add("idempotency table", s.cfg.IdempotencyTable)
	add("bucket", s.cfg.Bucket)
	if len(s.cfg.LogGroups) > 0 {
		parts = append(parts, "log groups "+strings.Join(s.cfg.LogGroups, ", "))
	}
	add("queue", s.cfg.QueueURL)
	add("dead-letter queue", s.cfg.DeadLetterQueueURL)
	loc := strings.Join(parts, "; ")
	if s.cfg.Region != "" {
		loc = s.cfg.Region + ": " + loc
	}
	return "aws", loc
}

// Idempotency implements [inspect.Source] with dynamostore's List: a Scan
// (or a Query in sort-key mode) filtered on the server.
func (s *Source) Idempotency(ctx context.Context, q inspect.IdempotencyQuery) (inspect.Page[inspect.IdempotencyRecord], error) {
	if s.idem == nil {
		return inspect.Page[inspect.IdempotencyRecord]{}, notConfigured("idempotency table", "IDEMPOTENCY_TABLE, --idempotency-table")
	}
	return inspect.ListIdempotency(ctx, s.idem, q, s.now())
}

// EvictIdempotency implements [inspect.Writer]: a consistent GetItem, to
// say what is deleted, then a DeleteItem.
func (s *Source) EvictIdempotency(ctx context.Context, key string) (inspect.IdempotencyRecord, error) {
	if s.idem == nil {
		return inspect.IdempotencyRecord{}, notConfigured("idempotency table", "IDEMPOTENCY_TABLE, --idempotency-table")
	}
	return inspect.EvictIdempotency(ctx, s.idem, key, s.now())
}

// Objects implements [inspect.Source] with ListObjectsV2.
func (s *Source) Objects(ctx context.Context, q inspect.ObjectQuery) (inspect.Page[inspect.Object], error) {
	if s.objects == nil {
		return inspect.Page[inspect.Object]{}, notConfigured("bucket", "MEDIA_BUCKET, --bucket")
	}
	return inspect.ListObjects(ctx, s.objects, q)
}

// Object implements [inspect.Source] with HeadObject.
func (s *Source) Object(ctx context.Context, key string) (inspect.Object, error) {
	if s.objects == nil {
		return inspect.Object{}, notConfigured("bucket", "MEDIA_BUCKET, --bucket")
	}
	obj, err := s.objects.Head(ctx, key)
	return inspect.ObjectOf(obj), inspect.BlobError(err)
}

// ObjectBody implements [inspect.Source] with GetObject.
func (s *Source) ObjectBody(ctx context.Context, key string) ([]byte, inspect.Object, error) {
	if s.objects == nil {
		return nil, inspect.Object{}, notConfigured("bucket", "MEDIA_BUCKET, --bucket")
	}
	b, obj, err := s.objects.GetWithOptions(ctx, key, blob.GetOptions{MaxBytes: inspect.MaxObjectBody})
	return b, inspect.ObjectOf(obj), inspect.BlobError(err)
}

// ColdStartLogs implements [inspect.Source]: the log groups over the last
// Options.ColdStartWindow, read with FilterLogEvents.
func (s *Source) ColdStartLogs(ctx context.Context) (coldstart.Source, []string, error) {
	if len(s.cfg.LogGroups) == 0 {
		return nil, nil, fmt.Errorf("no CloudWatch log groups configured (--log-group): %w", inspect.ErrNotFound)
	}
	now := s.now()
	src := &logsource.CloudWatch{Client: s.clients.Logs, LogGroups: s.cfg.LogGroups, Start: now.Add(-s.window), End: now}
	return src, append([]string(nil), s.cfg.LogGroups...), nil
}

// WhyNot implements [inspect.Explainer]: the source lists neither dead
// letters nor tokens.
func (s *Source) WhyNot(c inspect.Capability) string {
	switch c {
	case inspect.DeadLetterListing:
		return "SQS cannot list dead letters without receiving them, which would hide them from the queue and count as a delivery: " +
			"the queue's counts include them, the error log lines (level ERROR) say why they failed, and a redrive moves the whole dead-letter queue back"
	case inspect.TokenListing:
		return "the API gateway's tokens are not kept on AWS: they live where the gateway runs (rampart tokens list, or the Worker's KV namespace)"
	}
	return ""
}
