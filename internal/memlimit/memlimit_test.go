package memlimit

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestFromLambda(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, c := range []struct {
		size, gomemlimit string
		want             int64
	}{
		{"128", "", (128 - 16) << 20},
		{"1769", "", 1769<<20 - 1769<<20/10},
		{"10240", "", 10240<<20 - 1024<<20},
		{"1024", "500MiB", 0}, // the user's own
		{"", "", 0},
		{"lots", "", 0},
		{"8", "", 0},
		{"17592186044616", "", 0}, // 2^44 + 200 MiB: shifted to bytes, it wraps to 200 MiB
		{"9223372036854775807", "", 0},
		{"1048576", "", 1<<40 - 1<<40/10},
	} {
		t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", c.size)
		t.Setenv("GOMEMLIMIT", c.gomemlimit)
		debug.SetMemoryLimit(math.MaxInt64)
		got := FromLambda()
		if got != c.want {
			t.Errorf("size %q, GOMEMLIMIT %q: limit %d, want %d", c.size, c.gomemlimit, got, c.want)
		}
		if cur := debug.SetMemoryLimit(-1); c.want != 0 && cur != c.want || c.want == 0 && cur != math.MaxInt64 {
			t.Errorf("size %q: runtime limit %d, want %d", c.size, cur, c.want)
		}
	}
}
