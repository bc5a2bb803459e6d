package coldstart

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// WriteHTML writes rep as one self-contained HTML page: the summary, and
// per function its figures, inline SVG charts (latency cold vs warm, cold
// starts and p99 by hour, concurrency over time, cost against provisioned
// concurrency level) and the options. The page has no script and loads
// nothing.
func WriteHTML(w io.Writer, rep *Report) error {
	type fn struct {
		*FunctionReport
		Index                                                     int
		LatencySVG, HoursSVG, HeatmapSVG, ConcurrencySVG, CostSVG template.HTML
	}
	data := struct {
		*Report
		Funcs []fn
	}{Report: rep}
	for i, f := range rep.Functions {
		v := fn{FunctionReport: f, Index: i}
		for _, c := range Charts(f, rep.Settings.P99Target, "", fmt.Sprintf("-%d", i)) {
			svg := template.HTML(c.SVG) // generated here, every text escaped
			switch c.Kind {
			case "latency":
				v.LatencySVG = svg
			case "hours":
				v.HoursSVG = svg
			case "heatmap":
				v.HeatmapSVG = svg
			case "concurrency":
				v.ConcurrencySVG = svg
			case "cost":
				v.CostSVG = svg
			}
		}
		data.Funcs = append(data.Funcs, v)
	}
	return htmlPage.Execute(w, data)
}

// Chart is one self-contained inline SVG chart.
type Chart struct {
	// Kind is "hours", "heatmap", "latency", "concurrency" or "cost".
	Kind  string `json:"kind"`
	ID    string `json:"id"` // the id attribute of the svg element
	Title string `json:"title"`
	SVG   string `json:"svg"`
}

// Charts returns the charts of one function's report, for pages other than
// [WriteHTML]'s (a dashboard): cold starts and p99 by hour (with the p99
// target), latency cold vs warm, concurrency over time and, when f has a
// plan, cost against PC level; and cold starts by weekday and hour. Each svg element's id is prefix + kind +
// suffix. The SVG has no script and references nothing.
func Charts(f *FunctionReport, p99Target time.Duration, prefix, suffix string) []Chart {
	id := func(kind string) string { return prefix + kind + suffix }
	out := []Chart{
		{Kind: "hours", ID: id("hours"), Title: "Cold starts and p99 by hour of day", SVG: hourChart(id("hours"), f, p99Target)},
		{Kind: "heatmap", ID: id("heatmap"), Title: "Cold starts by weekday and hour", SVG: heatmapChart(id("heatmap"), f)},
		{Kind: "latency", ID: id("latency"), Title: "Latency distribution, cold vs warm", SVG: latencyChart(id("latency"), f)},
		{Kind: "concurrency", ID: id("concurrency"), Title: "Concurrency over time", SVG: concurrencyChart(id("concurrency"), f)},
	}
	if f.Plan != nil {
		out = append(out, Chart{Kind: "cost", ID: id("cost"), Title: "Monthly cost against provisioned concurrency", SVG: costChart(id("cost"), f.Plan)})
	}
	return out
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"commas":  func(n int64) string { return commas(n) },
	"ucommas": func(n uint64) string { return commas(int64(n)) },
	"pct":     func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"pct0":    func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) },
	"ms":      fmtMs,
	"usd":     func(v float64) string { return fmt.Sprintf("$%.2f", v) },
	"bytes":   humanBytes,
	"date":    func(t time.Time) string { return t.Format("2006-01-02 15:04 MST") },
	"dur":     func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"round":   func(v float64) string { return fmt.Sprintf("%.0f", v) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cold-start triage</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #212529; margin: 0; background: #f8f9fa; }
main { max-width: 1340px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-top: 1px solid #dee2e6; padding-top: 16px; }
.meta { color: #495057; margin: 0 0 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(640px, 1fr)); gap: 12px; margin: 12px 0; }
figure { margin: 0; background: #fff; border: 1px solid #dee2e6; border-radius: 6px; padding: 6px; }
figcaption { font-weight: 600; margin: 2px 6px 4px; }
table { border-collapse: collapse; background: #fff; margin: 8px 0; }
th, td { border: 1px solid #dee2e6; padding: 3px 8px; text-align: right; } th { background: #f1f3f5; } td:first-child, th:first-child { text-align: left; }
tr.rec td { background: #fff3bf; font-weight: 600; }
.callout { background: #fff; border-left: 4px solid #f08c00; padding: 8px 12px; margin: 10px 0; }
.warn { border-left-color: #c92a2a; }
svg text { font: 11px system-ui, sans-serif; fill: #495057; } svg text.axis-title { font-size: 12px; fill: #212529; } svg text.legend { font-size: 12px; fill: #212529; }
ul.explain li { margin: 3px 0; }
</style>
</head>
<body><main>
<h1>Cold-start triage</h1>
<p class="meta">Generated {{date .GeneratedAt}} from {{bytes .Input.Bytes}}, {{commas .Input.Lines}} lines ({{commas .Input.PlatformLines}} platform lines) in {{dur .Input.Elapsed}}.{{with .Input.Shapes}} Read as: {{range $i, $s := .}}{{if $i}}; {{end}}{{$s.Stream}} as {{$s.Shape}}{{if $s.LogStreams}} ({{commas $s.LogStreams}} log streams){{end}}{{end}}.{{end}}
Prices: {{.Settings.Region}} {{.Settings.Arch}}, {{.Settings.PriceSource}}. Target: p99 ≤ {{.Settings.P99Target}} in every hour of the day. Times in {{.Settings.Timezone}}.</p>
{{if or .Input.Malformed .Input.Oversized .Input.UnmatchedStarts .Input.ReportsWithoutStart}}<p class="callout warn">Skipped {{commas .Input.Malformed}} malformed or truncated platform lines and {{commas .Input.Oversized}} oversized lines; {{commas .Input.UnmatchedStarts}} STARTs had no REPORT and {{commas .Input.ReportsWithoutStart}} REPORTs no START.</p>{{end}}
{{range .Funcs}}
<section class="function" id="function-{{.Index}}">
<h2>{{.Function}} <small>version {{.Version}}, {{.MemoryMB}} MB</small></h2>
<p class="meta">{{if not .First.IsZero}}{{date .First}} to {{date .Last}}. {{end}}{{commas .Invocations}} invocations, {{commas .ColdStarts.Total}} cold starts ({{pct .ColdRate}}): on-demand {{commas .ColdStarts.OnDemand}}, SnapStart {{commas .ColdStarts.SnapStart}}, init re-run {{commas .ColdStarts.InitRerun}}; provisioned inits {{commas .ColdStarts.Provisioned}}, failed inits {{commas .ColdStarts.InitFailures}}, timeouts {{commas .Timeouts}}.{{if .Environments}} Execution environments (log streams) {{commas .Environments}}, {{commas .EnvironmentsBeforeLog}} of them started before the log.{{end}} Peak concurrency {{.PeakConcurrency}}.</p>
{{with .Hotspot}}<p class="callout">Hotspot: {{.Summary}}; p99 latency there {{ms .P99Ms}}.</p>{{end}}
<table><tr><th>milliseconds</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>
{{with .Init}}{{if .Count}}<tr><td>init</td><td>{{ucommas .Count}}</td><td>{{round .P50}}</td><td>{{round .P90}}</td><td>{{round .P99}}</td><td>{{round .Max}}</td></tr>{{end}}{{end}}
{{with .Restore}}{{if .Count}}<tr><td>SnapStart restore</td><td>{{ucommas .Count}}</td><td>{{round .P50}}</td><td>{{round .P90}}</td><td>{{round .P99}}</td><td>{{round .Max}}</td></tr>{{end}}{{end}}
{{with .Latency.Cold}}{{if .Count}}<tr><td>latency, cold</td><td>{{ucommas .Count}}</td><td>{{round .P50}}</td><td>{{round .P90}}</td><td>{{round .P99}}</td><td>{{round .Max}}</td></tr>{{end}}{{end}}
{{with .Latency.Warm}}{{if .Count}}<tr><td>latency, warm</td><td>{{ucommas .Count}}</td><td>{{round .P50}}</td><td>{{round .P90}}</td><td>{{round .P99}}</td><td>{{round .Max}}</td></tr>{{end}}{{end}}
</table>
<p class="meta">Billed: {{printf "%.1f" .Billed.GBSeconds}} GB-s{{if .Billed.RestoreGBSeconds}} and {{printf "%.1f" .Billed.RestoreGBSeconds}} GB-s of restores{{end}}, {{commas .Billed.InitBilled}} cold starts with the INIT phase billed ({{printf "%.1f" .Billed.InitGBSeconds}} GB-s): {{usd .Billed.Cost}} at list prices over the period.</p>
<div class="grid">
<figure><figcaption>Cold starts and p99 by hour of day</figcaption>{{.HoursSVG}}</figure>
<figure><figcaption>Cold starts by weekday and hour</figcaption>{{.HeatmapSVG}}</figure>
<figure><figcaption>Latency distribution, cold vs warm</figcaption>{{.LatencySVG}}</figure>
{{if .CostSVG}}<figure><figcaption>Monthly cost against provisioned concurrency</figcaption>{{.CostSVG}}</figure>{{end}}
<figure><figcaption>Concurrency over time</figcaption>{{.ConcurrencySVG}}</figure>
</div>
{{with .Plan}}
<h3>Options per month</h3>
<p class="meta">Simulated by replaying {{printf "%.0f" .ObservedHours}} hours of arrivals against a keep-alive model with idle timeout {{.Model.IdleTimeout}}{{if .Calibration.Calibrated}} (calibrated: {{.Calibration.SimulatedColdStart}} cold starts replayed vs {{.Calibration.ObservedColdStarts}} observed){{end}}; break-even utilisation {{pct0 .BreakEvenUtilisation}}.</p>
<table>
<tr><th>option</th><th>cost</th><th>requests</th><th>on-demand</th><th>PC allocation</th><th>PC duration</th><th>cold starts</th><th>p99 worst hour</th><th>p99 overall</th><th>utilisation</th><th>meets target</th></tr>
{{$rec := .Recommended}}{{range $i, $o := .Options}}<tr{{if eq $i $rec}} class="rec"{{end}}><td>{{$o.Name}}{{if eq $i $rec}} (recommended){{end}}</td><td>{{usd $o.MonthlyCost}}</td><td>{{usd $o.Cost.Requests}}</td><td>{{usd $o.Cost.OnDemand}}</td><td>{{usd $o.Cost.PCAllocation}}</td><td>{{usd $o.Cost.PCDuration}}</td><td>{{round $o.ColdStartsPerMonth}}</td><td>{{ms $o.WorstHourP99Ms}}</td><td>{{ms $o.P99Ms}}</td><td>{{pct0 $o.Utilisation}}</td><td>{{if $o.MeetsTarget}}yes{{else}}no{{end}}</td></tr>
{{end}}</table>
<ul class="explain">{{range .Explanation}}<li>{{.}}</li>{{end}}</ul>
{{end}}
</section>
{{end}}
</main></body>
</html>
`))
