package logging

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/internal/firstcall"
)

// Keys of the attributes the Handler adds. They are documented, with the
// Logs Insights queries they serve, in the package documentation.
const (
	KeyFunctionName       = "function_name"
	KeyFunctionVersion    = "function_version"
	KeyFunctionMemorySize = "function_memory_size"
	KeyFunctionARN        = "function_arn"
	KeyRequestID          = "requestId"
	KeyColdStart          = "cold_start"
	KeyTraceID            = "xray_trace_id"
	KeyCorrelationID      = "correlation_id"
	KeyDebugSampled       = "debug_sampled"
)

// Keys under which an outer event's id is kept when the id of an event
// inside it becomes the correlation id (see [WithInnerCorrelationID]): an
// S3 notification in an SQS message logs correlation_id = the S3 request
// id and sqs_message_id = the message's id. Each names the source of the
// id.
const (
	KeyAPIRequestID  = "api_request_id" // API Gateway's or a function URL's requestContext.requestId
	KeyS3RequestID   = "s3_request_id"  // an S3 notification's x-amz-request-id
	KeySQSMessageID  = "sqs_message_id" // an SQS message's messageId
	KeySNSMessageID  = "sns_message_id" // an SNS notification's MessageId
	KeyEventID       = "event_id"       // a Kinesis, DynamoDB Streams or EventBridge event's id
	KeyOuterCorrelID = "outer_correlation_id"
)

// invoked reports the first invocation this process starts: every later
// one is warm.
var invoked = firstcall.New()

// invocation is the Lambda context of one invocation, stored in the
// context.Context. Its attributes are built once, in Start; each Handler
// that logs during the invocation derives its wrapped handler once and
// reuses it, so a record costs no more than with the wrapped handler alone.
type invocation struct {
	attrs []slog.Attr
	// reqKey is the key of the request id in attrs (the Handler's preset).
	reqKey  string
	sampled bool
	// source is the key the correlation id is logged under when an inner
	// id replaces it (KeySQSMessageID, ...).
	source  string
	last    atomic.Pointer[derived] // the most recently used, checked first
	derived sync.Map                // *Handler -> *derived
	// outer holds the wrapped handlers for records that carry their own
	// correlation_id: the invocation's is then logged under source.
	outer sync.Map // *Handler -> slog.Handler
}

// current is the invocation Start began last: the one records without a
// context belong to when the process runs one invocation at a time (see
// SetDefault).
var current atomic.Pointer[invocation]

// derived is a Handler's wrapped handler for one invocation.
type derived struct {
	h     *Handler
	inner slog.Handler
}

type ctxKey struct{}

func fromContext(ctx context.Context) *invocation {
	inv, _ := ctx.Value(ctxKey{}).(*invocation)
	return inv
}

func (inv *invocation) handler(h *Handler) slog.Handler {
	if d := inv.last.Load(); d != nil && d.h == h {
		return d.inner
	}
	v, ok := inv.derived.Load(h)
	if !ok {
		attrs := inv.attrs
		if h.ownCorrelation {
			attrs = inv.outerAttrs()
		}
		v, _ = inv.derived.LoadOrStore(h, &derived{h: h, inner: h.derive(attrs)})
	}
	d := v.(*derived)
	inv.last.Store(d)
	return d.inner
}

// outerHandler is h's wrapped handler for a record that has its own
// correlation_id.
func (inv *invocation) outerHandler(h *Handler) slog.Handler {
	if v, ok := inv.outer.Load(h); ok {
		return v.(slog.Handler)
	}
	v, _ := inv.outer.LoadOrStore(h, h.derive(inv.outerAttrs()))
	return v.(slog.Handler)
}

// outerAttrs returns the invocation's attributes with its correlation id
// under the key of its source, for records whose own correlation_id names
// an event inside it.
func (inv *invocation) outerAttrs() []slog.Attr {
	attrs := make([]slog.Attr, 0, len(inv.attrs))
	for _, a := range inv.attrs {
		if a.Key == KeyCorrelationID {
			a.Key = inv.sourceKey()
		}
		attrs = append(attrs, a)
	}
	return attrs
}

func (inv *invocation) sourceKey() string {
	if inv.source == "" {
		return KeyOuterCorrelID
	}
	return inv.source
}

// hasCorrelation reports whether the invocation has a correlation id.
func (inv *invocation) hasCorrelation() bool {
	for _, a := range inv.attrs {
		if a.Key == KeyCorrelationID {
			return true
		}
	}
	return false
}

// Invocation is the Lambda context of one invocation as the Handler logs it.
type Invocation struct {
	RequestID     string
	FunctionARN   string
	ColdStart     bool
	TraceID       string // the Root of the X-Ray trace header
	CorrelationID string
	DebugSampled  bool
}

// InvocationFromContext returns the invocation [Handler.Start] recorded in
// ctx.
func InvocationFromContext(ctx context.Context) (Invocation, bool) {
	inv := fromContext(ctx)
	if inv == nil {
		return Invocation{}, false
	}
	var v Invocation
	for _, a := range inv.attrs {
		switch a.Key {
		case inv.reqKey:
			v.RequestID = a.Value.String()
		case KeyFunctionARN:
			v.FunctionARN = a.Value.String()
		case KeyColdStart:
			v.ColdStart = a.Value.Bool()
		case KeyTraceID:
			v.TraceID = a.Value.String()
		case KeyCorrelationID:
			v.CorrelationID = a.Value.String()
		}
	}
	v.DebugSampled = inv.sampled
	return v, true
}

// Start begins an invocation: it reads the request id and function ARN that
// aws-lambda-go put in ctx (lambdacontext), the X-Ray trace id, decides
// whether this is the process's cold start and whether the invocation is
// sampled for debug, extracts the correlation id from payload (the raw
// event), and returns a context that carries all of it. Log with the
// returned context (logger.InfoContext(ctx, ...)) to get these attributes.
//
// Call Start once per invocation, before the handler runs; the middleware
// package does. Only the first Start in a process reports a cold start
// (never when Lambda initialised the environment for provisioned
// concurrency).
func (h *Handler) Start(ctx context.Context, payload []byte) context.Context {
	cold := invoked.First() && !h.cfg.provisioned
	attrs := make([]slog.Attr, 0, 7)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String(h.cfg.requestIDKey, lc.AwsRequestID))
		if lc.InvokedFunctionArn != "" {
			attrs = append(attrs, slog.String(KeyFunctionARN, lc.InvokedFunctionArn))
		}
	}
	attrs = append(attrs, slog.Bool(KeyColdStart, cold))
	if t := TraceID(ctx); t != "" {
		attrs = append(attrs, slog.String(KeyTraceID, t))
	}
	var corr, source string
	if h.cfg.correlation != nil {
		corr, source = h.cfg.correlation(payload), KeyOuterCorrelID
	}
	if corr == "" {
		corr, source = correlation(payload)
	}
	if corr != "" {
		attrs = append(attrs, slog.String(KeyCorrelationID, corr))
	}
	sampled := h.cfg.sampleRate > 0 && h.cfg.rand() < h.cfg.sampleRate
	if sampled {
		attrs = append(attrs, slog.Bool(KeyDebugSampled, true))
	}
	inv := &invocation{attrs: attrs, reqKey: h.cfg.requestIDKey, sampled: sampled, source: source}
	current.Store(inv)
	return context.WithValue(ctx, ctxKey{}, inv)
}

// WithCorrelationID returns a context whose records carry id as the
// correlation id instead of the invocation's, for work on one record of a
// batch (the batch package calls it with each record's id): the record is
// of the same kind as the invocation's first record, so its id replaces
// that one. Outside an invocation it returns ctx unchanged.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	inv := fromContext(ctx)
	if inv == nil || id == "" {
		return ctx
	}
	return inv.with(ctx, inv.source, id, "")
}

// WithInnerCorrelationID returns a context for work on an event inside the
// current one, such as the S3 notification in an SQS message's body: id,
// whose source is the key source (KeyS3RequestID, ...), becomes the
// correlation_id, and the current correlation id is kept under the key of
// its own source (KeySQSMessageID, ...), so that every record carries
// correlation_id once, the innermost event's. Outside an invocation it
// returns ctx unchanged.
func WithInnerCorrelationID(ctx context.Context, source, id string) context.Context {
	inv := fromContext(ctx)
	if inv == nil || id == "" {
		return ctx
	}
	return inv.with(ctx, source, id, inv.sourceKey())
}

// with returns ctx with a copy of inv whose correlation id is id from
// source; a non-empty outer keeps the current one under that key.
func (inv *invocation) with(ctx context.Context, source, id, outer string) context.Context {
	attrs := make([]slog.Attr, 0, len(inv.attrs)+2)
	replaced := false
	for _, a := range inv.attrs {
		switch {
		case a.Key == KeyCorrelationID:
			if outer != "" {
				attrs = append(attrs, slog.String(outer, a.Value.String()))
			}
			a, replaced = slog.String(KeyCorrelationID, id), true
		case outer != "" && a.Key == outer, a.Key == source:
			continue // superseded
		}
		attrs = append(attrs, a)
	}
	if !replaced {
		attrs = append(attrs, slog.String(KeyCorrelationID, id))
	}
	return context.WithValue(ctx, ctxKey{}, &invocation{attrs: attrs, reqKey: inv.reqKey, sampled: inv.sampled, source: source})
}

// TraceID returns the root of the invocation's X-Ray trace id
// ("1-5759e988-bd862e3fe1be46a994272793"), from the value aws-lambda-go
// puts in the context, or "" when there is none.
func TraceID(ctx context.Context) string {
	//nolint:staticcheck // aws-lambda-go's own key is this string.
	h, _ := ctx.Value("x-amzn-trace-id").(string)
	if h == "" {
		return ""
	}
	for part := range strings.SplitSeq(h, ";") {
		if v, ok := strings.CutPrefix(part, "Root="); ok {
			return v
		}
	}
	if !strings.Contains(h, "=") {
		return h
	}
	return ""
}
