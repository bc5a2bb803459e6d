package lambdatest

import (
	"strconv"
	"testing"

	"github.com/rampartdev/rampart/internal/firstcall"
)

// Defaults of Setenv and Context.
const (
	DefaultFunctionName = "test-function"
	DefaultRegion       = "us-east-1"
	DefaultMemoryMB     = 128
)

// Function describes the function whose environment [Setenv] sets. Its zero
// value (or a nil *Function) is a 128 MB $LATEST function named
// DefaultFunctionName in DefaultRegion.
type Function struct {
	// Name is AWS_LAMBDA_FUNCTION_NAME. Empty means DefaultFunctionName.
	Name string
	// Version is AWS_LAMBDA_FUNCTION_VERSION. Empty means "$LATEST".
	Version string
	// MemoryMB is AWS_LAMBDA_FUNCTION_MEMORY_SIZE. Zero means
	// DefaultMemoryMB.
	MemoryMB int
	// Region is AWS_REGION and AWS_DEFAULT_REGION. Empty means
	// DefaultRegion.
	Region string
	// LogLevel is AWS_LAMBDA_LOG_LEVEL (Lambda's application log level),
	// set only when not empty.
	LogLevel string
	// Service is POWERTOOLS_SERVICE_NAME, set only when not empty.
	Service string
	// Provisioned sets AWS_LAMBDA_INITIALIZATION_TYPE to
	// provisioned-concurrency instead of on-demand: the environment was
	// initialised ahead of its first invocation, which is then no cold start.
	Provisioned bool
	// Env holds other variables to set, as the function's configuration
	// would (table names, feature flags). They are set last.
	Env map[string]string
}

// Setenv sets the environment Lambda gives a function's process, with
// t.Setenv (so it is restored when the test ends, and the test cannot be
// parallel): the function's name, version, memory size, log group and
// stream, region and initialisation type, plus what f adds. Call it before
// building what reads the environment: logging.NewJSONHandler reads the
// function's attributes when it is built.
func Setenv(t testing.TB, f *Function) {
	t.Helper()
	var fn Function
	if f != nil {
		fn = *f
	}
	if fn.Name == "" {
		fn.Name = DefaultFunctionName
	}
	if fn.Version == "" {
		fn.Version = "$LATEST"
	}
	if fn.MemoryMB == 0 {
		fn.MemoryMB = DefaultMemoryMB
	}
	if fn.Region == "" {
		fn.Region = DefaultRegion
	}
	init := "on-demand"
	if fn.Provisioned {
		init = "provisioned-concurrency"
	}
	for _, kv := range [][2]string{
		{"AWS_LAMBDA_FUNCTION_NAME", fn.Name},
		{"AWS_LAMBDA_FUNCTION_VERSION", fn.Version},
		{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", strconv.Itoa(fn.MemoryMB)},
		{"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + fn.Name},
		{"AWS_LAMBDA_LOG_STREAM_NAME", "2026/01/01/[" + fn.Version + "]0123456789abcdef0123456789abcdef"},
		{"AWS_LAMBDA_INITIALIZATION_TYPE", init},
		{"AWS_REGION", fn.Region},
		{"AWS_DEFAULT_REGION", fn.Region},
	} {
		t.Setenv(kv[0], kv[1])
	}
	if fn.LogLevel != "" {
		t.Setenv("AWS_LAMBDA_LOG_LEVEL", fn.LogLevel)
	}
	if fn.Service != "" {
		t.Setenv("POWERTOOLS_SERVICE_NAME", fn.Service)
	}
	for k, v := range fn.Env {
		t.Setenv(k, v)
	}
}

// ResetColdStart makes the next invocation report a cold start again, as if
// the process were new: the cold_start attribute of package logging and
// the ColdStart metric of package metrics. The flags are process-wide, so a
// test that checks them must not run in parallel with others that invoke.
func ResetColdStart() { firstcall.Reset() }
