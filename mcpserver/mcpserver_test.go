package mcpserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/inspect/local/localtest"
	"github.com/rampartdev/rampart/internal/mcptest"
	"github.com/rampartdev/rampart/mcpserver"
)

// MustSession connects an in-memory client to a server over the fixture.
func MustSession(tb testing.TB, dir string, now time.Time, allowWrites bool) *mcp.ClientSession {
	tb.Helper()
	return MustSessionWith(tb, dir, now, &mcpserver.Options{AllowWrites: allowWrites, ColdStartDirs: []string{"../coldstart/testdata"}})
}

// MustSessionWith is MustSession with the server's options (its clock is
// set to now).
func MustSessionWith(tb testing.TB, dir string, now time.Time, opts *mcpserver.Options) *mcp.ClientSession {
	tb.Helper()
	ctx := context.Background()
	src, err := local.Open(ctx, dir, &local.Options{Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { src.Close() })
	o := *opts
	o.Now = func() time.Time { return now }
	return mcptest.Connect(tb, mcpserver.New(src, &o))
}

// mustSource opens the read model over dir.
func mustSource(tb testing.TB, dir string) *local.Source {
	tb.Helper()
	src, err := local.Open(context.Background(), dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { src.Close() })
	return src
}

func TestTools(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	cs := MustSession(t, dir, f.Now, false)

	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
		if tl.Description == "" || tl.InputSchema == nil || tl.OutputSchema == nil || tl.Annotations == nil || !tl.Annotations.ReadOnlyHint {
			t.Errorf("tool %s lacks a description, schemas or the read-only hint", tl.Name)
		}
	}
	if got := strings.Join(names, ","); got != "analyze_cold_starts,describe_backend,get_media,head_object,list_dead_letters,list_gateway_tokens,list_idempotency_records,list_media,list_objects,query_logs,queue_status" {
		t.Fatalf("read-only tools: %s", got)
	}
	if in := cs.InitializeResult().Instructions; strings.Contains(in, "Not available") || !strings.Contains(in, "dead-letter queue") || !strings.Contains(in, "Read-only") {
		t.Errorf("instructions: %s", in)
	}
	t.Run("describe_backend", func(t *testing.T) {
		var out mcpserver.BackendOutput
		mcptest.MustCall(t, cs, "describe_backend", map[string]any{}, &out)
		var got []string
		for _, c := range out.Capabilities {
			got = append(got, fmt.Sprintf("%s=%v", c.Name, c.Available))
		}
		if out.Backend != "local" || out.Location != dir || out.MediaOrder != "newest update first" ||
			strings.Join(got, ",") != "dead-letter listing=true,gateway token listing=true,writes=false" ||
			!strings.Contains(out.Capabilities[2].Reason, "--allow-writes") {
			t.Fatalf("describe_backend: %+v", out)
		}
	})

	t.Run("list_media: rejected in the last hour, and why", func(t *testing.T) {
		var out mcpserver.ListMediaOutput
		mcptest.MustCall(t, cs, "list_media", map[string]any{"status": "rejected", "since_minutes": 60}, &out)
		if len(out.Records) != 1 || out.Records[0].ID != f.Rejected || out.Records[0].Reason != f.RejectedReason {
			t.Fatalf("got %+v", out)
		}
		mcptest.MustCall(t, cs, "list_media", map[string]any{"limit": 2}, &out)
		if len(out.Records) != 2 || out.Next == "" {
			t.Fatalf("page 1: %+v", out)
		}
		mcptest.MustCall(t, cs, "list_media", map[string]any{"limit": 2, "cursor": out.Next, "prefix": "uploads/"}, &out)
		if len(out.Records) != 2 || out.Next != "" {
			t.Fatalf("page 2: %+v", out)
		}
		if msg := mcptest.Call(t, cs, "list_media", map[string]any{"status": "exploded"}, nil); !strings.Contains(msg, "unknown status") {
			t.Fatalf("bad status: %q", msg)
		}
		if msg := mcptest.Call(t, cs, "list_media", map[string]any{"since": "yesterday"}, nil); !strings.Contains(msg, "RFC 3339") {
			t.Fatalf("bad time: %q", msg)
		}
		if msg := mcptest.Call(t, cs, "list_media", map[string]any{"cursor": "garbage"}, nil); !strings.Contains(msg, "invalid cursor") {
			t.Fatalf("bad cursor: %q", msg)
		}
	})
	t.Run("get_media", func(t *testing.T) {
		var out mcpserver.GetMediaOutput
		mcptest.MustCall(t, cs, "get_media", map[string]any{"key": "uploads/notes.txt"}, &out)
		if out.Record.ID != f.Rejected || out.Source == nil || out.Source.Size == 0 || len(out.Logs) != 3 {
			t.Fatalf("got %+v", out)
		}
		mcptest.MustCall(t, cs, "get_media", map[string]any{"id": f.Processed}, &out)
		if len(out.Record.Thumbnails) != 1 {
			t.Fatalf("processed: %+v", out.Record)
		}
		if msg := mcptest.Call(t, cs, "get_media", map[string]any{"id": "nope"}, nil); !strings.Contains(msg, "not found") {
			t.Fatalf("missing: %q", msg)
		}
		if msg := mcptest.Call(t, cs, "get_media", map[string]any{}, nil); !strings.Contains(msg, "give id or key") {
			t.Fatalf("no input: %q", msg)
		}
	})
	t.Run("query_logs: everything request X logged", func(t *testing.T) {
		var out mcpserver.QueryLogsOutput
		mcptest.MustCall(t, cs, "query_logs", map[string]any{"request_id": f.RequestID}, &out)
		if len(out.Lines) != 3 || out.Lines[2].Message != "object rejected" {
			t.Fatalf("got %+v", out)
		}
		mcptest.MustCall(t, cs, "query_logs", map[string]any{"min_level": "warn"}, &out)
		if len(out.Lines) != 1 {
			t.Fatalf("warnings: %+v", out)
		}
		if msg := mcptest.Call(t, cs, "query_logs", map[string]any{"min_level": "LOUD"}, nil); !strings.Contains(msg, "unknown level") {
			t.Fatalf("bad level: %q", msg)
		}
	})
	t.Run("list_idempotency_records", func(t *testing.T) {
		var out mcpserver.ListIdempotencyOutput
		mcptest.MustCall(t, cs, "list_idempotency_records", map[string]any{"stuck": true}, &out)
		if len(out.Records) != 1 || out.Records[0].Key != f.Stuck || !out.Records[0].Stuck {
			t.Fatalf("stuck: %+v", out)
		}
		mcptest.MustCall(t, cs, "list_idempotency_records", map[string]any{"status": "completed"}, &out)
		if len(out.Records) != 1 || out.Records[0].Key != f.Completed {
			t.Fatalf("completed: %+v", out)
		}
	})
	t.Run("objects", func(t *testing.T) {
		var out mcpserver.ListObjectsOutput
		mcptest.MustCall(t, cs, "list_objects", map[string]any{"prefix": "derived/"}, &out)
		if len(out.Objects) != 1 || out.Objects[0].Key != "derived/128/uploads/cat.png" {
			t.Fatalf("derived: %+v", out)
		}
		var obj struct{ Key, ContentType string }
		mcptest.MustCall(t, cs, "head_object", map[string]any{"key": "uploads/cat.png"}, &obj)
		if obj.Key != "uploads/cat.png" {
			t.Fatalf("head: %+v", obj)
		}
		if msg := mcptest.Call(t, cs, "head_object", map[string]any{"key": "missing"}, nil); !strings.Contains(msg, "not found") {
			t.Fatalf("head missing: %q", msg)
		}
	})
	t.Run("queue", func(t *testing.T) {
		var st mcpserver.QueueOutput
		mcptest.MustCall(t, cs, "queue_status", map[string]any{}, &st)
		if st.DeadLetters != 1 {
			t.Fatalf("stats: %+v", st)
		}
		var out mcpserver.DeadLettersOutput
		mcptest.MustCall(t, cs, "list_dead_letters", map[string]any{}, &out)
		if len(out.DeadLetters) != 1 || out.DeadLetters[0].LastError == "" || out.DeadLetters[0].CorrelationID != f.RequestID {
			t.Fatalf("dead letters: %+v", out)
		}
	})
	t.Run("tokens and cold starts", func(t *testing.T) {
		var out mcpserver.TokensOutput
		mcptest.MustCall(t, cs, "list_gateway_tokens", map[string]any{}, &out)
		if out.Tokens == nil {
			t.Fatal("tokens: nil")
		}
		if msg := mcptest.Call(t, cs, "analyze_cold_starts", map[string]any{}, nil); !strings.Contains(msg, "pass paths") {
			t.Fatalf("no logs: %q", msg)
		}
		var cs1 mcpserver.ColdStartOutput
		mcptest.MustCall(t, cs, "analyze_cold_starts", map[string]any{"paths": []string{"../coldstart/testdata/cloudwatch-export-text.log"}}, &cs1)
		if len(cs1.Functions) == 0 || cs1.Functions[0].Invocations == 0 || !strings.Contains(cs1.Summary, cs1.Functions[0].Function) {
			t.Fatalf("cold starts: %+v", cs1)
		}
	})
	t.Run("writes are absent", func(t *testing.T) {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "redrive_dead_letters", Arguments: map[string]any{}})
		if err == nil && !res.IsError {
			t.Fatal("redrive_dead_letters ran on a read-only server")
		}
	})
}

func TestTools_writes(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	cs := MustSession(t, dir, f.Now, true)
	var ev mcpserver.EvictOutput
	mcptest.MustCall(t, cs, "evict_idempotency_record", map[string]any{"key": f.Stuck}, &ev)
	if ev.Deleted.Key != f.Stuck || !strings.Contains(ev.Message, f.Stuck) {
		t.Fatalf("evict: %+v", ev)
	}
	if msg := mcptest.Call(t, cs, "evict_idempotency_record", map[string]any{"key": f.Stuck}, nil); !strings.Contains(msg, "not found") {
		t.Fatalf("evict again: %q", msg)
	}
	var rd mcpserver.RedriveOutput
	mcptest.MustCall(t, cs, "redrive_dead_letters", map[string]any{"ids": []string{f.DeadID}}, &rd)
	if rd.Redriven != 1 || !strings.Contains(rd.Message, "moved 1") {
		t.Fatalf("redrive: %+v", rd)
	}
	var st mcpserver.QueueOutput
	mcptest.MustCall(t, cs, "queue_status", map[string]any{}, &st)
	if st.DeadLetters != 0 || st.Visible != 1 {
		t.Fatalf("after redrive: %+v", st)
	}
}

func TestTools_coldStartPathsStayInTheAllowedFolders(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	allowed := t.TempDir()
	outside := t.TempDir()
	log, err := os.ReadFile("../coldstart/testdata/cloudwatch-export-text.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(allowed, "in.log"), filepath.Join(outside, "secret.log")} {
		if err := os.WriteFile(p, log, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A link inside the allowed folder to a file outside it.
	if err := os.Symlink(filepath.Join(outside, "secret.log"), filepath.Join(allowed, "link.log")); err != nil {
		t.Fatal(err)
	}
	cs := MustSessionWith(t, dir, f.Now, &mcpserver.Options{ColdStartDirs: []string{allowed}})
	var out mcpserver.ColdStartOutput
	mcptest.MustCall(t, cs, "analyze_cold_starts", map[string]any{"paths": []string{filepath.Join(allowed, "in.log")}}, &out)
	if len(out.Functions) == 0 {
		t.Fatalf("allowed file: %+v", out)
	}
	for name, p := range map[string]string{
		"outside":          filepath.Join(outside, "secret.log"),
		"dot-dot escape":   filepath.Join(allowed, "..", filepath.Base(outside), "secret.log"),
		"symlink out":      filepath.Join(allowed, "link.log"),
		"system file":      "/etc/passwd",
		"stdin":            "-",
		"relative outside": "../coldstart/testdata/cloudwatch-export-text.log",
	} {
		msg := mcptest.Call(t, cs, "analyze_cold_starts", map[string]any{"paths": []string{p}}, nil)
		if msg == "" {
			t.Errorf("%s: %s was read", name, p)
		} else if !strings.Contains(msg, "is not a log file inside") {
			t.Errorf("%s: unclear error %q", name, msg)
		}
	}

	// One error for every path it will not read, whether it exists or not:
	// the tool is no existence oracle.
	var first string
	for _, p := range []string{
		filepath.Join(outside, "secret.log"), filepath.Join(outside, "no-such.log"), "/etc/passwd", "/no/such/file",
		filepath.Join(allowed, "no-such.log"), allowed, "/etc",
	} {
		msg := strings.ReplaceAll(mcptest.Call(t, cs, "analyze_cold_starts", map[string]any{"paths": []string{p}}, nil), strconv.Quote(p), "PATH")
		if first == "" {
			first = msg
		} else if msg != first {
			t.Errorf("error for %s differs: %q, and for the first path %q", p, msg, first)
		}
	}

	none := MustSessionWith(t, dir, f.Now, &mcpserver.Options{})
	if msg := mcptest.Call(t, none, "analyze_cold_starts", map[string]any{"paths": []string{filepath.Join(allowed, "in.log")}}, nil); !strings.Contains(msg, "--coldstart-dir") {
		t.Fatalf("no allowed folders: %q", msg)
	}
}

// scanSource is the local fixture presented as a backend that lists in scan
// order (as the AWS one does). It keeps the local backend's name: the tool
// descriptions follow the order the source reports, not its name.
type scanSource struct{ *local.Source }

func (scanSource) MediaOrder() inspect.MediaOrder { return inspect.NewestFirstPerPage }

func TestTools_listMediaStatesTheBackendsOrder(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	src := mustSource(t, dir)
	for _, tc := range []struct {
		src       inspect.Source
		want, not string
	}{
		{src, "newest update first,", "scan order"},
		{scanSource{src}, "scan order", "objects, newest update first"},
	} {
		name := tc.src.MediaOrder().String()
		t.Run(name, func(t *testing.T) {
			cs := mcptest.Connect(t, mcpserver.New(tc.src, &mcpserver.Options{Now: func() time.Time { return f.Now }}))
			tools, err := cs.ListTools(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tl := range tools.Tools {
				if tl.Name == "list_media" && (!strings.Contains(tl.Description, tc.want) || strings.Contains(tl.Description, tc.not)) {
					t.Fatalf("list_media over %s: %q", name, tl.Description)
				}
			}
		})
	}
}

// bareSource is a source with none of the optional capabilities.
type bareSource struct{ inspect.Source }

// explainedSource says why it lacks them.
type explainedSource struct{ inspect.Source }

func (explainedSource) WhyNot(c inspect.Capability) string {
	return "no " + string(c) + " in this test"
}

// TestTools_optionalCapabilities: the tools of an optional capability are
// offered exactly when the source implements its interface, and a missing
// one is explained (in the backend's words when it has them).
func TestTools_optionalCapabilities(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	src := mustSource(t, dir)
	for _, tc := range []struct {
		name        string
		src         inspect.Source
		writes      bool
		tools       []string // optional tools offered
		why, whyNot []string // in the instructions, or not
	}{
		{"local, read-only", src, false, []string{"list_dead_letters", "list_gateway_tokens"}, []string{"Read-only"}, []string{"Not available"}},
		{"local, writes", src, true, []string{"evict_idempotency_record", "list_dead_letters", "list_gateway_tokens", "redrive_dead_letters"}, nil, []string{"Not available", "Read-only"}},
		{"bare, writes asked", bareSource{src}, true, nil, []string{
			"Not available on this backend: dead-letter listing (list_dead_letters), because the local backend does not offer dead-letter listing.",
			"Not available on this backend: gateway token listing (list_gateway_tokens), because the local backend does not offer gateway token listing.",
			"Read-only"}, []string{"and dead-letter queue", "and gateway tokens"}},
		{"explained", explainedSource{src}, false, nil, []string{"because no dead-letter listing in this test.", "because no gateway token listing in this test."}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := mcptest.Connect(t, mcpserver.New(tc.src, &mcpserver.Options{AllowWrites: tc.writes, Now: func() time.Time { return f.Now }}))
			tools, err := cs.ListTools(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tl := range tools.Tools {
				switch tl.Name {
				case "list_dead_letters", "list_gateway_tokens", "evict_idempotency_record", "redrive_dead_letters":
					got = append(got, tl.Name)
				}
			}
			if !slices.Equal(got, tc.tools) {
				t.Errorf("optional tools %v, want %v", got, tc.tools)
			}
			in := cs.InitializeResult().Instructions
			for _, s := range tc.why {
				if !strings.Contains(in, s) {
					t.Errorf("instructions lack %q: %s", s, in)
				}
			}
			for _, s := range tc.whyNot {
				if strings.Contains(in, s) {
					t.Errorf("instructions say %q: %s", s, in)
				}
			}
			var be mcpserver.BackendOutput
			mcptest.MustCall(t, cs, "describe_backend", map[string]any{}, &be)
			var offered []string
			for _, c := range be.Capabilities {
				if c.Available == (c.Reason != "") {
					t.Errorf("capability %+v: a reason exactly when unavailable", c)
				}
				if c.Available {
					offered = append(offered, c.Tools...)
				}
			}
			slices.Sort(offered)
			if !slices.Equal(offered, tc.tools) {
				t.Errorf("describe_backend offers %v, the server %v", offered, tc.tools)
			}
		})
	}
}
