package lambdatest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"sync"
	"testing"
)

// Output collects what a function writes, its log lines and EMF documents,
// as CloudWatch Logs would: pass it as the writer of the log handler and
// the metrics recorder. It is safe for concurrent use.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// Lines returns the lines written since the last call, each decoded as a
// JSON object, and forgets them. A line that is not a JSON object fails the
// test: a function on the toolkit writes one per line.
func (o *Output) Lines(t testing.TB) []map[string]any {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(&o.b)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("lambdatest: output line %q is not a JSON object: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	o.b.Reset()
	return out
}
