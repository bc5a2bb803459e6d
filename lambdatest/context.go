package lambdatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// DefaultTimeout is the timeout of an invocation whose Invocation.Timeout is
// zero: Lambda's default function timeout.
const DefaultTimeout = 3 * time.Second

// Invocation describes one invocation for [Context]. Its zero value (or a
// nil *Invocation) is an invocation with a fresh request id, the test
// function's ARN, DefaultTimeout and a fresh trace id.
type Invocation struct {
	// RequestID is the invocation's request id. Empty means a fresh random
	// id in the UUID form Lambda uses.
	RequestID string
	// FunctionARN is the invoked function's ARN (with the alias or version
	// it was invoked by, if any). Empty means
	// arn:aws:lambda:REGION:123456789012:function:NAME, from AWS_REGION
	// and AWS_LAMBDA_FUNCTION_NAME (see Setenv), else us-east-1 and
	// DefaultFunctionName.
	FunctionARN string
	// Timeout is how long from now the invocation's deadline is. Zero means
	// DefaultTimeout. The deadline is whole milliseconds since the epoch, as
	// the Runtime API passes it.
	Timeout time.Duration
	// TraceID is the X-Ray trace header ("Root=1-...;Parent=...;Sampled=1").
	// Empty means a fresh, unsampled trace.
	TraceID string
	// ClientContext is the mobile client's context, for invocations from
	// the AWS Mobile SDK. Nil means none.
	ClientContext *lambdacontext.ClientContext
	// Identity is the Cognito identity of the caller, if any.
	Identity lambdacontext.CognitoIdentity
	// TenantID is the tenant of a function in tenant isolation mode.
	TenantID string
}

// Context returns the context the Lambda runtime gives a handler for inv,
// as [NewContext] builds it, derived from t.Context() and cancelled when the
// test ends.
func Context(t testing.TB, inv *Invocation) context.Context {
	t.Helper()
	ctx, cancel := NewContext(t.Context(), inv)
	t.Cleanup(cancel)
	return ctx
}

// NewContext returns the context the Lambda runtime gives a handler for inv
// (nil means the zero Invocation): parent with the invocation's deadline,
// its lambdacontext.LambdaContext and its X-Ray trace header under
// aws-lambda-go's key, and the function that releases it. Tests use
// [Context].
func NewContext(parent context.Context, inv *Invocation) (context.Context, context.CancelFunc) {
	var in Invocation
	if inv != nil {
		in = *inv
	}
	if in.RequestID == "" {
		in.RequestID = newRequestID()
	}
	if in.FunctionARN == "" {
		in.FunctionARN = FunctionARN()
	}
	if in.Timeout == 0 {
		in.Timeout = DefaultTimeout
	}
	if in.TraceID == "" {
		in.TraceID = newTraceID()
	}
	deadline := time.UnixMilli(time.Now().Add(in.Timeout).UnixMilli())
	ctx, cancel := context.WithDeadline(parent, deadline)
	lc := &lambdacontext.LambdaContext{
		AwsRequestID:       in.RequestID,
		InvokedFunctionArn: in.FunctionARN,
		Identity:           in.Identity,
		TenantID:           in.TenantID,
	}
	if in.ClientContext != nil {
		lc.ClientContext = *in.ClientContext
	}
	ctx = lambdacontext.NewContext(ctx, lc)
	//lint:ignore SA1029 aws-lambda-go's own key is this string.
	return context.WithValue(ctx, "x-amzn-trace-id", in.TraceID), cancel
}

// FunctionARN returns the unqualified ARN of the function the environment
// names: arn:aws:lambda:REGION:123456789012:function:NAME, from AWS_REGION
// and AWS_LAMBDA_FUNCTION_NAME, else us-east-1 and DefaultFunctionName.
func FunctionARN() string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region(), AccountID, functionName())
}

// AccountID is the AWS account of the ARNs this package makes.
const AccountID = "123456789012"

func region() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return DefaultRegion
}

func functionName() string {
	if n := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); n != "" {
		return n
	}
	return DefaultFunctionName
}

// newRequestID returns a random version 4 UUID, the form of Lambda's request
// ids.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newTraceID returns an X-Ray trace header for a new, unsampled trace.
func newTraceID() string {
	var b [20]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:40])
}
