package rietest_test

import (
	"strings"
	"testing"

	"github.com/rampartdev/rampart/internal/rietest"
)

// The folder a function runs in is named after its test, and t.TempDir
// keeps $, (, ) and & of that name: the wrapper that runs the bootstrap must
// still run it.
func TestStart_testNameWithShellCharacters(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a bootstrap")
	}
	bs := rietest.Build(t, "../../cmd/health")
	t.Run("a $(b) & (c)", func(t *testing.T) {
		fn := bs.Start(t, []string{"AWS_LAMBDA_FUNCTION_NAME=rietest", "AWS_REGION=eu-central-1"})
		// The bootstrap's own decoding error, not the emulator's
		// Runtime.ExitError for a wrapper that could not run it.
		if got := fn.Invoke(t, "rietest-1", []byte(`"not an API Gateway request"`)); !strings.Contains(got, `"errorType":"UnmarshalTypeError"`) {
			t.Fatalf("the bootstrap did not answer: %s", got)
		}
		fn.Lines(t)
	})
}
