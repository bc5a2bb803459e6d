// Package mcptest connects tests to an MCP server and calls its tools, for
// the tests of mcpserver and of the commands and backends that serve it.
package mcptest

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Connect connects an in-memory client to server, and closes both ends
// when tb ends.
func Connect(tb testing.TB, server *mcp.Server) *mcp.ClientSession {
	tb.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cs.Close() })
	return cs
}

// Call calls the tool name with args and decodes its structured output into
// out (a pointer, zeroed first; nil to ignore it). It returns the text of a
// tool error ("" on success); a protocol error fails tb.
func Call(tb testing.TB, cs *mcp.ClientSession, name string, args, out any) string {
	tb.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		tb.Fatalf("%s: protocol error: %v", name, err)
	}
	if res.IsError {
		var msg []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				msg = append(msg, tc.Text)
			}
		}
		return strings.Join(msg, "\n")
	}
	if out != nil {
		reflect.ValueOf(out).Elem().SetZero()
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s: decode %s: %v", name, b, err)
		}
	}
	return ""
}

// MustCall is [Call] that fails tb on a tool error.
func MustCall(tb testing.TB, cs *mcp.ClientSession, name string, args, out any) {
	tb.Helper()
	if msg := Call(tb, cs, name, args, out); msg != "" {
		tb.Fatalf("%s(%v): tool error: %s", name, args, msg)
	}
}
