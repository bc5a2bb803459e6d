package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/devserver/devservertest"
	"github.com/rampartdev/rampart/inspect/local/localtest"
	"github.com/rampartdev/rampart/internal/mcptest"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/dynamorecords"
)

func TestMCP_usage(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--http", "0.0.0.0:1"}, {"--http", "example.com:80"}} {
		var u usageError
		if err := runMCP(t.Context(), args, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &u) {
			t.Errorf("rampart mcp %v: %v, want a usage error", args, err)
		}
	}
}

func TestMCP_http(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	stderr := &testingutil.Buffer{} // written by runMCP while the test reads it
	go func() { done <- runMCP(ctx, []string{"--data", dir, "--http", addr}, &bytes.Buffer{}, stderr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("rampart mcp --http: %v", err)
		}
	}()
	cs := connectMCPHTTP(t, ctx, addr, stderr)
	defer cs.Close()
	var logs map[string]any
	mcptest.MustCall(t, cs, "query_logs", map[string]any{"request_id": f.RequestID}, &logs)
	if b, _ := json.Marshal(logs); !strings.Contains(string(b), "object rejected") {
		t.Fatalf("query_logs over HTTP: %s", b)
	}
	// A page on another site (Origin) or under a rebound name (Host) is
	// refused with a JSON 403 before the MCP handler sees the request.
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"evil","version":"1"}}}`
	for _, h := range []map[string]string{{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Host": "evil.example:" + addr[strings.LastIndexByte(addr, ':')+1:]}} {
		req, _ := http.NewRequest("POST", "http://"+addr, strings.NewReader(initialize))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range h {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || !json.Valid(body) || !strings.Contains(string(body), "error") {
			t.Errorf("%v: %d %s, want 403 with a JSON error", h, res.StatusCode, body)
		}
	}
	// Over HTTP a client must not read files outside the cold-start folder.
	if msg := mcptest.Call(t, cs, "analyze_cold_starts", map[string]any{"paths": []string{"/etc/passwd"}}, nil); !strings.Contains(msg, "is not a log file inside") || !strings.Contains(msg, filepath.Join(dir, "coldstart")) {
		t.Fatalf("analyze_cold_starts of /etc/passwd over HTTP: tool error %q, want a refusal naming the allowed folder", msg)
	}
}

// clientResult is what testdata/client/client.mjs prints.
type clientResult struct {
	Server  struct{ Name, Version string }
	Tools   []string
	Results []struct {
		Name       string
		IsError    bool
		Structured json.RawMessage
		Text       string
	}
}

// TestMCP_endToEnd runs a real MCP client from npm (the official TypeScript
// SDK) that spawns the built rampart binary over stdio, against the state a
// running devserver left: it asks which uploads in the last hour were
// rejected and why, and what the rejected upload's request logged.
func TestMCP_endToEnd(t *testing.T) {
	node := testenv.Command(t, "node")
	goBin := testenv.Command(t, "go")
	clientDir, _ := filepath.Abs("../../mcpserver/testdata/client")
	if out, err := exec.Command(node, "-e", "require.resolve('@modelcontextprotocol/sdk/package.json', {paths: ['"+clientDir+"']})").CombinedOutput(); err != nil {
		testenv.Missing(t, fmt.Sprintf("npm client not installed (npm ci in %s): %s", clientDir, out))
	}
	bin := rampartBinary(t, goBin)

	dir := t.TempDir()
	s := devservertest.MustOpen(t, dir)
	const reqID = "E2EREJECTED00001"
	if _, _, err := s.Upload(t.Context(), "uploads/notes.jpg", strings.NewReader("this is not an image"), "image/jpeg", reqID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Upload(t.Context(), "uploads/ok.jpg", bytes.NewReader(localtest.JPEG(t, 320, 200)), "image/jpeg", "E2EGOOD000000001"); err != nil {
		t.Fatal(err)
	}
	rejected := devservertest.WaitFinal(t, s, media.ID(devserver.DefaultBucket, "uploads/notes.jpg"))
	if rejected.Status != media.StatusRejected {
		t.Fatalf("not-an-image upload: %+v", rejected)
	}
	devservertest.WaitFinal(t, s, media.ID(devserver.DefaultBucket, "uploads/ok.jpg"))

	calls, _ := json.Marshal([]map[string]any{
		{"name": "list_media", "arguments": map[string]any{"status": "rejected", "since_minutes": 60}},
		{"name": "query_logs", "arguments": map[string]any{"request_id": reqID}},
		{"name": "get_media", "arguments": map[string]any{"key": "uploads/ok.jpg"}},
		{"name": "queue_status"},
		{"name": "list_media", "arguments": map[string]any{"status": "nonsense"}},
	})
	cmd := exec.Command(node, filepath.Join(clientDir, "client.mjs"), bin, dir, string(calls))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, stderr.String())
	}
	t.Logf("client output: %.2000s", out)
	var res clientResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("client output %q: %v", out, err)
	}
	if res.Server.Name != "rampart" || len(res.Tools) != 11 {
		t.Fatalf("server %+v, tools %v", res.Server, res.Tools)
	}
	var list struct {
		Records []media.Record `json:"records"`
	}
	json.Unmarshal(res.Results[0].Structured, &list)
	if res.Results[0].IsError || len(list.Records) != 1 || list.Records[0].Key != "uploads/notes.jpg" || list.Records[0].Reason == "" {
		t.Fatalf("rejected in the last hour: %+v", res.Results[0])
	}
	var logs struct {
		Lines []struct {
			Msg           string `json:"msg"`
			CorrelationID string `json:"correlationId"`
		} `json:"lines"`
	}
	json.Unmarshal(res.Results[1].Structured, &logs)
	if len(logs.Lines) < 2 || logs.Lines[0].Msg != "object uploaded" {
		t.Fatalf("everything %s logged: %s", reqID, res.Results[1].Structured)
	}
	for _, l := range logs.Lines {
		if l.CorrelationID != reqID {
			t.Fatalf("line of another request: %+v", l)
		}
	}
	if r := res.Results[2]; r.IsError || !strings.Contains(string(r.Structured), `"derived/256/uploads/ok.jpg"`) {
		t.Fatalf("get_media: %+v", r)
	}
	if r := res.Results[3]; r.IsError || !strings.Contains(string(r.Structured), `"deadLetters":0`) {
		t.Fatalf("queue_status: %+v", r)
	}
	if r := res.Results[4]; !r.IsError || !strings.Contains(r.Text, "unknown status") {
		t.Fatalf("bad input: %+v", r)
	}
}

func TestMCP_awsUsage(t *testing.T) {
	t.Setenv("MEDIA_BUCKET", "")
	t.Setenv("MEDIA_TABLE", "")
	t.Setenv("IDEMPOTENCY_TABLE", "")
	for _, args := range [][]string{{"--media-table", "t"}, {"--log-group", "/aws/lambda/x"}, {"--aws"}, {"--aws", "--data", "x", "--media-table", "t"}} {
		var u usageError
		if err := runMCP(t.Context(), args, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &u) {
			t.Errorf("rampart mcp %v: %v, want a usage error", args, err)
		}
	}
}

// TestMCP_aws serves the AWS read model over streamable HTTP, with the
// media table on the local DynamoDB-compatible server (--endpoint-url)
// named by MEDIA_TABLE, and asks for rejected uploads and for logs, which
// are not configured.
func TestMCP_aws(t *testing.T) {
	endpoint := testenv.DynamoDBEndpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	table := fmt.Sprintf("mcp-media-%d", time.Now().UnixNano())
	t.Setenv("MEDIA_TABLE", table)
	ddb := dynamodb.New(dynamodb.Options{Region: "eu-central-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	if err := dynamorecords.CreateTable(t.Context(), ddb, table); err != nil {
		t.Fatal(err)
	}
	defer ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	now := time.Now().UTC()
	recs := dynamorecords.New(ddb, table)
	id := media.ID("b", "uploads/notes.txt")
	c := media.Claim{ID: id, Bucket: "b", Key: "uploads/notes.txt", Sequencer: "01", Owner: "o", CorrelationID: "REQ1", Now: now, Until: now.Add(time.Minute)}
	if err := recs.Claim(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if err := recs.Commit(t.Context(), media.Record{ID: id, Bucket: "b", Key: c.Key, Sequencer: "01", Owner: "o", Status: media.StatusRejected,
		Reason: "unsupported image format: text/plain", CorrelationID: "REQ1", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}

	cs, _ := serveMCPHTTP(t, "--aws", "--endpoint-url", endpoint)
	var media map[string]any
	mcptest.MustCall(t, cs, "list_media", map[string]any{"status": "rejected", "since_minutes": 60}, &media)
	if b, _ := json.Marshal(media); !strings.Contains(string(b), "unsupported image format") {
		t.Fatalf("list_media: %s", b)
	}
	if msg := mcptest.Call(t, cs, "query_logs", map[string]any{"request_id": "REQ1"}, nil); !strings.Contains(msg, "--log-group") {
		t.Fatalf("query_logs without log groups: tool error %q, want one naming --log-group", msg)
	}
}

// TestMCP_awsStack: with --stack, the media table comes from the
// CloudFormation stack's outputs, not from MEDIA_TABLE. One endpoint
// answers DescribeStacks and passes everything else to the local
// DynamoDB-compatible server.
func TestMCP_awsStack(t *testing.T) {
	ddbURL := testenv.DynamoDBEndpoint(t)
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-central-1",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true", "MEDIA_TABLE": "not-this-one"} {
		t.Setenv(k, v)
	}
	table := fmt.Sprintf("mcp-stack-media-%d", time.Now().UnixNano())
	ddb := dynamodb.New(dynamodb.Options{Region: "eu-central-1", BaseEndpoint: aws.String(ddbURL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	if err := dynamorecords.CreateTable(t.Context(), ddb, table); err != nil {
		t.Fatal(err)
	}
	defer ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	now := time.Now().UTC()
	id := media.ID("b", "uploads/stack.txt")
	recs := dynamorecords.New(ddb, table)
	if err := recs.Claim(t.Context(), media.Claim{ID: id, Bucket: "b", Key: "uploads/stack.txt", Sequencer: "01", Owner: "o", Now: now, Until: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := recs.Commit(t.Context(), media.Record{ID: id, Bucket: "b", Key: "uploads/stack.txt", Sequencer: "01", Owner: "o",
		Status: media.StatusRejected, Reason: "named by the stack", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(ddbURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "" {
			proxy.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") != "DescribeStacks" || form.Get("StackName") != "rampart-media-dev" {
			http.Error(w, "unexpected "+string(body), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>rampart-media-dev</StackName><StackId>arn:aws:cloudformation:eu-central-1:123456789012:stack/rampart-media-dev/1</StackId>
<StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-12-01T10:00:00Z</CreationTime><Outputs>
<member><OutputKey>MediaTableName</OutputKey><OutputValue>%s</OutputValue></member></Outputs></member></Stacks></DescribeStacksResult>
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`, table)
	}))
	defer srv.Close()

	cs, _ := serveMCPHTTP(t, "--aws", "--stack", "rampart-media-dev", "--endpoint-url", srv.URL)
	var media map[string]any
	mcptest.MustCall(t, cs, "list_media", map[string]any{"status": "rejected", "since_minutes": 60}, &media)
	if b, _ := json.Marshal(media); !strings.Contains(string(b), "named by the stack") {
		t.Fatalf("list_media read another table: %s", b)
	}
}

// TestMCP_inspector drives the built rampart with the MCP Inspector's CLI
// mode (pinned in mcpserver/testdata/inspector): it fills both tools that
// take arrays from its --tool-arg syntax. (mcpserver's TestTools_schemas
// checks that those arrays have plain "array" schemas.)
func TestMCP_inspector(t *testing.T) {
	t.Parallel() // waits on sleeps and child processes more than it computes
	node := testenv.Command(t, "node")
	goBin := testenv.Command(t, "go")
	dir, _ := filepath.Abs("../../mcpserver/testdata/inspector")
	launcher := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js")
	if _, err := os.Stat(launcher); err != nil {
		testenv.Missing(t, fmt.Sprintf("MCP Inspector not installed (npm ci in %s)", dir))
	}
	bin := rampartBinary(t, goBin)
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "coldstart"), 0o755); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(data, "coldstart", "week.log")
	if b, err := os.ReadFile("../../coldstart/testdata/cloudwatch-export-text.log"); err != nil || os.WriteFile(logFile, b, 0o644) != nil {
		t.Fatal(err)
	}
	inspect := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(node, append([]string{launcher, "--cli", bin, "mcp", "--data", data, "--allow-writes"}, args...)...)
		cmd.Env = append(os.Environ(), "MCP_CATALOG_PATH="+filepath.Join(t.TempDir(), "catalog.json"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("inspector %v: %v\n%s", args, err, out)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("inspector %v: %q: %v", args, out, err)
		}
		return m
	}
	res := inspect("--method", "tools/call", "--tool-name", "analyze_cold_starts", "--tool-arg", `paths=["`+logFile+`"]`)
	if res["isError"] == true || !strings.Contains(fmt.Sprint(res["structuredContent"]), "invocations:3") {
		t.Errorf("analyze_cold_starts through the Inspector: %v", res)
	}
	res = inspect("--method", "tools/call", "--tool-name", "redrive_dead_letters", "--tool-arg", `ids=["NOSUCHID"]`)
	if res["isError"] == true || !strings.Contains(fmt.Sprint(res["structuredContent"]), "1 requested ids") {
		t.Errorf("redrive_dead_letters through the Inspector: %v", res)
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// rampartBinary builds rampart once for the tests that run it as a process.
func rampartBinary(t *testing.T, goBin string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rampart-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "rampart")
		if out, err := exec.Command(goBin, "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// serveMCPHTTP runs rampart mcp with args over streamable HTTP on a free
// loopback port until the test ends, and returns a connected client and the
// address.
func serveMCPHTTP(t *testing.T, args ...string) (*mcp.ClientSession, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	stderr := &testingutil.Buffer{} // written by runMCP while the test may read it
	go func() { done <- runMCP(ctx, append(args, "--http", addr), &bytes.Buffer{}, stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("rampart mcp %v: %v\n%s", args, err, stderr.String())
		}
	})
	cs := connectMCPHTTP(t, ctx, addr, stderr)
	t.Cleanup(func() { cs.Close() })
	return cs, addr
}

// connectMCPHTTP connects to the rampart mcp --http starting on addr,
// retrying while it is not yet listening (a bound on a hang, not a margin:
// a loaded machine may take seconds to open the data folder).
func connectMCPHTTP(t *testing.T, ctx context.Context, addr string, stderr fmt.Stringer) *mcp.ClientSession {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "http://" + addr}, nil)
		if err == nil {
			return cs
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("connect: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMCP_httpAllowHostAndSlowBodies: a name added with --allow-host is
// served (the SDK's own Host check knows only loopback names), and a
// request body that stops arriving closes its connection, while an event
// stream stays open however long it lasts.
func TestMCP_httpAllowHostAndSlowBodies(t *testing.T) {
	defer func(d time.Duration) { mcpBodyReadTimeout = d }(mcpBodyReadTimeout)
	mcpBodyReadTimeout = 500 * time.Millisecond
	dir, _ := localtest.MustFixture(t)
	_, addr := serveMCPHTTP(t, "--data", dir, "--allow-host", "devbox.test")
	port := addr[strings.LastIndexByte(addr, ':')+1:]

	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest("POST", "http://"+addr, strings.NewReader(initialize))
	req.Host = "devbox.test:" + port
	req.Header.Set("Origin", "http://devbox.test:"+port)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	session := res.Header.Get("Mcp-Session-Id")
	if res.StatusCode != http.StatusOK || session == "" {
		t.Fatalf("initialize with Host devbox.test (--allow-host): %d %s", res.StatusCode, body)
	}

	// A body that stops after its first byte.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{", addr)
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Errorf("a body stalled for %s: the connection is still open after %s (%v)", mcpBodyReadTimeout, time.Since(start).Round(time.Millisecond), err)
	}

	// The session's event stream outlives the body timeout.
	stream, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	fmt.Fprintf(stream, "GET / HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nMcp-Session-Id: %s\r\nMcp-Protocol-Version: 2025-06-18\r\n\r\n", addr, session)
	br := bufio.NewReader(stream)
	stream.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("GET event stream: %q %v", status, err)
	}
	stream.SetReadDeadline(time.Now().Add(4 * mcpBodyReadTimeout))
	for {
		if _, err = br.ReadByte(); err != nil {
			break
		}
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("the event stream ended after the body timeout: %v", err)
	}
}
