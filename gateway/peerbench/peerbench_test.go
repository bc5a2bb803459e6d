package peerbench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWrkOutputParsing(t *testing.T) {
	out := []byte(`Running 8s test @ http://127.0.0.1:1/api/bench
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.51ms    3.12ms  36.71ms   91.00%
  Latency Distribution
     50%    2.51ms
     75%    3.00ms
     90%    4.00ms
     99%   36.71ms
  28217 requests in 3.04s, 6.78MB read
  Non-2xx or 3xx responses: 17
Requests/sec:   9282.01
`)
	m := wrkTotal.FindSubmatch(out)
	if m == nil || string(m[1]) != "28217" || string(m[2]) != "3.04" || string(m[3]) != "s" {
		t.Fatalf("total: %q", m)
	}
	if m := wrkNon2xx.FindSubmatch(out); m == nil || string(m[1]) != "17" {
		t.Fatalf("non-2xx: %q", m)
	}
	if ps := wrkPercent.FindAllSubmatch(out, -1); len(ps) != 2 || string(ps[0][2]) != "2.51" || string(ps[1][3]) != "ms" {
		t.Fatalf("percentiles: %q", ps)
	}
}

func TestWrkSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Millisecond: "1s", time.Second: "1s", 1500 * time.Millisecond: "2s", 8 * time.Second: "8s",
	} {
		if got := wrkSeconds(d); got != want {
			t.Errorf("wrkSeconds(%v) = %s, want %s", d, got, want)
		}
	}
}

// A proxy that died during a run must give an error, not a figure from
// its missing (or zombie) process.
func TestCPUTicks_exited(t *testing.T) {
	if _, err := cpuTicks(os.Getpid()); err != nil {
		t.Fatalf("own process: %v", err)
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Exited but not waited for: a zombie.
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			break
		}
		runtime.Gosched()
	}
	if _, err := cpuTicks(cmd.Process.Pid); err == nil {
		t.Error("zombie: no error")
	}
	cmd.Wait()
	if _, err := cpuTicks(cmd.Process.Pid); err == nil {
		t.Error("reaped: no error")
	}
}

func TestReportRatio(t *testing.T) {
	r := &Report{Rows: []Row{
		{Round: 1, Mode: "saturation", Target: Rampart, CPUPerRequest: 30},
		{Round: 1, Mode: "saturation", Target: Nginx, CPUPerRequest: 10},
		{Round: 2, Mode: "saturation", Target: Rampart, CPUPerRequest: 20},
	}}
	if got := r.Ratio(1, "saturation", Rampart, Nginx); got != 3 {
		t.Errorf("ratio %v, want 3", got)
	}
	if got := r.Ratio(2, "saturation", Rampart, Nginx); got != 0 {
		t.Errorf("ratio without nginx %v, want 0", got)
	}
	if got := rotate([]string{"a", "b", "c"}, 4); strings.Join(got, "") != "bca" {
		t.Errorf("rotate: %v", got)
	}
}

func TestFloor(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen", r.URL.RequestURI())
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	h, err := Floor(origin.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/a%2Fb?q=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" || resp.Header.Get("X-Seen") != "/a%2Fb?q=1" {
		t.Fatalf("floor proxy: %q, origin saw %q", b, resp.Header.Get("X-Seen"))
	}
}

// TestWriteTable_baselineColumnsAlign checks that with a baseline the
// ratio rows of every round stay in one set of columns: a random-token row
// (which has no baseline ratio) once ended tabwriter's column block, so the
// rounds after the first were printed out of line.
func TestWriteTable_baselineColumnsAlign(t *testing.T) {
	var rows []Row
	for round := 1; round <= 2; round++ {
		for _, mode := range []string{"saturation", "random tokens"} {
			for _, target := range []string{Rampart, Nginx, Caddy, FloorProxy, Baseline, RampartNoLimit} {
				cpu := 10.0
				if target == Baseline {
					cpu = 20 // Rampart/baseline 0.50, found by its text below
				}
				rows = append(rows, Row{Round: round, Mode: mode, Target: target, CPUPerRequest: cpu})
			}
		}
	}
	var b strings.Builder
	if err := (&Report{Rows: rows}).WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	var col []int // where the baseline ratio starts, per saturation row
	head := -1
	for line := range strings.Lines(b.String()) {
		if i := strings.Index(line, "RAMPART/BASELINE CPU"); i >= 0 {
			head = i
		}
		if f := strings.Fields(line); head >= 0 && len(f) > 1 && f[1] == "saturation" {
			col = append(col, strings.Index(line, "0.50"))
		}
	}
	if len(col) != 2 {
		t.Fatalf("found %d saturation ratio rows, want 2:\n%s", len(col), b.String())
	}
	for _, c := range col {
		if c != head {
			t.Errorf("a baseline ratio starts at column %d, its heading at %d:\n%s", c, head, b.String())
		}
	}
}
