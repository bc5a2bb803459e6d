package coldstart

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"
)

// shapeRecord is one log event of the differential tests.
type shapeRecord struct {
	ms     int64
	stream string
	msg    []byte
}

const fuzzStream = "2026/11/23/[$LATEST]00112233445566778899aabbccddeeff"

// plainRecords turns a plain log into records: each line's prefix gives
// the time (else the previous line's) and stream (else a default); an
// X-Ray line after a REPORT joins it, as CloudWatch stores them. Lines
// the line shapes cannot carry as one record of their own are left out:
// a message that is only "{" (line shapes read it as the start of a
// pretty-printed JSON message) and one starting with "Duration:" (line
// shapes join it to a serverless "REPORT - id").
func plainRecords(data []byte) []shapeRecord {
	var out []shapeRecord
	t := int64(1795417200000) // 2026-11-23T07:00:00Z
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = trimCR(line)
		stream := fuzzStream
		for {
			p := splitPrefix(line)
			if p.kind == prefixNone {
				break
			}
			if ms, _, ok := parseTimestamp(p.ts); ok && ms > 0 && ms < 4e12 {
				t = ms
			}
			if len(p.stream) > 0 {
				stream = string(p.stream)
			}
			line = p.msg
		}
		if m := trimSpace(line); (len(m) == 1 && m[0] == '{') || hasPrefix(line, "Duration:") {
			continue
		}
		if hasPrefix(line, "XRAY ") && len(out) > 0 && hasPrefix(out[len(out)-1].msg, "REPORT ") && out[len(out)-1].stream == stream {
			last := &out[len(out)-1]
			last.msg = append(append(append([]byte(nil), last.msg...), '\n'), line...)
			continue
		}
		out = append(out, shapeRecord{ms: t, stream: stream, msg: append([]byte(nil), line...)})
		t++
	}
	return out
}

// reshape writes records in one variant.
func reshape(variant string, recs []shapeRecord) []byte {
	w := shapeWriter{variant: variant}
	var b []byte
	for _, r := range recs {
		b = w.event(b, r.ms, r.stream, "fn", r.msg)
	}
	return w.finish(b)
}

// shapeCounts is what the differential tests compare: everything that
// does not depend on time.
type shapeCounts struct {
	PlatformLines, Malformed, ReportsWithoutStart int64
	Invocations, Timeouts, Errors                 int64
	Cold                                          ColdStarts
}

func analyzeShape(tb testing.TB, data []byte, shape Shape) (shapeCounts, Shape) {
	tb.Helper()
	rep, err := Analyze(context.Background(), &streamSource{Stream{Name: "fuzz", Function: "fn", R: bytes.NewReader(data), Size: int64(len(data)), Shape: shape}}, &Options{SkipPlan: true})
	var c shapeCounts
	if err == ErrNoInvocations {
		return c, ""
	}
	if err != nil {
		tb.Fatal(err)
	}
	c.PlatformLines, c.Malformed, c.ReportsWithoutStart = rep.Input.PlatformLines, rep.Input.Malformed, rep.Input.ReportsWithoutStart
	for _, f := range rep.Functions {
		c.Invocations += f.Invocations
		c.Timeouts += f.Timeouts
		c.Errors += f.Errors
		c.Cold.OnDemand += f.ColdStarts.OnDemand
		c.Cold.SnapStart += f.ColdStarts.SnapStart
		c.Cold.InitRerun += f.ColdStarts.InitRerun
		c.Cold.Provisioned += f.ColdStarts.Provisioned
		c.Cold.InitStarts += f.ColdStarts.InitStarts
		c.Cold.InitFailures += f.ColdStarts.InitFailures
	}
	return c, rep.Input.Shapes[0].Shape
}

// streamSource is a Source of one Stream as given.
type streamSource struct{ s Stream }

func (s *streamSource) Streams(ctx context.Context, fn func(Stream) error) error { return fn(s.s) }

// checkReshaped asserts that every variant of the records yields the
// counts of their plain lines, and that shapes in a container are
// detected.
func checkReshaped(t *testing.T, recs []shapeRecord) {
	t.Helper()
	plain := reshape(string(ShapeLambda), recs)
	want, _ := analyzeShape(t, plain, ShapeLambda)
	for _, v := range shapeVariants {
		data := reshape(v.name, recs)
		got, _ := analyzeShape(t, data, v.shape)
		if got != want {
			t.Errorf("%s: %+v\nplain: %+v\n%s", v.name, got, want, clip(data))
		}
		if d := DetectShape(data); v.shape.family() != familyLines && d != v.shape {
			t.Errorf("%s detected as %s:\n%s", v.name, d, clip(data))
		}
	}
}

func clip(b []byte) string {
	if len(b) > 2000 {
		b = b[:2000]
	}
	return string(b)
}

// TestShapes_reshapedFixtures re-shapes the plain fixture in every
// variant (the writer's output is checked against encoding/csv and
// encoding/json in TestShapeWriter).
func TestShapes_reshapedFixtures(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "shapes", "timestamped.log"))
	if err != nil {
		t.Fatal(err)
	}
	recs := plainRecords(data)
	if len(recs) < 20 {
		t.Fatalf("%d records", len(recs))
	}
	checkReshaped(t, recs)
}

// FuzzShapes runs detection and every reader over arbitrary input (no
// panic, bounded allocation), then checks the differential property: the
// records of the input, written in every shape, give the counts of the
// plain-line parser.
func FuzzShapes(f *testing.F) {
	for _, name := range []string{"timestamped.log", "aws-logs-tail.log", "cloudwatch-console.csv", "filter-log-events.json", "get-query-results.json", "aws-logs-tail-json.log", "serverless-logs.log"} {
		b, err := os.ReadFile(filepath.Join("testdata", "shapes", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("REPORT RequestId: a  Init Duration: 1.00 ms  Duration: 2.00 ms  Billed Duration: 3 ms  Memory Size: 128 MB  Max Memory Used: 40 MB\n"))
	f.Add([]byte("START RequestId: a Version: 1\nREPORT RequestId: a\tDuration: 2.00 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\nXRAY TraceId: 1-a\tSegmentId: b\tSampled: true\n"))
	f.Add([]byte(`{"time":"2026-11-23T07:06:30.001Z","type":"platform.report","record":{"requestId":"x","status":"timeout","metrics":{"durationMs":3000.0}}}` + "\n"))
	f.Add([]byte("timestamp,message\n1,\"a\nb\"\"c\n"))
	f.Add([]byte(`{"events":[{"timestamp":1,"message":"\u0041\ud83d\ude00\\"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		hang := time.AfterFunc(20*time.Second, func() { panic("FuzzShapes: no progress in 20 s") })
		defer hang.Stop()

		// Any input, any shape: no panic, allocation bounded by the input.
		before := allocatedBytes()
		for _, s := range append([]Shape{""}, Shapes...) {
			analyzeShape(t, data, s)
		}
		if n := allocatedBytes() - before; n > uint64(len(Shapes)+1)*(4<<20+64*uint64(len(data))) {
			t.Errorf("%d bytes allocated for %d bytes of input", n, len(data))
		}
		// The differential property.
		recs := plainRecords(data)
		if len(recs) == 0 || len(recs) > 2000 {
			return
		}
		checkReshaped(t, recs)
	})
}

func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestShapeWriter checks the writer's CSV and JSON with the standard
// library's parsers, so that the differential tests do not rest on a
// writer and a reader that agree on a wrong format.
func TestShapeWriter(t *testing.T) {
	recs := []shapeRecord{
		{ms: 1795417200120, stream: fuzzStream, msg: []byte("REPORT RequestId: a\tDuration: 1.00 ms\t\nXRAY TraceId: 1-x")},
		{ms: 1795417200121, stream: fuzzStream, msg: []byte(`say "hi", then \ and ` + "\x01 é")},
	}
	for _, v := range shapeVariants {
		data := reshape(v.name, recs)
		msgs, err := standardMessages(v.name, data)
		if err != nil {
			t.Errorf("%s: %v\n%s", v.name, err, data)
			continue
		}
		if msgs == nil {
			continue // a line shape
		}
		if len(msgs) != len(recs) {
			t.Errorf("%s: %d messages", v.name, len(msgs))
			continue
		}
		for i, m := range msgs {
			if strings.TrimRight(m, "\n") != string(recs[i].msg) {
				t.Errorf("%s: message %d = %q, want %q", v.name, i, m, recs[i].msg)
			}
		}
	}
}

// standardMessages reads the messages of a container variant with
// encoding/csv or encoding/json; nil for line shapes.
func standardMessages(variant string, data []byte) ([]string, error) {
	var msgs []string
	switch variant {
	case string(ShapeCSV), string(ShapeInsightsCSV):
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			return nil, err
		}
		col := slices.IndexFunc(rows[0], func(s string) bool { return s == "message" || s == "@message" })
		for _, r := range rows[1:] {
			msgs = append(msgs, r[col])
		}
	case string(ShapeEventsJSON), variantGetLogEvents:
		var doc struct{ Events []struct{ Message string } }
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		for _, e := range doc.Events {
			msgs = append(msgs, e.Message)
		}
	case string(ShapeInsightsJSON):
		var rows []map[string]string
		if err := json.Unmarshal(data, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			msgs = append(msgs, r["@message"])
		}
	case variantGetQueryResults:
		var doc struct {
			Results [][]struct{ Field, Value string }
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		for _, r := range doc.Results {
			for _, f := range r {
				if f.Field == "@message" {
					msgs = append(msgs, f.Value)
				}
			}
		}
	case variantSubscription:
		dec := json.NewDecoder(bytes.NewReader(data))
		for dec.More() {
			var p struct{ LogEvents []struct{ Message string } }
			if err := dec.Decode(&p); err != nil {
				return nil, err
			}
			for _, e := range p.LogEvents {
				msgs = append(msgs, e.Message)
			}
		}
	default:
		return nil, nil
	}
	return msgs, nil
}

// TestGenerate_shapes generates the same day in every variant: each gives
// the counts and the hourly figures of the plain export lines, and the
// shapes naming log streams count the environments the generator started.
func TestGenerate_shapes(t *testing.T) {
	cfg := GenerateConfig{Seed: 5, Days: 1, NightRate: 0.002, DayRate: 0.008, MorningBurstRate: 0.002, TracingRate: 0.3, InitFailureRate: 0.05, TruncatedRate: 0.01, TimeoutRate: 0.02}
	analyze := func(cfg GenerateConfig) (*Report, GenerateStats) {
		var buf bytes.Buffer
		st, err := Generate(&buf, cfg)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Analyze(context.Background(), ReaderSource("gen", "fn", &buf), &Options{SkipPlan: true})
		if err != nil {
			t.Fatal(err)
		}
		return rep, st
	}
	plain, st := analyze(cfg)
	if st.Environments == 0 || st.Truncated == 0 || st.InitReruns == 0 || st.Timeouts == 0 {
		t.Fatalf("stats %+v", st)
	}
	want := plain.Functions[0]
	for _, v := range shapeVariants {
		c := cfg
		c.variant = v.name
		rep, _ := analyze(c)
		if got := rep.Input.Shapes[0].Shape; got != v.shape {
			t.Errorf("%s: read as %s", v.name, got)
		}
		if len(rep.Functions) != 1 {
			t.Errorf("%s: %d functions", v.name, len(rep.Functions))
			continue
		}
		f := rep.Functions[0]
		if f.Invocations != want.Invocations || f.ColdStarts != want.ColdStarts || f.Timeouts != want.Timeouts || rep.Input.Malformed != plain.Input.Malformed {
			t.Errorf("%s: %d invocations %+v %d timeouts %d malformed; plain %d %+v %d %d", v.name,
				f.Invocations, f.ColdStarts, f.Timeouts, rep.Input.Malformed, want.Invocations, want.ColdStarts, want.Timeouts, plain.Input.Malformed)
		}
		if timed := v.shape != ShapeLambda && v.shape != ShapeServerless; timed && (f.ByHour != want.ByHour || f.Heatmap != want.Heatmap) {
			t.Errorf("%s: hourly figures differ", v.name)
		}
		streams := v.shape == ShapeTail || v.shape == ShapeSAM || v.shape == ShapeInsightsCSV || v.shape == ShapeInsightsJSON ||
			v.name == string(ShapeEventsJSON) || v.name == variantSubscription
		if streams && (f.Environments < st.Environments-st.Truncated || f.Environments > st.Environments) {
			t.Errorf("%s: %d environments, generated %d", v.name, f.Environments, st.Environments)
		}
		if !streams && f.Environments != 0 {
			t.Errorf("%s: %d environments without log stream names", v.name, f.Environments)
		}
	}
}
