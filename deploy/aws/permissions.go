package aws

// Scope names the resource a grant is limited to.
type Scope string

// Scopes of the thumbnailer's grants.
const (
	ScopeSource           Scope = "source"            // objects under the source prefix (uploads/*)
	ScopeDerived          Scope = "derived"           // objects under derived/*
	ScopeBucket           Scope = "bucket"            // the bucket itself, not its objects
	ScopeMediaTable       Scope = "media-table"       // the media table
	ScopeIdempotencyTable Scope = "idempotency-table" // the idempotency table
	ScopeQueue            Scope = "queue"             // the event queue
	ScopeLogGroup         Scope = "log-group"         // the function's own log group
)

// Caller says who exercises a grant.
type Caller string

// Callers.
const (
	// ByCode: the bootstrap calls it; the RIE test in cmd/thumbnailer
	// observes every such call and fails on any call not listed here.
	ByCode Caller = "code"
	// ByLambda: the Lambda service calls it with the function's role (the
	// SQS event source mapping, the log writer).
	ByLambda Caller = "lambda"
	// ForSemantics: never called, but changes what another call returns.
	ForSemantics Caller = "semantics"
)

// Grant is one IAM action on one scope.
type Grant struct {
	Action string
	Scope  Scope
	By     Caller
}

// ThumbnailerGrants is exactly what the thumbnailer's role allows, in both
// template.yaml and serverless.yml (their tests check): nothing else, and
// nothing on "*".
var ThumbnailerGrants = []Grant{
	{"logs:CreateLogStream", ScopeLogGroup, ByLambda},
	{"logs:PutLogEvents", ScopeLogGroup, ByLambda},
	{"sqs:ReceiveMessage", ScopeQueue, ByLambda},
	{"sqs:DeleteMessage", ScopeQueue, ByLambda},
	{"sqs:GetQueueAttributes", ScopeQueue, ByLambda},
	// GetObject also authorises HeadObject (an object-removed event checks
	// whether the key still has an object).
	{"s3:GetObject", ScopeSource, ByCode},
	// Without s3:ListBucket S3 answers a GetObject or HeadObject of a
	// missing key with 403 instead of 404, and an upload deleted before its
	// event is processed would be retried into the dead-letter queue
	// instead of skipped.
	{"s3:ListBucket", ScopeBucket, ForSemantics},
	{"s3:PutObject", ScopeDerived, ByCode},
	{"s3:DeleteObject", ScopeDerived, ByCode},
	{"dynamodb:GetItem", ScopeMediaTable, ByCode},
	{"dynamodb:PutItem", ScopeMediaTable, ByCode},
	{"dynamodb:UpdateItem", ScopeMediaTable, ByCode},
	{"dynamodb:GetItem", ScopeIdempotencyTable, ByCode},
	{"dynamodb:PutItem", ScopeIdempotencyTable, ByCode},
	{"dynamodb:UpdateItem", ScopeIdempotencyTable, ByCode},
	{"dynamodb:DeleteItem", ScopeIdempotencyTable, ByCode},
}

// HealthGrants is exactly what the health function's role allows.
var HealthGrants = []Grant{
	{"logs:CreateLogStream", ScopeLogGroup, ByLambda},
	{"logs:PutLogEvents", ScopeLogGroup, ByLambda},
}
