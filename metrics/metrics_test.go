package metrics_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/rampartdev/rampart/metrics"
)

var fixed = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// document is one parsed EMF line.
type document map[string]any

// parseEMF parses w's output and checks every document against the EMF
// specification: the schema in testdata, then the rules a schema cannot
// express.
func parseEMF(t testing.TB, out []byte) []document {
	t.Helper()
	schema, err := os.ReadFile("testdata/emf.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	sch, err := jsonschema.CompileString("emf.schema.json", string(schema))
	if err != nil {
		t.Fatal(err)
	}
	var docs []document
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d document
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("document %q is not JSON: %v", sc.Text(), err)
		}
		var v any
		_ = json.Unmarshal(sc.Bytes(), &v)
		if err := sch.Validate(v); err != nil {
			t.Fatalf("document breaks the EMF schema: %v\n%s", err, sc.Text())
		}
		aws := d["_aws"].(map[string]any)
		for _, dir := range aws["CloudWatchMetrics"].([]any) {
			dir := dir.(map[string]any)
			for _, set := range dir["Dimensions"].([]any) {
				for _, k := range set.([]any) {
					if _, ok := d[k.(string)].(string); !ok {
						t.Fatalf("dimension target %v is not a string member of the root", k)
					}
				}
			}
			for _, m := range dir["Metrics"].([]any) {
				name := m.(map[string]any)["Name"].(string)
				switch v := d[name].(type) {
				case json.Number:
				case []any:
					if len(v) > metrics.MaxValuesPerMetric {
						t.Fatalf("metric %s has %d values", name, len(v))
					}
					for _, x := range v {
						if _, ok := x.(json.Number); !ok {
							t.Fatalf("metric %s value %v is not a number", name, x)
						}
					}
				default:
					t.Fatalf("metric target %s = %#v is not a number or array", name, d[name])
				}
			}
		}
		if ts, _ := aws["Timestamp"].(json.Number).Int64(); ts != fixed.UnixMilli() {
			t.Errorf("Timestamp = %d, want %d", ts, fixed.UnixMilli())
		}
		docs = append(docs, d)
	}
	return docs
}

func newRecorder(t testing.TB, buf *bytes.Buffer, dims ...metrics.Dimension) *metrics.Recorder {
	t.Helper()
	r, err := metrics.New(buf, &metrics.Options{Namespace: "Rampart/Test", Dimensions: dims, DisableColdStart: true, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func directive(d document) map[string]any {
	return d["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
}

func TestSet_Flush(t *testing.T) {
	var buf bytes.Buffer
	r := newRecorder(t, &buf, metrics.Dimension{Name: "service", Value: "orders"})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ctx, set := r.Start(ctx)
	m := metrics.FromContext(ctx)
	if m != set {
		t.Fatal("FromContext did not return the started Set")
	}
	for _, err := range []error{
		m.Add("OrdersStored", metrics.Count, 1),
		m.Add("OrdersStored", metrics.Count, 2),
		m.AddWithResolution("Latency", metrics.Milliseconds, metrics.HighResolution, 12.5),
		m.Add("Payload", metrics.Bytes, 2048),
		m.AddDimension("region", "eu-west-1"),
		m.SetProperty("orderId", "o-1"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Flush(); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, buf.Bytes())
	if len(docs) != 1 {
		t.Fatalf("got %d documents, want 1", len(docs))
	}
	d := docs[0]
	dir := directive(d)
	if dir["Namespace"] != "Rampart/Test" {
		t.Errorf("Namespace = %v", dir["Namespace"])
	}
	if got := fmt.Sprint(dir["Dimensions"]); got != "[[service region]]" {
		t.Errorf("Dimensions = %s", got)
	}
	if got := fmt.Sprint(dir["Metrics"]); got != "[map[Name:OrdersStored Unit:Count] map[Name:Latency StorageResolution:1 Unit:Milliseconds] map[Name:Payload Unit:Bytes]]" {
		t.Errorf("Metrics = %s", got)
	}
	if fmt.Sprint(d["OrdersStored"]) != "[1 2]" || fmt.Sprint(d["Latency"]) != "12.5" || d["service"] != "orders" || d["region"] != "eu-west-1" || d["orderId"] != "o-1" || d["requestId"] != "req-1" {
		t.Errorf("members = %v", d)
	}
	// Flush empties the metrics: a second flush writes nothing.
	buf.Reset()
	if err := set.Flush(); err != nil || buf.Len() != 0 {
		t.Errorf("second Flush wrote %q, %v", buf.String(), err)
	}
}

func TestSet_Flush_splitsAt100Metrics(t *testing.T) {
	for _, n := range []int{100, 101, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var buf bytes.Buffer
			set := newRecorder(t, &buf).NewSet()
			for i := range n {
				if err := set.Add(fmt.Sprintf("M%03d", i), metrics.Count, float64(i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := set.Flush(); err != nil {
				t.Fatal(err)
			}
			docs := parseEMF(t, buf.Bytes())
			if want := (n + 99) / 100; len(docs) != want {
				t.Fatalf("%d metrics in %d documents, want %d", n, len(docs), want)
			}
			seen := map[string]bool{}
			for _, d := range docs {
				for _, m := range directive(d)["Metrics"].([]any) {
					name := m.(map[string]any)["Name"].(string)
					if seen[name] {
						t.Errorf("metric %s in two documents", name)
					}
					seen[name] = true
					if v, _ := d[name].(json.Number).Float64(); fmt.Sprintf("M%03d", int(v)) != name {
						t.Errorf("%s = %v", name, v)
					}
				}
			}
			if len(seen) != n {
				t.Errorf("%d distinct metrics written, want %d", len(seen), n)
			}
		})
	}
}

func TestSet_Flush_splitsValueArrays(t *testing.T) {
	var buf bytes.Buffer
	set := newRecorder(t, &buf).NewSet()
	for i := range 250 {
		if err := set.Add("Latency", metrics.Milliseconds, float64(i)); err != nil {
			t.Fatal(err)
		}
	}
	_ = set.Add("Other", metrics.Count, 1)
	if err := set.Flush(); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, buf.Bytes())
	if len(docs) != 3 {
		t.Fatalf("got %d documents, want 3 (100+100+50 values)", len(docs))
	}
	total, others := 0, 0
	for _, d := range docs {
		total += len(d["Latency"].([]any))
		if _, ok := d["Other"]; ok {
			others++
		}
	}
	if total != 250 || others != 1 {
		t.Errorf("wrote %d Latency values and Other %d times; want 250 and 1", total, others)
	}
}

// TestSet_Flush_staysUnderEventLimit fills 100 metrics with 100 values of
// the longest encoding: the documents must stay under CloudWatch Logs'
// 256 KB event limit.
func TestSet_Flush_staysUnderEventLimit(t *testing.T) {
	var buf bytes.Buffer
	set := newRecorder(t, &buf).NewSet()
	for i := range 100 {
		for range 100 {
			if err := set.Add(fmt.Sprintf("Metric%03d", i), metrics.None, -1.2345678901234567e-300); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := set.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) < 2 {
		t.Fatalf("%d documents, want the metrics split by size", len(lines))
	}
	for _, l := range lines {
		if len(l) > 256<<10 {
			t.Errorf("document of %d bytes exceeds 256 KB", len(l))
		}
	}
	total := 0
	for _, d := range parseEMF(t, buf.Bytes()) {
		for _, m := range directive(d)["Metrics"].([]any) {
			total += len(d[m.(map[string]any)["Name"].(string)].([]any))
		}
	}
	if total != 100*100 {
		t.Errorf("%d values written, want 10000", total)
	}
}

func TestSet_errors(t *testing.T) {
	var buf bytes.Buffer
	r := newRecorder(t, &buf, metrics.Dimension{Name: "service", Value: "orders"})
	set := r.NewSet()
	_ = set.Add("Count", metrics.Count, 1)
	_ = set.SetProperty("orderId", "o")
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"NaN", set.Add("X", metrics.Count, math.NaN()), metrics.ErrInvalidValue},
		{"Inf", set.Add("X", metrics.Count, math.Inf(1)), metrics.ErrInvalidValue},
		{"empty name", set.Add("", metrics.Count, 1), metrics.ErrInvalidName},
		{"_aws", set.Add("_aws", metrics.Count, 1), metrics.ErrInvalidName},
		{"bad unit", set.Add("X", "Furlongs", 1), metrics.ErrInvalidUnit},
		{"unit conflict", set.Add("Count", metrics.Seconds, 1), metrics.ErrUnitConflict},
		{"metric named like a dimension", set.Add("service", metrics.Count, 1), metrics.ErrNameConflict},
		{"metric named like a property", set.Add("orderId", metrics.Count, 1), metrics.ErrNameConflict},
		{"dimension named like a metric", set.AddDimension("Count", "x"), metrics.ErrNameConflict},
		{"empty dimension value", set.AddDimension("d", ""), metrics.ErrInvalidValue},
		{"bad resolution", set.AddWithResolution("Y", metrics.Count, 5, 1), metrics.ErrInvalidValue},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if _, err := metrics.New(&buf, &metrics.Options{}); !errors.Is(err, metrics.ErrNamespace) {
		t.Errorf("New without namespace: %v", err)
	}
}

func TestSet_AddDimension_limit(t *testing.T) {
	var buf bytes.Buffer
	set := newRecorder(t, &buf, metrics.Dimension{Name: "service", Value: "orders"}).NewSet()
	for i := 1; i < metrics.MaxDimensions; i++ {
		if err := set.AddDimension(fmt.Sprint("d", i), "v"); err != nil {
			t.Fatalf("dimension %d: %v", i+1, err)
		}
	}
	if err := set.AddDimension("one-too-many", "v"); !errors.Is(err, metrics.ErrTooManyDimensions) {
		t.Fatalf("31st dimension: %v, want ErrTooManyDimensions", err)
	}
	if err := set.AddDimension("d1", "replaced"); err != nil {
		t.Errorf("replacing a dimension at the limit: %v", err)
	}
	_ = set.Add("X", metrics.Count, 1)
	if err := set.Flush(); err != nil {
		t.Fatal(err)
	}
	d := parseEMF(t, buf.Bytes())[0]
	if n := len(directive(d)["Dimensions"].([]any)[0].([]any)); n != 30 || d["d1"] != "replaced" {
		t.Errorf("%d dimensions, d1 = %v; want 30, replaced", n, d["d1"])
	}
	dims := make([]metrics.Dimension, 31)
	for i := range dims {
		dims[i] = metrics.Dimension{Name: fmt.Sprint("d", i), Value: "v"}
	}
	if _, err := metrics.New(&buf, &metrics.Options{Namespace: "n", Dimensions: dims}); !errors.Is(err, metrics.ErrTooManyDimensions) {
		t.Errorf("New with 31 dimensions: %v", err)
	}
}

func TestRecorder_coldStart(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders-fn")
	t.Setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
	metrics.ResetColdStart()
	var buf bytes.Buffer
	r, err := metrics.New(&buf, &metrics.Options{Namespace: "N", Dimensions: []metrics.Dimension{{Name: "service", Value: "s"}}, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		_, set := r.Start(context.Background())
		_ = set.Add("Work", metrics.Count, 1)
		if err := set.Flush(); err != nil {
			t.Fatal(err)
		}
		docs := parseEMF(t, buf.Bytes())
		buf.Reset()
		var cold []document
		for _, d := range docs {
			if _, ok := d["ColdStart"]; ok {
				cold = append(cold, d)
			}
		}
		if want := map[int]int{0: 1, 1: 0}[i]; len(cold) != want {
			t.Fatalf("invocation %d: %d ColdStart documents, want %d", i+1, len(cold), want)
		}
		if i == 0 {
			d := cold[0]
			if fmt.Sprint(directive(d)["Dimensions"]) != "[[service function_name]]" || d["function_name"] != "orders-fn" || fmt.Sprint(d["ColdStart"]) != "1" || d["Work"] != nil {
				t.Errorf("ColdStart document = %v", d)
			}
		}
	}
}

// TestRecorder_coldStartDimensions checks that the ColdStart document stays
// valid when the default dimensions already name function_name or already
// fill the 30 a dimension set may hold.
func TestRecorder_coldStartDimensions(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders-fn")
	t.Setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
	full := make([]metrics.Dimension, metrics.MaxDimensions)
	for i := range full {
		full[i] = metrics.Dimension{Name: fmt.Sprint("d", i), Value: "v"}
	}
	for name, tc := range map[string]struct {
		dims []metrics.Dimension
		want int // dimensions of the ColdStart document
	}{
		"function_name given": {[]metrics.Dimension{{Name: "function_name", Value: "mine"}}, 1},
		"30 given":            {full, metrics.MaxDimensions},
	} {
		t.Run(name, func(t *testing.T) {
			metrics.ResetColdStart()
			var buf bytes.Buffer
			r, err := metrics.New(&buf, &metrics.Options{Namespace: "N", Dimensions: tc.dims, Now: func() time.Time { return fixed }})
			if err != nil {
				t.Fatal(err)
			}
			_, set := r.Start(context.Background())
			if err := set.Flush(); err != nil {
				t.Fatal(err)
			}
			docs := parseEMF(t, buf.Bytes())
			if len(docs) != 1 {
				t.Fatalf("%d documents, want the ColdStart one", len(docs))
			}
			if n := len(directive(docs[0])["Dimensions"].([]any)[0].([]any)); n != tc.want {
				t.Errorf("ColdStart document has %d dimensions, want %d: %v", n, tc.want, docs[0])
			}
		})
	}
}

func TestSet_nil(t *testing.T) {
	m := metrics.FromContext(context.Background())
	if m != nil {
		t.Fatal("FromContext without a Set returned one")
	}
	if err := errors.Join(m.Add("X", metrics.Count, 1), m.AddDimension("a", "b"), m.SetProperty("p", 1), m.Flush()); err != nil {
		t.Errorf("nil Set: %v", err)
	}
}

func TestSet_concurrent(t *testing.T) {
	var buf bytes.Buffer
	set := newRecorder(t, &buf).NewSet()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				_ = set.Add(fmt.Sprint("M", j%10), metrics.Count, float64(i))
			}
		})
	}
	wg.Wait()
	if err := set.Flush(); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, d := range parseEMF(t, buf.Bytes()) {
		for j := range 10 {
			if v, ok := d[fmt.Sprint("M", j)].([]any); ok {
				total += len(v)
			}
		}
	}
	if total != 400 {
		t.Errorf("%d values written, want 400", total)
	}
}

// flakyWriter writes into buf; while failing it accepts only the first
// accept bytes of a Write and returns errDiskFull.
type flakyWriter struct {
	buf     bytes.Buffer
	failing bool
	accept  int
}

var errDiskFull = errors.New("disk full")

func (w *flakyWriter) Write(p []byte) (int, error) {
	if !w.failing {
		return w.buf.Write(p)
	}
	n := min(w.accept, len(p))
	w.buf.Write(p[:n])
	return n, errDiskFull
}

// values returns the values of metric name over docs, in order.
func values(docs []document, name string) []string {
	var vs []string
	for _, d := range docs {
		switch v := d[name].(type) {
		case json.Number:
			vs = append(vs, v.String())
		case []any:
			for _, x := range v {
				vs = append(vs, x.(json.Number).String())
			}
		}
	}
	return vs
}

// TestSet_Flush_writeErrorKeepsMetrics fails the write of a Flush: nothing
// is lost, the next Flush writes the kept metrics (and the ColdStart
// metric) together with those added meanwhile.
func TestSet_Flush_writeErrorKeepsMetrics(t *testing.T) {
	metrics.ResetColdStart()
	w := &flakyWriter{failing: true}
	r, err := metrics.New(w, &metrics.Options{Namespace: "Rampart/Test", Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	_, set := r.Start(context.Background())
	must(t, set.Add("Orders", metrics.Count, 1), set.Add("Orders", metrics.Count, 2), set.Add("Bytes", metrics.Bytes, 10))
	if err := set.Flush(); !errors.Is(err, errDiskFull) {
		t.Fatalf("Flush = %v, want the write error", err)
	}
	w.failing = false
	must(t, set.Add("Orders", metrics.Count, 3))
	if err := set.Flush(); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, w.buf.Bytes())
	if got := values(docs, "Orders"); fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("Orders = %v, want [1 2 3]", got)
	}
	if got := values(docs, "Bytes"); fmt.Sprint(got) != "[10]" {
		t.Errorf("Bytes = %v, want [10]", got)
	}
	if got := values(docs, metrics.ColdStartMetric); fmt.Sprint(got) != "[1]" {
		t.Errorf("ColdStart = %v, want [1] once", got)
	}
	w.buf.Reset()
	if err := set.Flush(); err != nil || w.buf.Len() != 0 {
		t.Errorf("third Flush wrote %q, %v; want nothing", w.buf.String(), err)
	}
}

// TestSet_Flush_partialWrite tears the write in the middle of the second of
// three documents: the first document's values are not written again, the
// second's and third's are.
func TestSet_Flush_partialWrite(t *testing.T) {
	var probe bytes.Buffer
	fill := func(set *metrics.Set) {
		for i := range 250 { // chunks of 100, 100 and 50: three documents
			must(t, set.Add("Latency", metrics.Milliseconds, float64(i)))
		}
		must(t, set.Add("Errors", metrics.Count, 7)) // in the first document only
	}
	ps := newRecorder(t, &probe).NewSet()
	fill(ps)
	must(t, ps.Flush())
	lines := bytes.SplitAfter(probe.Bytes(), []byte("\n"))
	if len(lines) != 4 || len(lines[3]) != 0 {
		t.Fatalf("probe wrote %d lines, want 3 documents", len(lines)-1)
	}

	for _, tc := range []struct {
		name        string
		accept      int // bytes the failing write takes
		wantFirst   []string
		wantAgain   []string // Latency values the next Flush writes
		errorsAgain bool
	}{
		{"nothing", 0, nil, seq(0, 250), true},
		{"tornFirst", len(lines[0]) - 1, nil, seq(0, 250), true},
		{"firstWhole", len(lines[0]), seq(0, 100), seq(100, 250), false},
		{"tornSecond", len(lines[0]) + len(lines[1])/2, seq(0, 100), seq(100, 250), false},
		{"twoWhole", len(lines[0]) + len(lines[1]), seq(0, 200), seq(200, 250), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &flakyWriter{failing: true, accept: tc.accept}
			r, err := metrics.New(w, &metrics.Options{Namespace: "Rampart/Test", DisableColdStart: true, Now: func() time.Time { return fixed }})
			if err != nil {
				t.Fatal(err)
			}
			set := r.NewSet()
			fill(set)
			if err := set.Flush(); !errors.Is(err, errDiskFull) {
				t.Fatalf("Flush = %v, want the write error", err)
			}
			whole := w.buf.Bytes()[:bytes.LastIndexByte(w.buf.Bytes(), '\n')+1]
			if got := values(parseEMF(t, whole), "Latency"); fmt.Sprint(got) != fmt.Sprint(tc.wantFirst) {
				t.Errorf("written in full: %v, want %v", got, tc.wantFirst)
			}
			w.buf.Reset()
			w.failing = false
			must(t, set.Flush())
			docs := parseEMF(t, w.buf.Bytes())
			if got := values(docs, "Latency"); fmt.Sprint(got) != fmt.Sprint(tc.wantAgain) {
				t.Errorf("written again: %v, want %v", got, tc.wantAgain)
			}
			if got, want := len(values(docs, "Errors")) == 1, tc.errorsAgain; got != want {
				t.Errorf("Errors written again: %v, want %v", got, want)
			}
		})
	}
}

// seq returns the decimal numbers from lo to hi-1.
func seq(lo, hi int) []string {
	var s []string
	for i := lo; i < hi; i++ {
		s = append(s, fmt.Sprint(i))
	}
	return s
}

func must(t testing.TB, errs ...error) {
	t.Helper()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// TestRecorder_coldStartRequestID: the ColdStart document names its
// invocation, like every other document, and carries no other property.
func TestRecorder_coldStartRequestID(t *testing.T) {
	t.Setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
	metrics.ResetColdStart()
	var buf bytes.Buffer
	r, err := metrics.New(&buf, &metrics.Options{Namespace: "N", Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-cold"})
	_, set := r.Start(ctx)
	_ = set.Add("Work", metrics.Count, 1)
	_ = set.SetProperty("order", "o-1")
	if err := set.Flush(); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, buf.Bytes())
	if len(docs) != 2 {
		t.Fatalf("%d documents, want ColdStart and Work", len(docs))
	}
	for _, d := range docs {
		if d["requestId"] != "req-cold" {
			t.Errorf("document without the request id: %v", d)
		}
		if _, cold := d["ColdStart"]; cold && d["order"] != nil {
			t.Errorf("ColdStart document carries the invocation's other properties: %v", d)
		}
	}
}

// TestSet_Flush_empty: a Set without metrics writes no metric document
// under every policy (the ColdStart document still goes out); EmptyWarn
// logs one warning with the invocation's context, EmptyError returns
// ErrNoMetrics.
func TestSet_Flush_empty(t *testing.T) {
	for _, tc := range []struct {
		policy metrics.EmptyPolicy
		warn   bool
		err    error
	}{
		{metrics.EmptyIgnore, false, nil},
		{metrics.EmptyWarn, true, nil},
		{metrics.EmptyError, false, metrics.ErrNoMetrics},
	} {
		t.Run(fmt.Sprint(tc.policy), func(t *testing.T) {
			metrics.ResetColdStart()
			var out, logs bytes.Buffer
			r, err := metrics.New(&out, &metrics.Options{
				Namespace: "N", Now: func() time.Time { return fixed }, Empty: tc.policy,
				Logger: slog.New(&markHandler{slog.NewJSONHandler(&logs, nil)}),
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-e"})
			_, set := r.Start(context.WithValue(ctx, ctxMark{}, "invocation"))
			if err := set.Flush(); err != tc.err {
				t.Errorf("Flush = %v, want %v", err, tc.err)
			}
			docs := parseEMF(t, out.Bytes())
			if len(docs) != 1 || docs[0]["ColdStart"] == nil {
				t.Errorf("documents %v, want the ColdStart document only", docs)
			}
			if got := strings.Count(logs.String(), `"msg":"metrics: no metrics to flush","namespace":"N","mark":"invocation"`); got != map[bool]int{true: 1}[tc.warn] {
				t.Errorf("warnings logged: %q", logs.String())
			}
			out.Reset()
			_ = set.Add("Work", metrics.Count, 1)
			if err := set.Flush(); err != nil || len(parseEMF(t, out.Bytes())) != 1 {
				t.Errorf("a Set with a metric: Flush = %v, output %s", err, out.String())
			}
		})
	}
}

type ctxMark struct{}

// markHandler writes the ctxMark value of the context it is given.
type markHandler struct{ slog.Handler }

func (h *markHandler) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(slog.Any("mark", ctx.Value(ctxMark{})))
	return h.Handler.Handle(ctx, r)
}
