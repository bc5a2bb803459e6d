package logsource

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/rampartdev/rampart/coldstart"
)

// fakeLogs speaks the CloudWatch Logs JSON protocol for FilterLogEvents:
// it serves the events of each log group in pages of pageSize, with
// pagination tokens, and records the requests.
type fakeLogs struct {
	t        *testing.T
	groups   map[string][]event
	pageSize int

	mu       sync.Mutex
	requests []filterRequest
}

type event struct {
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
	Stream    string `json:"logStreamName"`
}

type filterRequest struct {
	LogGroupName string `json:"logGroupName"`
	StartTime    *int64 `json:"startTime"`
	EndTime      *int64 `json:"endTime"`
	NextToken    string `json:"nextToken"`
}

func (f *fakeLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("X-Amz-Target"); got != "Logs_20140328.FilterLogEvents" {
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		f.t.Errorf("X-Amz-Target = %q", got)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		f.t.Errorf("request not signed: %q", r.Header.Get("Authorization"))
	}
	var req filterRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	events, ok := f.groups[req.LogGroupName]
	if !ok {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}`)
		return
	}
	var in []event
	for _, e := range events {
		if (req.StartTime == nil || e.Timestamp >= *req.StartTime) && (req.EndTime == nil || e.Timestamp <= *req.EndTime) {
			in = append(in, e)
		}
	}
	from := 0
	if req.NextToken != "" {
		from, _ = strconv.Atoi(strings.TrimPrefix(req.NextToken, "page-"))
	}
	to := min(from+f.pageSize, len(in))
	out := map[string]any{"events": in[from:to], "searchedLogStreams": []any{}}
	if to < len(in) {
		out["nextToken"] = fmt.Sprintf("page-%d", to)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func newFakeClient(t *testing.T, f *fakeLogs) *cloudwatchlogs.Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "eu-central-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   srv.Client(),
	})
}

// lambdaEvents returns n invocations of a function, one a minute from t0,
// the first one cold; CloudWatch messages end with a newline.
func lambdaEvents(t0 time.Time, n, memory int, version string) []event {
	var out []event
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Minute).UnixMilli()
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		if i == 0 {
			out = append(out, event{at - 1500, "INIT_START Runtime Version: provided:al2023.v92\n", "s1"})
		}
		out = append(out,
			event{at, fmt.Sprintf("START RequestId: %s Version: %s\n", id, version), "s1"},
			event{at + 1, fmt.Sprintf(`{"level":"INFO","msg":"working","requestId":"%s"}`+"\n", id), "s1"},
			event{at + 100, fmt.Sprintf("END RequestId: %s\n", id), "s1"})
		report := fmt.Sprintf("REPORT RequestId: %s\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: %d MB\tMax Memory Used: 50 MB\t", id, memory)
		if i == 0 {
			report = fmt.Sprintf("REPORT RequestId: %s\tDuration: 100.00 ms\tBilled Duration: 1600 ms\tMemory Size: %d MB\tMax Memory Used: 50 MB\tInit Duration: 1500.00 ms\t", id, memory)
		}
		out = append(out, event{at + 100, report + "\n", "s1"})
	}
	return out
}

func TestCloudWatch_twoGroupsPaginated(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	f := &fakeLogs{t: t, pageSize: 7, groups: map[string][]event{
		"/aws/lambda/checkout":   lambdaEvents(t0, 30, 1024, "$LATEST"),
		"/aws/lambda/thumbnails": lambdaEvents(t0, 12, 2048, "3"),
	}}
	var pages int
	src := &CloudWatch{
		Client:    newFakeClient(t, f),
		LogGroups: []string{"/aws/lambda/checkout", "/aws/lambda/thumbnails"},
		Start:     t0.Add(-time.Hour),
		End:       t0.Add(time.Hour),
		OnPage:    func(string, int64, time.Time) { pages++ },
	}
	rep, err := coldstart.Analyze(context.Background(), src, coldstart.Options{SkipPlan: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*coldstart.FunctionReport{}
	for _, fr := range rep.Functions {
		got[fr.Function] = fr
	}
	co, th := got["checkout"], got["thumbnails"]
	if len(got) != 2 || co == nil || th == nil {
		t.Fatalf("functions = %v", got)
	}
	if co.Invocations != 30 || co.MemoryMB != 1024 || co.Version != "$LATEST" || co.ColdStarts.OnDemand != 1 {
		t.Errorf("checkout = %d invocations, %d MB, version %s, %+v", co.Invocations, co.MemoryMB, co.Version, co.ColdStarts)
	}
	if th.Invocations != 12 || th.MemoryMB != 2048 || th.Version != "3" {
		t.Errorf("thumbnails = %d invocations, %d MB, version %s", th.Invocations, th.MemoryMB, th.Version)
	}
	// The first request arrived 1.5 s before its START, during the init.
	if co.Init.Max != 1500 || !co.First.Equal(t0.Add(-1500*time.Millisecond)) {
		t.Errorf("checkout init %+v, first %v", co.Init, co.First)
	}
	// 30 invocations are 121 events: 18 pages of 7; 12 are 49: 7 pages.
	if len(f.requests) != 18+7 || pages != 18+7 {
		t.Errorf("%d requests, %d pages; want 25", len(f.requests), pages)
	}
	for i, r := range f.requests {
		if r.StartTime == nil || *r.StartTime != t0.Add(-time.Hour).UnixMilli() || r.EndTime == nil {
			t.Errorf("request %d has no time range: %+v", i, r)
		}
		if (i == 0 || i == 18) != (r.NextToken == "") {
			t.Errorf("request %d token %q", i, r.NextToken)
		}
	}
	if rep.Input.Malformed != 0 || rep.Input.UnmatchedStarts != 0 {
		t.Errorf("input = %+v", rep.Input)
	}
}

func TestCloudWatch_timeRangeAndErrors(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	f := &fakeLogs{t: t, pageSize: 100, groups: map[string][]event{"/aws/lambda/checkout": lambdaEvents(t0, 30, 1024, "$LATEST")}}
	client := newFakeClient(t, f)
	src := &CloudWatch{Client: client, LogGroups: []string{"/aws/lambda/checkout"}, Start: t0.Add(10 * time.Minute), End: t0.Add(19*time.Minute + time.Second)}
	rep, err := coldstart.Analyze(context.Background(), src, coldstart.Options{SkipPlan: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Functions[0].Invocations; n != 10 {
		t.Errorf("invocations in range = %d, want 10", n)
	}
	src = &CloudWatch{Client: client, LogGroups: []string{"/aws/lambda/missing"}}
	_, err = coldstart.Analyze(context.Background(), src, coldstart.Options{SkipPlan: true})
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") || !strings.Contains(err.Error(), "/aws/lambda/missing") {
		t.Errorf("missing group: err = %v", err)
	}
}

func TestFunctionOfLogGroup(t *testing.T) {
	for in, want := range map[string]string{"/aws/lambda/checkout": "checkout", "/custom/group": "/custom/group", "/aws/lambda/": "/aws/lambda/"} {
		if got := FunctionOfLogGroup(in); got != want {
			t.Errorf("FunctionOfLogGroup(%q) = %q, want %q", in, got, want)
		}
	}
}

var _ io.Reader = (*pageReader)(nil)
