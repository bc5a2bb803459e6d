package awsstate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rampartdev/rampart/internal/mcptest"
	"github.com/rampartdev/rampart/mcpserver"
)

// TestMCP runs the MCP server's tools over the AWS source through the
// in-memory transport and asks the two headline questions.
func TestMCP(t *testing.T) {
	f := mustFixture(t, 0)
	s := mustSource(t, f)
	server := mcpserver.New(s, &mcpserver.Options{AllowWrites: true, Now: func() time.Time { return f.now }})
	cs := mcptest.Connect(t, server)
	if !strings.Contains(cs.InitializeResult().Instructions, "aws: eu-central-1: media table "+f.cfg.MediaTable) {
		t.Errorf("instructions: %s", cs.InitializeResult().Instructions)
	}

	// "Which uploads in the last hour were rejected, and why?"
	var media mcpserver.ListMediaOutput
	if msg := mcptest.Call(t, cs, "list_media", map[string]any{"status": "rejected", "since_minutes": 60}, &media); msg != "" {
		t.Fatal(msg)
	}
	if len(media.Records) != 1 || media.Records[0].Key != "uploads/notes.txt" || media.Records[0].Reason != f.rejectedReason || media.Next != "" {
		t.Fatalf("rejected in the last hour: %+v", media)
	}
	// "Show me everything request X logged."
	var logs mcpserver.QueryLogsOutput
	if msg := mcptest.Call(t, cs, "query_logs", map[string]any{"request_id": f.requestID}, &logs); msg != "" {
		t.Fatal(msg)
	}
	var got []string
	for _, l := range logs.Lines {
		got = append(got, l.Message)
		if l.CorrelationID != f.requestID {
			t.Errorf("line of another request: %+v", l)
		}
	}
	if strings.Join(got, ",") != "object uploaded,message received,object rejected,http response" {
		t.Fatalf("everything %s logged: %v", f.requestID, got)
	}

	var detail mcpserver.GetMediaOutput
	if msg := mcptest.Call(t, cs, "get_media", map[string]any{"key": "uploads/notes.txt"}, &detail); msg != "" {
		t.Fatal(msg)
	}
	if detail.Record.ID != f.rejected || detail.Source == nil || detail.Source.Size == 0 || len(detail.Logs) != 4 {
		t.Fatalf("get_media: %+v", detail)
	}
	var idem mcpserver.ListIdempotencyOutput
	if msg := mcptest.Call(t, cs, "list_idempotency_records", map[string]any{"stuck": true}, &idem); msg != "" || len(idem.Records) != 1 {
		t.Fatalf("stuck: %+v %s", idem, msg)
	}
	var q mcpserver.QueueOutput
	if msg := mcptest.Call(t, cs, "queue_status", map[string]any{}, &q); msg != "" || q.DeadLetters != 4 {
		t.Fatalf("queue: %+v %s", q, msg)
	}
	// What AWS cannot answer has no tool, and the server says why: in its
	// instructions, in describe_backend and, for the dead letters, in
	// queue_status's description.
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools.Tools {
		switch tl.Name {
		case "list_dead_letters", "list_gateway_tokens":
			t.Errorf("AWS server offers %s", tl.Name)
		case "queue_status":
			if !strings.Contains(tl.Description, "without receiving") {
				t.Errorf("queue_status does not say why the dead letters are not listed: %s", tl.Description)
			}
		}
	}
	for _, why := range []string{"SQS cannot list dead letters without receiving them", "tokens are not kept on AWS"} {
		if !strings.Contains(cs.InitializeResult().Instructions, why) {
			t.Errorf("instructions do not say %q: %s", why, cs.InitializeResult().Instructions)
		}
	}
	var be mcpserver.BackendOutput
	if msg := mcptest.Call(t, cs, "describe_backend", map[string]any{}, &be); msg != "" {
		t.Fatal(msg)
	}
	reasons := map[string]string{}
	for _, c := range be.Capabilities {
		if !c.Available {
			reasons[c.Name] = c.Reason
		}
	}
	if be.Backend != "aws" || len(reasons) != 2 || !strings.Contains(reasons["dead-letter listing"], "without receiving") ||
		!strings.Contains(reasons["gateway token listing"], "not kept on AWS") || !strings.Contains(be.MediaOrder, "scan order") {
		t.Fatalf("describe_backend: %+v", be)
	}
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_dead_letters", Arguments: map[string]any{}}); err == nil ||
		!strings.Contains(err.Error(), "unknown tool") {
		t.Fatalf("list_dead_letters over AWS: %v", err)
	}
	if msg := mcptest.Call(t, cs, "list_media", map[string]any{"cursor": "garbage"}, nil); !strings.Contains(msg, "invalid cursor") {
		t.Fatalf("bad cursor: %q", msg)
	}
	// Writes.
	var ev mcpserver.EvictOutput
	if msg := mcptest.Call(t, cs, "evict_idempotency_record", map[string]any{"key": f.stuck}, &ev); msg != "" || ev.Deleted.Key != f.stuck {
		t.Fatalf("evict: %+v %s", ev, msg)
	}
	var rd mcpserver.RedriveOutput
	if msg := mcptest.Call(t, cs, "redrive_dead_letters", map[string]any{}, &rd); msg != "" || rd.Redriven != 4 {
		t.Fatalf("redrive: %+v %s", rd, msg)
	}
	if msg := mcptest.Call(t, cs, "redrive_dead_letters", map[string]any{"ids": []string{"m1"}}, nil); !strings.Contains(msg, "whole dead-letter queue") {
		t.Fatalf("redrive by id: %q", msg)
	}
}
