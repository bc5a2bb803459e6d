package coldstart

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// BenchmarkAgainstGrep measures Analyze (shape detection on) without and
// with the simulation side by side with `grep -c 'Init Duration'` on the
// same log file, A B C A B C over the iterations, each per CPU-second of its own
// process time (grep's from its rusage, Analyze's from this process's), so
// that the ratio does not depend on how busy the machine is. The log is
// RAMPART_COLDSTART_LOG; the figure is on the 1 GB generated log:
//
//	go run ./cmd/rampart coldstart generate --size 1GB -o /tmp/1g.log
//	RAMPART_COLDSTART_LOG=/tmp/1g.log go test -run '^$' -bench AgainstGrep -benchtime 3x ./coldstart/
//
// It reports MB/cpu-s of grep and of the analysis, and the ratios
// rampart/grep of the analysis (ratio) and of the analysis with the
// simulation and cost model (ratio-plan, what `rampart coldstart analyze`
// does by default).
func BenchmarkAgainstGrep(b *testing.B) {
	path := os.Getenv("RAMPART_COLDSTART_LOG")
	if path == "" {
		b.Skip("set RAMPART_COLDSTART_LOG to a log file (see the doc comment)")
	}
	grep, err := exec.LookPath("grep")
	if err != nil {
		b.Skip("no grep on PATH")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	size := float64(st.Size())
	var grepCPU, ourCPU, planCPU float64
	var grepCount, reports int64
	for b.Loop() {
		cmd := exec.Command(grep, "-c", "Init Duration", path)
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		grepCPU += (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
		if grepCount, err = strconv.ParseInt(string(bytes.TrimSpace(out)), 10, 64); err != nil {
			b.Fatal(err)
		}

		for _, skipPlan := range []bool{true, false} {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			cpu := cpuSeconds()
			rep, err := Analyze(context.Background(), ReaderSource(path, "", f), &Options{SkipPlan: skipPlan})
			if skipPlan {
				ourCPU += cpuSeconds() - cpu
			} else {
				planCPU += cpuSeconds() - cpu
			}
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			reports = 0
			for _, fr := range rep.Functions {
				reports += fr.ColdStarts.OnDemand
			}
		}
	}
	if reports == 0 || grepCount == 0 {
		b.Fatalf("grep counted %d lines, Analyze %d on-demand cold starts", grepCount, reports)
	}
	n := float64(b.N)
	b.ReportMetric(size*n/grepCPU/1e6, "grep-MB/cpu-s")
	b.ReportMetric(size*n/ourCPU/1e6, "MB/cpu-s")
	b.ReportMetric(grepCPU/ourCPU, "ratio")
	b.ReportMetric(grepCPU/planCPU, "ratio-plan")
	b.ReportMetric(0, "ns/op")
}
