package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/coldstart"
)

func runColdstartCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"coldstart"}, args...), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// TestColdstart_generateAnalyze is the "done when": analyze on the
// synthetic morning-spike log points at the morning window, recommends
// scheduled over always-on PC with the cost of each, and writes the HTML
// and JSON reports.
func TestColdstart_generateAnalyze(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of logs")
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "week.log")
	_, stderr, err := runColdstartCmd(t, "generate", "-o", logPath, "-seed", "9", "-scale", "0.35")
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "generated:") {
		t.Errorf("generate said %q", stderr)
	}
	htmlPath, jsonPath := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")
	out, stderr, err := runColdstartCmd(t, "analyze", "--function", "checkout", "--html", htmlPath, "--json", jsonPath, "--p99-target", "1s", logPath)
	if err != nil {
		t.Fatalf("analyze: %v\n%s", err, stderr)
	}
	for _, want := range []string{"== checkout", "07:00-10:00 Monday to Friday", "scheduled PC of", "<- recommended", "always-on PC of", "$", "malformed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(stderr, "\r") {
		t.Error("a progress bar was drawn on a non-terminal")
	}
	if !strings.Contains(stderr, "msg=reading") {
		t.Errorf("no structured progress on a non-terminal stderr: %s", stderr)
	}
	var rep coldstart.Report
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	p := rep.Functions[0].Plan
	if rec := p.Options[p.Recommended]; rec.Kind != "scheduled" || p.Cheapest("always-on") == nil || rec.MonthlyCost >= p.Cheapest("always-on").MonthlyCost {
		t.Errorf("recommended %+v", rec)
	}
	h, err := os.ReadFile(htmlPath)
	if err != nil || !bytes.Contains(h, []byte(`<svg class="chart" id="cost-0"`)) {
		t.Errorf("HTML report: %v", err)
	}
	// --format json prints the same report on stdout.
	out, _, err = runColdstartCmd(t, "analyze", "--no-plan", "--format", "json", logPath)
	if err != nil || !json.Valid([]byte(out)) || !strings.Contains(out, `"function": "week"`) {
		t.Errorf("--format json: %v\n%.300s", err, out)
	}
}

func TestColdstart_stdinAndGzip(t *testing.T) {
	_, _, err := runColdstartCmd(t, "analyze", "--no-plan", "--function", "thumbnailer", "../../coldstart/testdata/cloudwatch-export-json.log")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runColdstartCmd(t, "analyze", "--no-plan", "--region", "eu-west-1", "--arch", "arm64", "../../coldstart/testdata/cloudwatch-export-text.log")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "eu-west-1 arm64") || !strings.Contains(out, "cloudwatch-export-text (version $LATEST, 1024 MB)") {
		t.Errorf("output:\n%s", out)
	}
}

// TestColdstart_shapes: a log generated as aws logs tail output is read as
// such, counts what the plain log counts, names its execution
// environments, and --shape forces a shape.
func TestColdstart_shapes(t *testing.T) {
	dir := t.TempDir()
	counts := func(args ...string) (string, coldstart.FunctionReport) {
		t.Helper()
		out, stderr, err := runColdstartCmd(t, append([]string{"analyze", "--no-plan", "--function", "f", "--json", filepath.Join(dir, "r.json")}, args...)...)
		if err != nil {
			t.Fatalf("analyze %q: %v\n%s", args, err, stderr)
		}
		var rep coldstart.Report
		b, err := os.ReadFile(filepath.Join(dir, "r.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rep); err != nil || len(rep.Functions) != 1 {
			t.Fatalf("report %v: %s", err, b)
		}
		return out, *rep.Functions[0]
	}
	paths := map[string]string{}
	for _, shape := range []string{"lambda", "aws-logs-tail", "cloudwatch-csv"} {
		paths[shape] = filepath.Join(dir, shape+".log")
		if _, stderr, err := runColdstartCmd(t, "generate", "--days", "1", "--scale", "0.05", "--tracing", "0.3", "--shape", shape, "-o", paths[shape]); err != nil {
			t.Fatalf("generate --shape %s: %v\n%s", shape, err, stderr)
		}
	}
	_, plain := counts(paths["lambda"])
	out, tail := counts(paths["aws-logs-tail"])
	if tail.Invocations != plain.Invocations || tail.ColdStarts != plain.ColdStarts || tail.Invocations == 0 {
		t.Errorf("aws logs tail: %d invocations %+v; plain %d %+v", tail.Invocations, tail.ColdStarts, plain.Invocations, plain.ColdStarts)
	}
	for _, want := range []string{"aws-logs-tail.log as aws-logs-tail (", "Execution environments (log streams) "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if tail.Environments == 0 {
		t.Error("no execution environments counted from the log stream names")
	}
	// Forced to the wrong shape, the CSV export has no platform lines left.
	if _, stderr, err := runColdstartCmd(t, "analyze", "--no-plan", "--shape", "insights-json", paths["cloudwatch-csv"]); !errors.Is(err, coldstart.ErrNoInvocations) {
		t.Errorf("CSV read as insights-json: %v\n%s", err, stderr)
	}
	if out, _ := counts("--shape", "cloudwatch-csv", paths["cloudwatch-csv"]); !strings.Contains(out, "as cloudwatch-csv") {
		t.Errorf("--shape cloudwatch-csv:\n%s", out)
	}
}

func TestColdstart_usageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"analyze", "--format", "xml", "x.log"},
		{"analyze", "--arch", "sparc", "x.log"},
		{"analyze", "--p99-target", "-1s", "x.log"},
		{"analyze", "--log-group", "/aws/lambda/a", "x.log"},
		{"analyze", "--tz", "Mars/Olympus", "x.log"},
		{"analyze", "--log-group", "/aws/lambda/a", "--since", "1h", "--start", "2026-11-01T00:00:00Z"},
		{"generate", "--size", "lots"},
		{"generate", "--format", "xml"},
		{"generate", "extra"},
		{"generate", "--shape", "xml"},
		{"generate", "--tracing", "2"},
		{"analyze", "--shape", "xml", "x.log"},
		{"analyze", "--shape", "lambda", "--log-group", "/aws/lambda/a"},
	} {
		_, _, err := runColdstartCmd(t, args...)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
	_, _, err := runColdstartCmd(t, "analyze", "--region", "mars-1", "../../coldstart/testdata/cloudwatch-export-text.log")
	if !errors.Is(err, coldstart.ErrNoPrices) {
		t.Errorf("unknown region: err = %v", err)
	}
	_, _, err = runColdstartCmd(t, "analyze", "--prices", "no-such.json", "x.log")
	if err == nil {
		t.Error("a missing price file was accepted")
	}
}

func TestColdstart_pricesRoundTrip(t *testing.T) {
	out, _, err := runColdstartCmd(t, "prices")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(path, []byte(strings.Replace(out, `"us-east-2"`, `"eu-central-1"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	text, _, err := runColdstartCmd(t, "analyze", "--no-plan", "--prices", path, "--region", "eu-central-1", "../../coldstart/testdata/cloudwatch-export-text.log")
	if err != nil || !strings.Contains(text, "eu-central-1") {
		t.Errorf("analyze with a price file: %v\n%s", err, text)
	}
}

// TestColdstart_cloudWatch reads a log group through a local server that
// speaks the CloudWatch Logs JSON protocol.
func TestColdstart_cloudWatch(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	var groups []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "Logs_20140328.FilterLogEvents" {
			http.Error(w, "unexpected target", http.StatusBadRequest)
			return
		}
		var req struct {
			LogGroupName string `json:"logGroupName"`
			StartTime    int64  `json:"startTime"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		groups = append(groups, req.LogGroupName)
		at := t0.UnixMilli()
		events := []map[string]any{
			{"timestamp": at, "message": "START RequestId: a1 Version: $LATEST\n"},
			{"timestamp": at + 90, "message": "END RequestId: a1\n"},
			{"timestamp": at + 90, "message": "REPORT RequestId: a1\tDuration: 90.00 ms\tBilled Duration: 1090 ms\tMemory Size: 512 MB\tMax Memory Used: 50 MB\tInit Duration: 1000.00 ms\t\n"},
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, mustJSON(t, map[string]any{"events": events}))
	}))
	defer srv.Close()
	out, stderr, err := runColdstartCmd(t, "analyze", "--no-plan", "--endpoint", srv.URL, "--log-group", "/aws/lambda/orders",
		"--start", "2026-11-23T00:00:00Z", "--end", "2026-11-24T00:00:00Z")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if len(groups) != 1 || groups[0] != "/aws/lambda/orders" || !strings.Contains(out, "== orders (version $LATEST, 512 MB)") {
		t.Errorf("groups %v, output:\n%s", groups, out)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1GB": 1e9, "200MB": 200e6, "1.5GiB": 1.5 * (1 << 30), "4096": 4096, "10KB": 10e3} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1GB", "GB", "1TB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestTimeRange(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	from, to, err := timeRange(0, "", "", now)
	if err != nil || !to.Equal(now) || !from.Equal(now.Add(-168*time.Hour)) {
		t.Errorf("default = %v %v %v", from, to, err)
	}
	from, _, err = timeRange(2*time.Hour, "", "", now)
	if err != nil || !from.Equal(now.Add(-2*time.Hour)) {
		t.Errorf("--since = %v %v", from, err)
	}
	if _, _, err := timeRange(0, "2026-11-27T00:00:00Z", "", now); err == nil {
		t.Error("a start after the end was accepted")
	}
}

// TestWriteFileWith: a failed write leaves the previous file whole and no
// temporary file behind; a complete one replaces it with its mode kept; a
// device (not a regular file) is written in place.
func TestWriteFileWith(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, []byte("previous report"), 0o640); err != nil {
		t.Fatal(err)
	}
	err := writeFileWith(path, func(w io.Writer) error {
		io.WriteString(w, "half a rep")
		return errors.New("analysis failed")
	})
	if err == nil {
		t.Fatal("the failure was not reported")
	}
	if b, _ := os.ReadFile(path); string(b) != "previous report" {
		t.Fatalf("after a failed write the file holds %q", b)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Fatalf("files left: %v", ents)
	}
	if err := writeFileWith(path, func(w io.Writer) error { _, err := io.WriteString(w, "new report"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new report" {
		t.Fatalf("the file holds %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the previous file's 0640", st.Mode().Perm())
	}
	// Through a symbolic link: the link stays, its target is replaced.
	link := filepath.Join(filepath.Dir(path), "latest.html")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := writeFileWith(link, func(w io.Writer) error { _, err := io.WriteString(w, "via the link"); return err }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "via the link" {
		t.Errorf("the link's target holds %q", b)
	}
	if err := writeFileWith(os.DevNull, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatalf("writing to %s: %v", os.DevNull, err)
	}
}
