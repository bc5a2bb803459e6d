package mcpserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/inspect/local/localtest"
	"github.com/rampartdev/rampart/mcpserver"
)

// runStdio feeds input to a server over transport t and returns every
// line it wrote, once it has stopped.
func runStdio(t *testing.T, newTransport func(io.Reader, io.Writer) mcp.Transport, input string) []map[string]any {
	t.Helper()
	dir, _ := localtest.MustFixture(t)
	src, err := local.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	server := mcpserver.New(src, nil)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() { done <- server.Run(ctx, newTransport(strings.NewReader(input), pw)); pw.Close() }()
	var out []map[string]any
	sc := bufio.NewScanner(pr)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("server wrote a line that is not JSON: %q", sc.Text())
		}
		out = append(out, m)
	}
	<-done
	return out
}

const (
	initialize  = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	initialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
)

// TestStdio_malformedLinesAndEOF: garbage lines get JSON-RPC errors and the
// server goes on; when stdin closes right after the requests, every one of
// them is still answered.
func TestStdio_malformedLinesAndEOF(t *testing.T) {
	input := strings.Join([]string{
		initialize,
		initialized,
		`this is not json`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		`{"not":"json-rpc","id":7}`,
		`[{"jsonrpc":"2.0","id":8,"method":"tools/list"}]`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"queue_status","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"list_media","arguments":{"limit":2}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"analyze_cold_starts","arguments":{}}}`,
	}, "\n") + "\n"
	out := runStdio(t, func(r io.Reader, w io.Writer) mcp.Transport { return &mcpserver.StdioTransport{Reader: r, Writer: w} }, input)
	answered := map[float64]bool{}
	var parseErrors, invalid int
	for _, m := range out {
		if e, ok := m["error"].(map[string]any); ok {
			switch e["code"] {
			case float64(-32700):
				parseErrors++
			case float64(-32600):
				invalid++
			}
		}
		if id, ok := m["id"].(float64); ok {
			answered[id] = true
		}
	}
	if parseErrors != 1 || invalid != 2 {
		t.Errorf("%d parse errors and %d invalid-request errors, want 1 and 2: %v", parseErrors, invalid, out)
	}
	for _, id := range []float64{1, 2, 3, 4, 5} {
		if !answered[id] {
			t.Errorf("request %v not answered before exit; got %v", id, out)
		}
	}
}

// TestStdio_answersEverythingBeforeEOF: a client that writes its requests
// and closes stdin at once still gets every reply.
func TestStdio_answersEverythingBeforeEOF(t *testing.T) {
	lines := []string{initialize, initialized}
	for id := 2; id < 12; id++ {
		lines = append(lines, `{"jsonrpc":"2.0","id":`+strconv.Itoa(id)+`,"method":"tools/call","params":{"name":"list_media","arguments":{}}}`)
	}
	out := runStdio(t, func(r io.Reader, w io.Writer) mcp.Transport { return &mcpserver.StdioTransport{Reader: r, Writer: w} }, strings.Join(lines, "\n")+"\n")
	if len(out) != 11 {
		t.Errorf("%d answers to 11 requests", len(out))
	}
}

// TestTools_schemas: no input property has a nullable type union (Go
// slices infer as ["null", "array"], which clients such as the MCP
// Inspector's forms cannot fill); the array arguments are plain arrays of
// strings.
func TestTools_schemas(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	cs := MustSession(t, dir, f.Now, true)
	res, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	arrays := 0
	for _, tool := range res.Tools {
		b, _ := json.Marshal(tool.InputSchema)
		var schema struct {
			Properties map[string]struct {
				Type  any `json:"type"`
				Items *struct {
					Type any `json:"type"`
				} `json:"items"`
			} `json:"properties"`
		}
		json.Unmarshal(b, &schema)
		for name, p := range schema.Properties {
			if _, ok := p.Type.(string); !ok {
				t.Errorf("%s.%s: type %v, want one type", tool.Name, name, p.Type)
			}
			if p.Type == "array" {
				arrays++
				if p.Items == nil || p.Items.Type != "string" {
					t.Errorf("%s.%s: items %+v", tool.Name, name, p.Items)
				}
			}
		}
	}
	if arrays != 2 {
		t.Errorf("%d array arguments, want 2 (paths, ids)", arrays)
	}
}

// TestStdio_duplicateIDs: requests that reuse the id of one in progress are
// each answered (an error, or a result once the id is free again), and the
// server still stops at the end of its input.
func TestStdio_duplicateIDs(t *testing.T) {
	lines := []string{initialize, initialized}
	const n = 30
	for range n {
		lines = append(lines, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"analyze_cold_starts","arguments":{}}}`)
	}
	start := time.Now()
	out := runStdio(t, func(r io.Reader, w io.Writer) mcp.Transport { return &mcpserver.StdioTransport{Reader: r, Writer: w} }, strings.Join(lines, "\n")+"\n")
	var answers, inUse int
	for _, m := range out {
		if m["id"] != float64(2) {
			continue
		}
		answers++
		if e, ok := m["error"].(map[string]any); ok && e["code"] == float64(-32600) {
			inUse++
		}
	}
	if answers != n {
		t.Errorf("%d answers with id 2 to %d requests (%d of them 'in use') after %s", answers, n, inUse, time.Since(start).Round(time.Millisecond))
	}
}
