package coldstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin even on a machine without zoneinfo
)

func MustAnalyzeFile(tb testing.TB, name, function string, opts Options) *Report {
	tb.Helper()
	f, err := os.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rep, err := Analyze(context.Background(), ReaderSource(name, function, f), &opts)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func TestAnalyze_textSample(t *testing.T) {
	rep := MustAnalyzeFile(t, "testdata/cloudwatch-export-text.log", "thumbnailer", Options{})
	if len(rep.Functions) != 1 {
		t.Fatalf("%d functions", len(rep.Functions))
	}
	f := rep.Functions[0]
	if f.Function != "thumbnailer" || f.Version != "$LATEST" || f.MemoryMB != 1024 {
		t.Errorf("key = %s %s %d", f.Function, f.Version, f.MemoryMB)
	}
	if f.Invocations != 3 || f.ColdStarts.OnDemand != 1 || f.Timeouts != 1 || f.ColdStarts.InitStarts != 1 {
		t.Errorf("invocations %d, cold %+v, timeouts %d", f.Invocations, f.ColdStarts, f.Timeouts)
	}
	if f.Init.Max != 2310.44 || f.Latency.Cold.Max != 2310.44+180.21 {
		t.Errorf("init %+v, cold latency %+v", f.Init, f.Latency.Cold)
	}
	if f.Billed.InitBilled != 1 {
		t.Errorf("init billed = %d, want 1 (Billed Duration 2491 ms covers the init)", f.Billed.InitBilled)
	}
	if f.ByHour[7].Invocations != 3 || f.ByHour[7].ColdStarts != 1 {
		t.Errorf("07:00 slot = %+v", f.ByHour[7])
	}
	if rep.Input.Malformed != 0 || rep.Input.UnmatchedStarts != 0 {
		t.Errorf("input = %+v", rep.Input)
	}
}

func TestAnalyze_jsonSample(t *testing.T) {
	rep := MustAnalyzeFile(t, "testdata/cloudwatch-export-json.log", "", Options{})
	// $LATEST and version 7 are kept apart.
	byVersion := map[string]*FunctionReport{}
	for _, f := range rep.Functions {
		if f.Function != "thumbnailer" {
			t.Errorf("function = %q, want the name from platform.initStart", f.Function)
		}
		byVersion[f.Version] = f
	}
	latest, v7 := byVersion["$LATEST"], byVersion["7"]
	if latest == nil || v7 == nil {
		t.Fatalf("versions = %v", byVersion)
	}
	if latest.Invocations != 2 || latest.ColdStarts.OnDemand != 1 || latest.Timeouts != 1 {
		t.Errorf("$LATEST: %d invocations, %+v, %d timeouts", latest.Invocations, latest.ColdStarts, latest.Timeouts)
	}
	if v7.Invocations != 1 || v7.ColdStarts.SnapStart != 1 || v7.Restore.Max != 211.3 {
		t.Errorf("7: %d invocations, %+v, restore %+v", v7.Invocations, v7.ColdStarts, v7.Restore)
	}
	if got := v7.Latency.Cold.Max; got != 189+211.3 {
		t.Errorf("SnapStart end-to-end latency = %v", got)
	}
	if v7.Billed.RestoreGBSeconds != 0.212 {
		t.Errorf("restore GB-s = %v", v7.Billed.RestoreGBSeconds)
	}
}

var (
	weekOnce  sync.Once
	weekLog   []byte
	weekStats GenerateStats

	weekReportOnce sync.Once
	weekReport     *Report
	weekReportErr  error
)

// weekReport analyses the synthetic week once (with the default options and
// a 1 s target) for the tests that only read the report.
func analyzedWeek(tb testing.TB) *Report {
	tb.Helper()
	data, _ := weekOfLogs(tb)
	weekReportOnce.Do(func() {
		weekReport, weekReportErr = Analyze(context.Background(), ReaderSource("week.log", "checkout", bytes.NewReader(data)), &Options{P99Target: time.Second})
	})
	if weekReportErr != nil {
		tb.Fatal(weekReportErr)
	}
	return weekReport
}

// testWeek is the synthetic morning-spike week of the tests: the default
// traffic shape at about a third of the default rates, so that the tests
// stay quick under the race detector.
var testWeek = GenerateConfig{Seed: 42, NightRate: 0.03, DayRate: 0.2, MorningBurstRate: 0.04}

// weekOfLogs is the synthetic morning-spike week, generated once.
func weekOfLogs(tb testing.TB) ([]byte, GenerateStats) {
	tb.Helper()
	weekOnce.Do(func() {
		var buf bytes.Buffer
		st, err := Generate(&buf, testWeek)
		if err != nil {
			tb.Fatal(err)
		}
		weekLog, weekStats = buf.Bytes(), st
	})
	return weekLog, weekStats
}

// TestAnalyze_morningSpike is the acceptance test: on the synthetic
// morning-spike week the analysis points at the morning window and
// recommends scheduled over always-on provisioned concurrency.
func TestAnalyze_morningSpike(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of logs")
	}
	_, st := weekOfLogs(t)
	rep := analyzedWeek(t)
	in := rep.Input
	if in.Lines != st.Lines || in.Bytes != st.Bytes {
		t.Errorf("read %d lines %d bytes, generated %d %d", in.Lines, in.Bytes, st.Lines, st.Bytes)
	}
	if in.Malformed != st.Truncated || in.UnmatchedStarts != st.Truncated {
		t.Errorf("malformed %d, unmatched starts %d; generated %d truncated REPORTs", in.Malformed, in.UnmatchedStarts, st.Truncated)
	}
	if len(rep.Functions) != 1 {
		t.Fatalf("%d functions", len(rep.Functions))
	}
	f := rep.Functions[0]
	if f.Invocations != st.Invocations-st.Truncated {
		t.Errorf("invocations = %d, want %d", f.Invocations, st.Invocations-st.Truncated)
	}
	// A truncated REPORT loses its cold start too, so allow that many.
	if d := st.ColdStarts - f.ColdStarts.OnDemand; d < 0 || d > st.Truncated {
		t.Errorf("on-demand cold starts = %d, generated %d", f.ColdStarts.OnDemand, st.ColdStarts)
	}
	if d := st.InitReruns - f.ColdStarts.InitRerun; d < 0 || d > st.Truncated {
		t.Errorf("init re-runs = %d, generated %d", f.ColdStarts.InitRerun, st.InitReruns)
	}
	hs := f.Hotspot
	if hs == nil || hs.StartHour != 7 || hs.EndHour != 10 || !hs.Weekdays || hs.Share < 0.5 {
		t.Fatalf("hotspot = %+v, want 07:00-10:00 on weekdays", hs)
	}
	p := f.Plan
	if p == nil || !p.TargetMet {
		t.Fatalf("plan = %+v", p)
	}
	rec := p.Options[p.Recommended]
	always := p.Cheapest("always-on")
	none := p.Options[0]
	if rec.Kind != "scheduled" || always == nil {
		for _, op := range p.Options {
			t.Logf("%s: $%.2f, worst-hour p99 %.0f", op.Name, op.MonthlyCost, op.WorstHourP99Ms)
		}
		t.Fatalf("recommended %q; cheapest always-on %+v", rec.Name, always)
	}
	if rec.MonthlyCost >= always.MonthlyCost {
		t.Errorf("scheduled $%.2f is not cheaper than always-on $%.2f", rec.MonthlyCost, always.MonthlyCost)
	}
	if none.MeetsTarget || none.WorstHourP99Ms <= 1000 {
		t.Errorf("no PC meets the target: %+v", none)
	}
	t.Logf("recommended %s: $%.2f/month, worst-hour p99 %.0f ms; %s: $%.2f; none: $%.2f, worst-hour p99 %.0f ms",
		rec.Name, rec.MonthlyCost, rec.WorstHourP99Ms, always.Name, always.MonthlyCost, none.MonthlyCost, none.WorstHourP99Ms)
	// The calibrated keep-alive model reproduces the observed cold starts
	// within 20% (the generator keeps environments 6 minutes).
	c := p.Calibration
	if d := float64(c.SimulatedColdStart-c.ObservedColdStarts) / float64(c.ObservedColdStarts); d < -0.2 || d > 0.2 {
		t.Errorf("calibration: %d simulated vs %d observed cold starts", c.SimulatedColdStart, c.ObservedColdStarts)
	}
	if p.Model.IdleTimeout < 5*time.Minute || p.Model.IdleTimeout > 7*time.Minute {
		t.Errorf("calibrated idle timeout = %v, want 5-7 min", p.Model.IdleTimeout)
	}
	var text bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"07:00-10:00 Monday to Friday", "<- recommended", "always-on PC of", "60%"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, text.String())
		}
	}
	// The report survives a JSON round trip.
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Functions[0].Plan.Options[back.Functions[0].Plan.Recommended].Name != rec.Name {
		t.Error("JSON round trip lost the recommendation")
	}
}

func TestAnalyze_malformedNeverFatal(t *testing.T) {
	log := strings.Join([]string{
		"2026-11-23T07:00:00.000Z START RequestId: a Version: 1",
		"2026-11-23T07:00:00.100Z REPORT RequestId: a\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB",
		"2026-11-23T07:00:01.000Z START RequestId: b Version: 1",
		"2026-11-23T07:00:01.100Z REPORT RequestId: b\tDuration: 100.00 ms\tBilled Dura",
		`{"time":"2026-11-23T07:00:02.000Z","type":"platform.report","record":{"requestId":"c","metrics":{"durationMs":1`,
		strings.Repeat("x", maxLineBytes+10),
		"2026-11-23T07:00:03.100Z REPORT RequestId: d\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB",
		"REPORT RequestId: e\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB",
		"2026-11-23T07:00:04.000Z START RequestId: f Version: 1", // no newline: truncated file
	}, "\n")
	rep, err := Analyze(context.Background(), ReaderSource("bad", "fn", strings.NewReader(log)), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := rep.Input
	if in.Malformed != 2 || in.Oversized != 1 || in.UnmatchedStarts != 2 || in.ReportsWithoutStart != 2 || in.UntimedReports != 1 {
		t.Errorf("input = %+v", in)
	}
	if len(in.MalformedSamples) != 2 {
		t.Errorf("samples = %q", in.MalformedSamples)
	}
	var n int64
	for _, f := range rep.Functions {
		n += f.Invocations
	}
	if n != 3 {
		t.Errorf("invocations = %d, want 3", n)
	}
}

func TestAnalyze_evictsLostStarts(t *testing.T) {
	// STARTs whose REPORT never comes, over ten hours, must not pile up.
	var b strings.Builder
	t0 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	const n, every = 100000, 1 << 14
	for i := range n {
		at := t0.Add(time.Duration(i) * 35 * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		fmt.Fprintf(&b, "%s START RequestId: r%d Version: 1\n", at, i)
		if i%100 == 0 {
			fmt.Fprintf(&b, "%s REPORT RequestId: r%d\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\n", at, i)
		}
	}
	a := newAnalyzer(&Options{})
	opts := Options{}
	if err := opts.defaults(); err != nil {
		t.Fatal(err)
	}
	a.opts = &opts
	a.clock = newWallClock(nil)
	a.evictEvery = every
	if err := a.stream(context.Background(), Stream{Name: "lost", Function: "f", R: strings.NewReader(b.String())}); err != nil {
		t.Fatal(err)
	}
	// What is left is the last 20 minutes (34,286 STARTs) plus the lines
	// read since the last eviction.
	if a.open.len() > 34286+every {
		t.Errorf("%d open invocations kept; eviction does not work", a.open.len())
	}
	if a.in.UnmatchedStarts < 50000 {
		t.Errorf("%d unmatched STARTs counted", a.in.UnmatchedStarts)
	}
}

func TestAnalyze_errors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Analyze(ctx, ReaderSource("x", "", strings.NewReader("")), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if _, err := Analyze(context.Background(), ReaderSource("x", "", strings.NewReader("hello\n")), nil); !errors.Is(err, ErrNoInvocations) {
		t.Errorf("no invocations: err = %v", err)
	}
	if _, err := Analyze(context.Background(), ReaderSource("x", "", strings.NewReader("")), &Options{Region: "mars-1"}); !errors.Is(err, ErrNoPrices) {
		t.Errorf("unknown region: err = %v", err)
	}
}

func TestAnalyze_timezone(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	rep := MustAnalyzeFile(t, "testdata/cloudwatch-export-text.log", "thumbnailer", Options{Location: loc, SkipPlan: true})
	if got := rep.Functions[0].ByHour[8].Invocations; got != 3 { // 07:00 UTC is 08:00 in Berlin in November
		t.Errorf("08:00 Berlin has %d invocations, want 3", got)
	}
}

// TestAnalyze_filesOfDifferentPeriods: a file from an earlier period read
// after a later one keeps its invocations (each stream has its own clock).
func TestAnalyze_filesOfDifferentPeriods(t *testing.T) {
	mk := func(day int, n int) string {
		var b strings.Builder
		t0 := time.Date(2026, 11, day, 7, 0, 0, 0, time.UTC)
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Second)
			fmt.Fprintf(&b, "%s START RequestId: d%d-%d Version: 1\n", at.Format("2006-01-02T15:04:05.000Z"), day, i)
			fmt.Fprintf(&b, "%s REPORT RequestId: d%d-%d\tDuration: 10.00 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\n", at.Add(10*time.Millisecond).Format("2006-01-02T15:04:05.000Z"), day, i)
		}
		return b.String()
	}
	a := newAnalyzer(&Options{})
	opts := Options{}
	if err := opts.defaults(); err != nil {
		t.Fatal(err)
	}
	a.opts, a.clock, a.evictEvery = &opts, newWallClock(nil), 64
	for _, s := range []Stream{{Name: "late", Function: "f", R: strings.NewReader(mk(20, 500))}, {Name: "early", Function: "f", R: strings.NewReader(mk(3, 500))}} {
		if err := a.stream(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	if a.in.UnmatchedStarts != 0 {
		t.Errorf("%d STARTs of the earlier file were dropped", a.in.UnmatchedStarts)
	}
	var n int64
	for _, g := range a.aggs {
		n += g.n
	}
	if n != 1000 {
		t.Errorf("invocations = %d, want 1000", n)
	}
}

// TestEnvOf_manyLogStreams feeds one stream more log streams than it
// remembers, all of them recent: each is counted once, and passing the
// bound forgets the longer idle half at once, not one environment per new
// log stream (a scan of every remembered one each time: 300,000 log
// streams in an hour took minutes to read).
func TestEnvOf_manyLogStreams(t *testing.T) {
	var a analyzer
	st := &streamState{}
	const n = maxEnvs + 1000
	for i := range n {
		st.maxTime = int64(i) // one a millisecond: none idle 20 minutes
		a.envOf(st, &record{stream: fmt.Appendf(nil, "2026/11/23/[$LATEST]%032x", i)}).seen = st.maxTime
	}
	if st.streamEnv != n {
		t.Errorf("%d environments counted, want %d", st.streamEnv, n)
	}
	if len(st.envs) > maxEnvs/2+1000 {
		t.Errorf("%d environments remembered after %d, want at most %d", len(st.envs), n, maxEnvs/2+1000)
	}
	for i := n - 1000; i < n; i++ { // the newest are still known
		if e := st.envs[fmt.Sprintf("2026/11/23/[$LATEST]%032x", i)]; e == nil {
			t.Fatalf("log stream %d forgotten", i)
		}
	}
}
