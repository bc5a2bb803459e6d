package mcpserver_test

import (
	"context"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rampartdev/rampart/inspect/local/localtest"
)

var large struct {
	once sync.Once
	dir  string
	f    localtest.Facts
}

// BenchmarkTools measures each tool call through the in-memory transport
// with 100,000 media records and 100,000 idempotency records in the store.
func BenchmarkTools(b *testing.B) {
	large.once.Do(func() {
		large.dir, large.f = localtest.MustFixture(b)
		localtest.SeedLarge(b, large.dir, 100_000)
	})
	cs := MustSession(b, large.dir, large.f.Now, false)
	for _, bc := range []struct {
		name string
		args map[string]any
	}{
		{"list_media", map[string]any{}},
		{"list_media", map[string]any{"status": "rejected", "since_minutes": 60}},
		{"list_media", map[string]any{"prefix": "uploads/123/", "limit": 100}},
		{"get_media", map[string]any{"id": large.f.Rejected}},
		{"list_idempotency_records", map[string]any{"limit": 100}},
		{"list_idempotency_records", map[string]any{"stuck": true}},
		{"list_objects", map[string]any{}},
		{"head_object", map[string]any{"key": "uploads/cat.png"}},
		{"queue_status", map[string]any{}},
		{"list_dead_letters", map[string]any{}},
		{"query_logs", map[string]any{"request_id": large.f.RequestID}},
		{"list_gateway_tokens", map[string]any{}},
	} {
		name := bc.name
		for k := range bc.args {
			name += "/" + k
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: bc.name, Arguments: bc.args})
				if err != nil || res.IsError {
					b.Fatalf("%s: %v %+v", bc.name, err, res)
				}
			}
		})
	}
}
