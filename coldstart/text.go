package coldstart

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes the terminal summary of rep: per function the cold
// starts, latencies, the hotspot, cold starts by hour, what was billed and
// the provisioned concurrency options that matter.
func WriteText(w io.Writer, rep *Report) error {
	ew := &errWriter{w: w}
	in := rep.Input
	ew.printf("Read %s, %s lines (%s platform) from %d stream(s) in %v.\n",
		humanBytes(in.Bytes), commas(in.Lines), commas(in.PlatformLines), len(in.Streams), in.Elapsed.Round(time.Millisecond))
	if len(in.Shapes) > 0 {
		ew.printf("Read as: %s.\n", shapesSummary(in.Shapes))
	}
	if in.Malformed+in.Oversized+in.UnmatchedStarts+in.ReportsWithoutStart+in.UntimedReports > 0 {
		ew.printf("Skipped: %s malformed or truncated platform lines, %s oversized lines; %s STARTs without REPORT, %s REPORTs without START, %s REPORTs without a timestamp.\n",
			commas(in.Malformed), commas(in.Oversized), commas(in.UnmatchedStarts), commas(in.ReportsWithoutStart), commas(in.UntimedReports))
	}
	if in.ReplayTruncated {
		ew.printf("The simulation replays only the first invocations (MaxReplayArrivals).\n")
	}
	s := rep.Settings
	ew.printf("Prices: %s %s (%s). Target: p99 ≤ %v in every hour of the day. Times in %s.\n",
		s.Region, s.Arch, s.PriceSource, s.P99Target, s.Timezone)
	for _, f := range rep.Functions {
		writeFunctionText(ew, f)
	}
	return ew.err
}

func writeFunctionText(ew *errWriter, f *FunctionReport) {
	ew.printf("\n== %s (version %s, %d MB)", f.Function, f.Version, f.MemoryMB)
	if !f.First.IsZero() {
		ew.printf("  %s to %s", f.First.Format("2006-01-02 15:04"), f.Last.Format("2006-01-02 15:04"))
	}
	ew.printf("\n")
	c := f.ColdStarts
	ew.printf("Invocations %s; cold starts %s (%.2f%%): on-demand %s, SnapStart %s, init re-run %s; provisioned inits %s; failed inits %s; timeouts %s.\n",
		commas(f.Invocations), commas(c.Total()), 100*f.ColdRate, commas(c.OnDemand), commas(c.SnapStart), commas(c.InitRerun),
		commas(c.Provisioned), commas(c.InitFailures), commas(f.Timeouts))
	if f.Environments > 0 {
		ew.printf("Execution environments (log streams) %s, %s of them started before the log.\n", commas(f.Environments), commas(f.EnvironmentsBeforeLog))
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "ms\tcount\tp50\tp90\tp99\tmax\t\n")
	row := func(name string, p Percentiles) {
		if p.Count == 0 {
			return
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t\n", name, commas(int64(p.Count)), p.P50, p.P90, p.P99, p.Max)
	}
	row("init", f.Init)
	row("restore", f.Restore)
	row("init re-run", f.InitRerun)
	row("latency cold", f.Latency.Cold)
	row("latency warm", f.Latency.Warm)
	row("latency all", f.LatencyAll)
	tw.Flush()
	if h := f.Hotspot; h != nil {
		ew.printf("Hotspot: %s; p99 there %.0f ms.\n", h.Summary, h.P99Ms)
	}
	ew.printf("Cold starts by hour  %s\n", sparkline(f.ByHour[:]))
	ew.printf("                     %s\n", hourAxis())
	ew.printf("p99 by hour (ms)     %s\n", hourP99s(f.ByHour[:]))
	ew.printf("By weekday           ")
	for _, d := range []int{1, 2, 3, 4, 5, 6, 0} {
		s := f.ByWeekday[d]
		ew.printf("%s %s cold (p99 %.0f)  ", weekdayNames[d][:2], commas(s.ColdStarts), s.P99Ms)
	}
	ew.printf("\n")
	ew.printf("Peak concurrency %d. Billed %.1f GB-s (%s cold starts with INIT billed, %.1f GB-s of it): $%.2f over the period.\n",
		f.PeakConcurrency, f.Billed.GBSeconds+f.Billed.RestoreGBSeconds, commas(f.Billed.InitBilled), f.Billed.InitGBSeconds, f.Billed.Cost)
	p := f.Plan
	if p == nil {
		return
	}
	ew.printf("\nOptions per month (simulated over %.0f h of traffic, idle timeout %v):\n", p.ObservedHours, p.Model.IdleTimeout)
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  option\tcost\tcold starts\tp99 worst hour\tp99 overall\tutilisation\tmeets target\n")
	shown := map[int]bool{}
	show := func(i int) {
		if i < 0 || shown[i] {
			return
		}
		shown[i] = true
		op := p.Options[i]
		mark := ""
		if i == p.Recommended {
			mark = "  <- recommended"
		}
		fmt.Fprintf(tw, "  %s\t$%.2f\t%s\t%.0f ms\t%.0f ms\t%.0f%%\t%s%s\n", op.Name, op.MonthlyCost, commas(int64(op.ColdStartsPerMonth+0.5)),
			op.WorstHourP99Ms, op.P99Ms, 100*op.Utilisation, yesNo(op.MeetsTarget), mark)
	}
	show(0)
	show(p.index(p.Cheapest("always-on")))
	show(p.index(p.Cheapest("scheduled")))
	show(p.Recommended)
	tw.Flush()
	ew.printf("(%d options in all in the JSON and HTML reports.)\n", len(p.Options))
	for _, e := range p.Explanation {
		ew.printf("- %s\n", e)
	}
}

func (p *Plan) index(op *PlanOption) int {
	for i := range p.Options {
		if &p.Options[i] == op {
			return i
		}
	}
	return -1
}

var sparks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws cold starts per hour, two characters an hour.
func sparkline(slots []Slot) string {
	var top int64
	for _, s := range slots {
		top = max(top, s.ColdStarts)
	}
	var b strings.Builder
	for _, s := range slots {
		r := ' '
		if s.ColdStarts > 0 && top > 0 {
			r = sparks[int(float64(s.ColdStarts)/float64(top)*float64(len(sparks)-1)+0.5)]
		}
		b.WriteRune(r)
		b.WriteRune(r)
	}
	return b.String()
}

// hourP99s marks the hours whose p99 is above the median hour's twice.
func hourP99s(slots []Slot) string {
	var b strings.Builder
	for i, s := range slots {
		if i%6 == 0 && i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d ", int(s.P99Ms+0.5))
	}
	return strings.TrimSpace(b.String())
}

// hourAxis labels the sparkline's hours 0, 6, 12, 18 and 23 (two
// characters an hour).
func hourAxis() string {
	b := []byte(strings.Repeat(" ", 48))
	for _, h := range []int{0, 6, 12, 18, 23} {
		copy(b[2*h:], fmt.Sprint(h))
	}
	return strings.TrimRight(string(b), " ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}

// shapesSummary names the shape of each stream, "week.log as
// aws-logs-tail (12 log streams)", at most eight, then how many more.
func shapesSummary(shapes []StreamShape) string {
	var b strings.Builder
	for i, s := range shapes {
		if i == 8 {
			fmt.Fprintf(&b, "; and %d more", len(shapes)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s as %s", s.Stream, s.Shape)
		if s.LogStreams > 0 {
			fmt.Fprintf(&b, " (%s log streams)", commas(s.LogStreams))
		}
	}
	return b.String()
}
