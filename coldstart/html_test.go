package coldstart

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/testenv"
)

// MustReportHTML writes the HTML report of the synthetic week to a file in a
// temporary directory and returns its path.
func MustReportHTML(tb testing.TB) string {
	tb.Helper()
	rep := analyzedWeek(tb)
	path := filepath.Join(tb.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := WriteHTML(f, rep); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

var chartIDs = []string{"hours-0", "heatmap-0", "latency-0", "cost-0", "concurrency-0"}

func TestWriteHTML_selfContained(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of logs")
	}
	b, err := os.ReadFile(MustReportHTML(t))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, id := range chartIDs {
		if !strings.Contains(page, `<svg class="chart" id="`+id+`"`) {
			t.Errorf("chart %s missing", id)
		}
	}
	// Nothing is fetched and nothing runs: no script, no external URL
	// besides the SVG namespace.
	if strings.Contains(page, "<script") {
		t.Error("the report contains a script")
	}
	urls := regexp.MustCompile(`(?:src|href)="[^"]*"|url\(`).FindAllString(page, -1)
	if len(urls) > 0 {
		t.Errorf("the report references %v", urls)
	}
}

// TestWriteHTML_chromium opens the report in a real headless Chromium: it
// must render without console errors, and the rendered DOM must hold the
// charts.
func TestWriteHTML_chromium(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of logs and a browser")
	}
	chromium := testenv.Command(t, "chromium")
	path := MustReportHTML(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000",
		"--dump-dom", "file://"+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, "ERROR:CONSOLE") || strings.Contains(line, ":CONSOLE(") {
			t.Errorf("console error: %s", line)
		}
	}
	dom := stdout.String()
	if !strings.Contains(dom, "Cold-start triage") {
		t.Fatalf("the rendered DOM is not the report:\n%.500s", dom)
	}
	for _, id := range chartIDs {
		re := regexp.MustCompile(`<svg[^>]*id="` + id + `"[^>]*>`)
		if !re.MatchString(dom) {
			t.Errorf("rendered DOM lacks chart %s", id)
		}
	}
	if n := strings.Count(dom, "<rect"); n < 50 {
		t.Errorf("rendered DOM has %d rects; the bar charts are empty", n)
	}
	if !strings.Contains(dom, "<polyline") || !strings.Contains(dom, "<circle") {
		t.Error("rendered DOM lacks the line and point charts")
	}
}
