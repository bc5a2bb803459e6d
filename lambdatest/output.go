package lambdatest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rampartdev/rampart/internal/testingutil"
)

// Output collects what a function writes, its log lines and EMF documents,
// as CloudWatch Logs would: pass it as the writer of the log handler and
// the metrics recorder. It is safe for concurrent use.
type Output struct {
	b testingutil.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) { return o.b.Write(p) }

// Lines returns the lines written since the last call, each decoded as a
// JSON object, and forgets them. A line that is not a JSON object fails the
// test: a function on the toolkit writes one per line.
func (o *Output) Lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range bytes.Lines(o.b.Take()) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil || m == nil {
			t.Fatalf("lambdatest: output line %.200q (%d bytes) is not a JSON object: %v", line, len(line), err)
		}
		out = append(out, m)
	}
	return out
}
