// Package memlimit gives a Lambda bootstrap's Go runtime a soft memory
// limit that fits the function's memory size, so that the garbage collector
// works harder before the process reaches Lambda's hard limit (where the
// function is killed with "Runtime exited with error: signal: killed")
// instead of growing the heap to twice the live data as GOGC=100 allows.
package memlimit

import (
	"os"
	"runtime/debug"
	"strconv"
)

// Headroom is the least memory left outside the Go runtime's limit, for
// what the limit does not count: the binary's mapped code and data, and the
// kernel's accounting of the process.
const Headroom = 16 << 20

// maxMiB is the largest memory size taken at its word, 1 TiB (Lambda's
// maximum is 10,240 MiB).
const maxMiB = 1 << 20

// FromLambda sets the runtime's soft memory limit (debug.SetMemoryLimit)
// to the function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MiB) less a
// tenth of it, and at least Headroom less, and returns it. It does nothing
// and returns 0 when GOMEMLIMIT is set (the runtime has read the user's
// own limit) or the memory size is missing, invalid or above 1 TiB.
func FromLambda() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	mb, err := strconv.ParseInt(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb <= 0 || mb > maxMiB {
		return 0 // beyond maxMiB, mb << 20 would wrap to any value
	}
	total := mb << 20
	limit := total - max(total/10, Headroom)
	if limit <= 0 {
		return 0
	}
	debug.SetMemoryLimit(limit)
	return limit
}
