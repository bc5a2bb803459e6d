package logsource

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/internal/fakecwlogs"
)

// lambdaEvents returns n invocations of a function, one a minute from t0,
// the first one cold; CloudWatch messages end with a newline.
func lambdaEvents(t0 time.Time, n, memory int, version string) []fakecwlogs.Event {
	var out []fakecwlogs.Event
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Minute).UnixMilli()
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		if i == 0 {
			out = append(out, fakecwlogs.Event{Timestamp: at - 1500, Message: "INIT_START Runtime Version: provided:al2023.v92\n", Stream: "s1"})
		}
		out = append(out,
			fakecwlogs.Event{Timestamp: at, Message: fmt.Sprintf("START RequestId: %s Version: %s\n", id, version), Stream: "s1"},
			fakecwlogs.Event{Timestamp: at + 1, Message: fmt.Sprintf(`{"level":"INFO","msg":"working","requestId":"%s"}`+"\n", id), Stream: "s1"},
			fakecwlogs.Event{Timestamp: at + 100, Message: fmt.Sprintf("END RequestId: %s\n", id), Stream: "s1"})
		report := fmt.Sprintf("REPORT RequestId: %s\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: %d MB\tMax Memory Used: 50 MB\t", id, memory)
		if i == 0 {
			report = fmt.Sprintf("REPORT RequestId: %s\tDuration: 100.00 ms\tBilled Duration: 1600 ms\tMemory Size: %d MB\tMax Memory Used: 50 MB\tInit Duration: 1500.00 ms\t", id, memory)
		}
		out = append(out, fakecwlogs.Event{Timestamp: at + 100, Message: report + "\n", Stream: "s1"})
	}
	return out
}

func TestCloudWatch_twoGroupsPaginated(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	f := fakecwlogs.Start(t)
	f.PageSize = 7
	f.Add("/aws/lambda/checkout", lambdaEvents(t0, 30, 1024, "$LATEST")...)
	f.Add("/aws/lambda/thumbnails", lambdaEvents(t0, 12, 2048, "3")...)
	var pages int
	src := &CloudWatch{
		Client:    f.Client(),
		LogGroups: []string{"/aws/lambda/checkout", "/aws/lambda/thumbnails"},
		Start:     t0.Add(-time.Hour),
		End:       t0.Add(time.Hour),
		OnPage:    func(string, int64, time.Time) { pages++ },
	}
	rep, err := coldstart.Analyze(context.Background(), src, &coldstart.Options{SkipPlan: true})
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
	requests := f.Requests()
	if len(requests) != 18+7 || pages != 18+7 {
		t.Errorf("%d requests, %d pages; want 25", len(requests), pages)
	}
	for i, r := range requests {
		if !r.Signed {
			t.Errorf("request %d not signed", i)
		}
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
	// Log stream names reach the analysis: one environment each.
	if co.Environments != 1 || th.Environments != 1 || len(rep.Input.Shapes) != 2 || rep.Input.Shapes[0].Shape != coldstart.ShapeEventsJSON {
		t.Errorf("environments %d and %d, shapes %+v", co.Environments, th.Environments, rep.Input.Shapes)
	}
}

func TestCloudWatch_timeRangeAndErrors(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	f := fakecwlogs.Start(t)
	f.PageSize = 100
	f.Add("/aws/lambda/checkout", lambdaEvents(t0, 30, 1024, "$LATEST")...)
	client := f.Client()
	src := &CloudWatch{Client: client, LogGroups: []string{"/aws/lambda/checkout"}, Start: t0.Add(10 * time.Minute), End: t0.Add(19*time.Minute + time.Second)}
	rep, err := coldstart.Analyze(context.Background(), src, &coldstart.Options{SkipPlan: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Functions[0].Invocations; n != 10 {
		t.Errorf("invocations in range = %d, want 10", n)
	}
	src = &CloudWatch{Client: client, LogGroups: []string{"/aws/lambda/missing"}}
	_, err = coldstart.Analyze(context.Background(), src, &coldstart.Options{SkipPlan: true})
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
