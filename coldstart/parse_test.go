package coldstart

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	ts := func(s string) int64 {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UnixMilli()
	}
	tests := []struct {
		name string
		line string
		kind LineKind
		want Event // only the fields set are compared
	}{
		{"text init start", "2026-11-23T07:00:00.120Z INIT_START Runtime Version: provided:al2023.v92\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:0a25", LinePlatform,
			Event{Type: EventInitStart, Time: ts("2026-11-23T07:00:00.120Z")}},
		{"text start", "2026-11-23T07:00:02.431Z START RequestId: 8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b Version: $LATEST", LinePlatform,
			Event{Type: EventStart, RequestID: []byte("8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b"), Version: []byte("$LATEST")}},
		{"text end", "2026-11-23T07:00:02.611Z END RequestId: 8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b", LinePlatform,
			Event{Type: EventEnd, RequestID: []byte("8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b")}},
		{"text report cold", "2026-11-23T07:00:02.611Z REPORT RequestId: 8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b\tDuration: 180.21 ms\tBilled Duration: 2491 ms\tMemory Size: 1024 MB\tMax Memory Used: 96 MB\tInit Duration: 2310.44 ms\t", LinePlatform,
			Event{Type: EventReport, DurationMs: 180.21, BilledDurationMs: 2491, MemoryMB: 1024, MaxMemoryUsedMB: 96, InitDurationMs: 2310.44}},
		{"text report xray", "2026-11-23T07:00:03.190Z REPORT RequestId: 0b1c2d3e-4f5a-4b6c-8d7e-8f9a0b1c2d3e\tDuration: 187.90 ms\tBilled Duration: 188 ms\tMemory Size: 1024 MB\tMax Memory Used: 97 MB\tXRAY TraceId: 1-6923a1b3-1a2b3c4d5e6f7a8b9c0d1e2f\tSegmentId: 4a5b6c7d8e9f0a1b\tSampled: true\t", LinePlatform,
			Event{Type: EventReport, DurationMs: 187.90, BilledDurationMs: 188, MemoryMB: 1024}},
		{"text report timeout", "2026-11-23T07:01:03.501Z REPORT RequestId: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f\tDuration: 30000.00 ms\tBilled Duration: 30000 ms\tMemory Size: 1024 MB\tMax Memory Used: 140 MB\tStatus: timeout", LinePlatform,
			Event{Type: EventReport, DurationMs: 30000, Status: []byte("timeout")}},
		{"text report snapstart", "REPORT RequestId: 2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a\tDuration: 189.00 ms\tBilled Duration: 190 ms\tMemory Size: 512 MB\tMax Memory Used: 92 MB\tRestore Duration: 211.30 ms\tBilled Restore Duration: 212 ms\t", LinePlatform,
			Event{Type: EventReport, MemoryMB: 512, RestoreDurationMs: 211.30, BilledRestoreMs: 212}},
		{"text report error type", "REPORT RequestId: abc\tDuration: 10.00 ms\tBilled Duration: 11 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: error\tError Type: Runtime.ExitError", LinePlatform,
			Event{Type: EventReport, Status: []byte("error"), ErrorType: []byte("Runtime.ExitError")}},
		{"text init report rerun", "INIT_REPORT Init Duration: 1200.50 ms\tPhase: invoke\tStatus: success", LinePlatform,
			Event{Type: EventInitReport, DurationMs: 1200.5, Phase: PhaseInvoke, Status: []byte("success")}},
		{"text init report failure", "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout", LinePlatform,
			Event{Type: EventInitReport, DurationMs: 10000, Phase: PhaseInit, Status: []byte("timeout")}},
		{"text restore report", "RESTORE_REPORT Restore Duration: 211.30 ms", LinePlatform,
			Event{Type: EventRestoreReport, DurationMs: 211.3, InitType: InitSnapStart}},
		{"json init start", `2026-11-23T07:00:00.120Z {"time":"2026-11-23T07:00:00.120Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"provided:al2023.v92","functionName":"thumbnailer","functionVersion":"$LATEST"}}`, LinePlatform,
			Event{Type: EventInitStart, InitType: InitOnDemand, FunctionName: []byte("thumbnailer"), Version: []byte("$LATEST"), JSON: true}},
		{"json provisioned init", `{"time":"2026-11-23T06:55:00.000Z","type":"platform.initStart","record":{"initializationType":"provisioned-concurrency","phase":"init","functionName":"f","functionVersion":"3"}}`, LinePlatform,
			Event{Type: EventInitStart, InitType: InitProvisioned, Time: ts("2026-11-23T06:55:00.000Z")}},
		{"json init report", `{"time":"2026-11-23T07:00:02.430Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"success","metrics":{"durationMs":2310.44}}}`, LinePlatform,
			Event{Type: EventInitReport, DurationMs: 2310.44, Status: []byte("success")}},
		{"json start", `2026-11-23T07:00:02.431Z {"time":"2026-11-23T07:00:02.431Z","type":"platform.start","record":{"requestId":"8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b","version":"$LATEST"}}`, LinePlatform,
			Event{Type: EventStart, RequestID: []byte("8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b"), Version: []byte("$LATEST")}},
		{"json report restore", `{"time":"2026-11-23T07:05:00.402Z","type":"platform.report","record":{"requestId":"2d3e","status":"success","metrics":{"durationMs":189.0,"billedDurationMs":190,"memorySizeMB":1024,"maxMemoryUsedMB":92,"restoreDurationMs":211.3,"billedRestoreDurationMs":212}}}`, LinePlatform,
			Event{Type: EventReport, DurationMs: 189, BilledDurationMs: 190, RestoreDurationMs: 211.3, BilledRestoreMs: 212, Time: ts("2026-11-23T07:05:00.402Z")}},
		{"json report timeout", `{"time":"2026-11-23T07:06:30.001Z","type":"platform.report","record":{"requestId":"3e4f","status":"timeout","errorType":"Sandbox.Timedout","metrics":{"durationMs":30000.0,"billedDurationMs":30000,"memorySizeMB":1024,"maxMemoryUsedMB":141}}}`, LinePlatform,
			Event{Type: EventReport, Status: []byte("timeout"), ErrorType: []byte("Sandbox.Timedout")}},
		{"json report other key order and spaces", `{"type": "platform.report", "record": {"metrics": {"memorySizeMB": 256, "billedDurationMs": 5, "durationMs": 4.5}, "requestId": "x\"y"}, "time": "2026-11-23T07:06:30.001Z"}`, LinePlatform,
			Event{Type: EventReport, DurationMs: 4.5, MemoryMB: 256, RequestID: []byte(`x\"y`)}},
		{"json restore report", `{"time":"2026-11-23T07:05:00.212Z","type":"platform.restoreReport","record":{"status":"success","metrics":{"durationMs":211.3}}}`, LinePlatform,
			Event{Type: EventRestoreReport, DurationMs: 211.3, InitType: InitSnapStart}},
		{"json runtimeDone ignored", `{"time":"2026-11-23T07:05:00.212Z","type":"platform.runtimeDone","record":{"requestId":"a","status":"success"}}`, LineOther, Event{}},
		{"json app line", `2026-11-23T07:00:02.433Z {"time":"2026-11-23T07:00:02.433Z","level":"INFO","msg":"processing","requestId":"8f5a"}`, LineOther, Event{}},
		{"text app line", "2026-11-23T07:00:02.433Z\t8f5a\tINFO\tSTART of batch", LineOther, Event{}},
		{"app line like a prefix", "STARTED worker", LineOther, Event{}},
		{"empty", "", LineOther, Event{}},
		{"truncated text report", "2026-11-23T07:00:02.611Z REPORT RequestId: 8f5a\tDuration: 180.21 ms\tBilled Duration: 2491 ms\tMemory Si", LineMalformed, Event{}},
		{"text report bad number", "REPORT RequestId: a\tDuration: 1x0 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB", LineMalformed, Event{}},
		{"text start without id", "START RequestId: ", LineMalformed, Event{}},
		{"truncated json report", `{"time":"2026-11-23T07:06:30.001Z","type":"platform.report","record":{"requestId":"3e4f","status":"timeout","metrics":{"durationMs":30000.0,"billedDurationMs":30`, LineMalformed, Event{}},
		{"json report cut in type", `{"time":"2026-11-23T07:06:30.001Z","type":"platform.rep`, LineMalformed, Event{}},
		{"json report missing memory", `{"time":"2026-11-23T07:06:30.001Z","type":"platform.report","record":{"requestId":"3e4f","metrics":{"durationMs":1,"billedDurationMs":2}}}`, LinePlatform,
			Event{Type: EventReport, DurationMs: 1, BilledDurationMs: 2}},
		{"json timeout with only a duration", `{"time":"2026-11-23T07:06:30.001Z","type":"platform.report","record":{"requestId":"3e4f","status":"timeout","metrics":{"durationMs":3000.0}}}`, LinePlatform,
			Event{Type: EventReport, DurationMs: 3000, Status: []byte("timeout")}},
		{"json report missing duration", `{"time":"2026-11-23T07:06:30.001Z","type":"platform.report","record":{"requestId":"3e4f","metrics":{"billedDurationMs":2,"memorySizeMB":128}}}`, LineMalformed, Event{}},
		{"json report missing request id", `{"time":"2026-11-23T07:06:30.001Z","type":"platform.report","record":{"metrics":{"durationMs":2}}}`, LineMalformed, Event{}},
		{"json report zero memory", `{"time":"2026-11-23T07:06:30.001Z","type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":2,"memorySizeMB":0}}}`, LineMalformed, Event{}},
		{"json report null metric", `{"type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":2,"initDurationMs":null}}}`, LinePlatform, Event{Type: EventReport, DurationMs: 2}},
		{"json pretty-printed", "{\n    \"time\": \"2026-11-23T07:06:30.001Z\",\n    \"type\": \"platform.report\",\n    \"record\": {\n        \"requestId\": \"p1\",\n        \"metrics\": {\n            \"durationMs\": 12.5,\n            \"billedDurationMs\": 13,\n            \"memorySizeMB\": 512,\n            \"maxMemoryUsedMB\": 80\n        }\n    }\n}", LinePlatform,
			Event{Type: EventReport, DurationMs: 12.5, MemoryMB: 512, RequestID: []byte("p1"), Time: ts("2026-11-23T07:06:30.001Z")}},
		{"text report spaces", "REPORT RequestId: s1 Duration: 3.46 ms Billed Duration: 4 ms Memory Size: 128 MB Max Memory Used: 38 MB", LinePlatform,
			Event{Type: EventReport, RequestID: []byte("s1"), DurationMs: 3.46, BilledDurationMs: 4, MemoryMB: 128, MaxMemoryUsedMB: 38}},
		{"text report init first, runs of spaces", "REPORT RequestId: s2  Init Duration: 212.31 ms  Duration: 3.46 ms  Billed Duration: 216 ms  Memory Size: 128 MB  Max Memory Used: 38 MB", LinePlatform,
			Event{Type: EventReport, RequestID: []byte("s2"), InitDurationMs: 212.31, DurationMs: 3.46, BilledDurationMs: 216}},
		{"text report x-ray continuation joined", "REPORT RequestId: x1\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\nXRAY TraceId: 1-abc\tSegmentId: 4a5b\tSampled: true\t\n", LinePlatform,
			Event{Type: EventReport, RequestID: []byte("x1"), DurationMs: 2, MaxMemoryUsedMB: 40}},
		{"text report unit without space", "REPORT RequestId: u1\tDuration: 2.00ms\tBilled Duration: 2ms\tMemory Size: 128MB\tMax Memory Used: 40MB", LinePlatform,
			Event{Type: EventReport, DurationMs: 2, MemoryMB: 128}},
		{"text report wrong unit", "REPORT RequestId: u2\tDuration: 2.00 s\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB", LineMalformed, Event{}},
		{"text report empty id", "REPORT RequestId: \tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB", LineMalformed, Event{}},
		{"serverless start", "START - 8f5a1b2c - Version: $LATEST", LinePlatform, Event{Type: EventStart, RequestID: []byte("8f5a1b2c"), Version: []byte("$LATEST")}},
		{"serverless report joined", "REPORT - 8f5a1b2c\tDuration: 180.21 ms\tBilled Duration: 2491 ms\tMemory Size: 1024 MB\tMax Memory Used: 96 MB\tInit Duration: 2310.44 ms\t", LinePlatform,
			Event{Type: EventReport, RequestID: []byte("8f5a1b2c"), InitDurationMs: 2310.44}},
		{"aws logs tail prefix", "2026-11-23T07:00:02.611000+00:00 2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef REPORT RequestId: t1\tDuration: 180.21 ms\tBilled Duration: 181 ms\tMemory Size: 1024 MB\tMax Memory Used: 96 MB", LinePlatform,
			Event{Type: EventReport, RequestID: []byte("t1"), Time: ts("2026-11-23T07:00:02.611Z"), LogStream: []byte("2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef")}},
		{"sam logs prefix", "2026/11/23/[$LATEST]0123 2026-11-23T07:00:02.611000 START RequestId: t2 Version: $LATEST", LinePlatform,
			Event{Type: EventStart, RequestID: []byte("t2"), Time: ts("2026-11-23T07:00:02.611Z"), LogStream: []byte("2026/11/23/[$LATEST]0123")}},
		{"tail short prefix", "2026-11-23T07:00:02 END RequestId: t3", LinePlatform, Event{Type: EventEnd, RequestID: []byte("t3"), Time: ts("2026-11-23T07:00:02Z")}},
		{"insights timestamp prefix", "2026-11-23 07:00:02.611 START RequestId: t4 Version: 3", LinePlatform, Event{Type: EventStart, Version: []byte("3"), Time: ts("2026-11-23T07:00:02.611Z")}},
		{"crlf", "START RequestId: abc Version: 7\r", LinePlatform, Event{Type: EventStart, Version: []byte("7")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			kind := ParseLine([]byte(tt.line), &ev)
			if kind != tt.kind {
				t.Fatalf("kind = %v, want %v (event %+v)", kind, tt.kind, ev)
			}
			if kind != LinePlatform {
				return
			}
			w := tt.want
			check := func(name string, got, want any, set bool) {
				t.Helper()
				if set && got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			check("Type", ev.Type, w.Type, true)
			check("Time", ev.Time, w.Time, w.Time != 0)
			check("RequestID", string(ev.RequestID), string(w.RequestID), w.RequestID != nil)
			check("LogStream", string(ev.LogStream), string(w.LogStream), w.LogStream != nil)
			check("Version", string(ev.Version), string(w.Version), w.Version != nil)
			check("FunctionName", string(ev.FunctionName), string(w.FunctionName), w.FunctionName != nil)
			check("DurationMs", ev.DurationMs, w.DurationMs, w.DurationMs != 0)
			check("BilledDurationMs", ev.BilledDurationMs, w.BilledDurationMs, w.BilledDurationMs != 0)
			check("MemoryMB", ev.MemoryMB, w.MemoryMB, w.MemoryMB != 0)
			check("MaxMemoryUsedMB", ev.MaxMemoryUsedMB, w.MaxMemoryUsedMB, w.MaxMemoryUsedMB != 0)
			check("InitDurationMs", ev.InitDurationMs, w.InitDurationMs, w.InitDurationMs != 0)
			check("RestoreDurationMs", ev.RestoreDurationMs, w.RestoreDurationMs, w.RestoreDurationMs != 0)
			check("BilledRestoreMs", ev.BilledRestoreMs, w.BilledRestoreMs, w.BilledRestoreMs != 0)
			check("Status", string(ev.Status), string(w.Status), w.Status != nil)
			check("ErrorType", string(ev.ErrorType), string(w.ErrorType), w.ErrorType != nil)
			check("InitType", ev.InitType, w.InitType, w.InitType != InitUnknown)
			check("Phase", ev.Phase, w.Phase, w.Phase != PhaseInit)
			check("JSON", ev.JSON, w.JSON, w.JSON)
		})
	}
}

// TestParseLine_samples parses every line of the shared sample logs: every
// line starting with a platform keyword or a JSON platform event must parse.
func TestParseLine_samples(t *testing.T) {
	for _, name := range []string{"testdata/cloudwatch-export-text.log", "testdata/cloudwatch-export-json.log"} {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		var platform, other int
		for sc.Scan() {
			var ev Event
			switch ParseLine(sc.Bytes(), &ev) {
			case LinePlatform:
				platform++
			case LineMalformed:
				t.Errorf("%s: malformed: %s", name, sc.Text())
			default:
				other++
				if !strings.Contains(sc.Text(), `"level"`) {
					t.Errorf("%s: not recognised: %s", name, sc.Text())
				}
			}
		}
		f.Close()
		if platform < 8 || other != 1 {
			t.Errorf("%s: %d platform and %d other lines", name, platform, other)
		}
	}
}

func TestParseLine_noAllocs(t *testing.T) {
	lines := [][]byte{
		[]byte("2026-11-23T07:00:02.611Z REPORT RequestId: 8f5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b\tDuration: 180.21 ms\tBilled Duration: 2491 ms\tMemory Size: 1024 MB\tMax Memory Used: 96 MB\tInit Duration: 2310.44 ms\t"),
		[]byte(`2026-11-23T07:05:00.402Z {"time":"2026-11-23T07:05:00.402Z","type":"platform.report","record":{"requestId":"2d3e","status":"success","metrics":{"durationMs":189.0,"billedDurationMs":190,"memorySizeMB":1024,"maxMemoryUsedMB":92,"restoreDurationMs":211.3,"billedRestoreDurationMs":212}}}`),
		[]byte(`2026-11-23T07:00:02.433Z {"time":"2026-11-23T07:00:02.433Z","level":"INFO","msg":"processing","requestId":"8f5a"}`),
	}
	var ev Event
	allocs := testing.AllocsPerRun(100, func() {
		for _, l := range lines {
			ParseLine(l, &ev)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseLine allocates %.1f times per run", allocs)
	}
}

func TestParseTimestamp(t *testing.T) {
	ts := func(s string) int64 {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UnixMilli()
	}
	base := time.Date(1999, 12, 31, 23, 59, 58, 0, time.UTC)
	for i := range 2000 {
		want := base.Add(time.Duration(i) * 97 * time.Hour).Add(time.Duration(i%1000) * time.Millisecond)
		s := want.Format("2006-01-02T15:04:05.000Z")
		got, n, ok := parseTimestamp([]byte(s + " x"))
		if !ok || n != len(s) || got != want.UnixMilli() {
			t.Fatalf("parseTimestamp(%q) = %d, %d, %v; want %d", s, got, n, ok, want.UnixMilli())
		}
	}
	for _, bad := range []string{"2026-13-01T00:00:00Z", "2026-11-23T25:00:02Z", "2026-11-23/07:00:02Z", "x026-11-23T07:00:02Z", "2026-11-23T07:00"} {
		if _, _, ok := parseTimestamp([]byte(bad)); ok {
			t.Errorf("parseTimestamp(%q) accepted", bad)
		}
	}
	// Zones, separators and the forms of log tools.
	for s, want := range map[string]string{
		"2026-11-23T07:00:02.431":          "2026-11-23T07:00:02.431Z",
		"2026-11-23 07:00:02Z":             "2026-11-23T07:00:02Z",
		"2026-11-23T07:00:02.431000+00:00": "2026-11-23T07:00:02.431Z",
		"2026-11-23T09:00:02.431+02:00":    "2026-11-23T07:00:02.431Z",
		"2026-11-23T01:30:02-0530":         "2026-11-23T07:00:02Z",
		"2016-08-26 13:48:54.134 (+02:00)": "2016-08-26T11:48:54.134Z",
		"2026-11-23 07:00:02,431":          "2026-11-23T07:00:02.431Z",
		"2026-11-23T07:00:02.431999999Z":   "2026-11-23T07:00:02.431Z",
	} {
		got, n, ok := parseTimestamp([]byte(s))
		if !ok || n != len(s) || got != ts(want) {
			t.Errorf("parseTimestamp(%q) = %d, %d, %v; want %s", s, got, n, ok, want)
		}
	}
	// Fractions other than milliseconds.
	for s, want := range map[string]int64{"2026-11-23T07:00:02Z": 0, "2026-11-23T07:00:02.4Z": 400, "2026-11-23T07:00:02.431999Z": 431} {
		got, _, ok := parseTimestamp([]byte(s))
		if !ok || got%1000 != want {
			t.Errorf("parseTimestamp(%q) ms = %d, want %d", s, got%1000, want)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add("REPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB")
	f.Add(`{"time":"2026-11-23T07:05:00.402Z","type":"platform.report","record":{"requestId":"2d3e","metrics":{"durationMs":189.0,"billedDurationMs":190,"memorySizeMB":1024}}}`)
	f.Add(`{"type":"platform.start","record":{"requestId":"a\\"}}`)
	f.Fuzz(func(t *testing.T, line string) {
		var ev Event
		ParseLine([]byte(line), &ev)
	})
}
