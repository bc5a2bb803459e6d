package coldstart

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// The charts are inline SVG written here, with no script and nothing
// fetched: the HTML report is one self-contained file.

const (
	chartW, chartH                   = 640, 260
	padL, padR, padT, padB           = 56, 56, 24, 40
	colorCold, colorWarm, colorOther = "#d9480f", "#1971c2", "#868e96"
	colorHot                         = "#f08c00"
)

// baseColors tell scheduled series apart by their always-on base.
var baseColors = []string{colorWarm, "#2f9e44", "#7048e8", "#0c8599"}

// svgChart is one chart under construction.
type svgChart struct {
	b      strings.Builder
	x0, x1 float64 // data range on x
	y0, y1 float64 // data range on y
	logX   bool
}

func newChart(id, title string) *svgChart {
	c := &svgChart{}
	fmt.Fprintf(&c.b, `<svg class="chart" id="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		esc(id), chartW, chartH, chartW, chartH, esc(title))
	fmt.Fprintf(&c.b, `<title>%s</title><rect x="0" y="0" width="%d" height="%d" fill="#fff"/>`, esc(title), chartW, chartH)
	return c
}

func (c *svgChart) px(x float64) float64 {
	if c.logX {
		x, c0, c1 := math.Log10(math.Max(x, 1e-9)), math.Log10(c.x0), math.Log10(c.x1)
		return padL + (x-c0)/(c1-c0)*(chartW-padL-padR)
	}
	if c.x1 == c.x0 {
		return padL
	}
	return padL + (x-c.x0)/(c.x1-c.x0)*(chartW-padL-padR)
}

func (c *svgChart) py(y float64) float64 {
	if c.y1 == c.y0 {
		return chartH - padB
	}
	return chartH - padB - (y-c.y0)/(c.y1-c.y0)*(chartH-padT-padB)
}

func (c *svgChart) text(x, y float64, anchor, class, s string) {
	fmt.Fprintf(&c.b, `<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, esc(s))
}

// axes draws the frame, ticks and labels.
func (c *svgChart) axes(xTicks []float64, xLabel func(float64) string, yTicks []float64, yLabel func(float64) string, xTitle, yTitle string) {
	fmt.Fprintf(&c.b, `<g class="axes" stroke="#ced4da" stroke-width="1">`)
	for _, y := range yTicks {
		fmt.Fprintf(&c.b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padL, chartW-padR, c.py(y), c.py(y))
	}
	fmt.Fprintf(&c.b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#495057"/>`, padL, chartW-padR, chartH-padB, chartH-padB)
	fmt.Fprintf(&c.b, `</g>`)
	for _, x := range xTicks {
		c.text(c.px(x), chartH-padB+14, "middle", "tick", xLabel(x))
	}
	for _, y := range yTicks {
		c.text(padL-6, c.py(y)+4, "end", "tick", yLabel(y))
	}
	c.text((padL+chartW-padR)/2, chartH-6, "middle", "axis-title", xTitle)
	fmt.Fprintf(&c.b, `<text transform="translate(14,%d) rotate(-90)" text-anchor="middle" class="axis-title">%s</text>`, (padT+chartH-padB)/2, esc(yTitle))
}

func (c *svgChart) legend(items ...[2]string) {
	x := float64(padL + 8)
	for _, it := range items {
		fmt.Fprintf(&c.b, `<rect x="%.0f" y="6" width="10" height="10" fill="%s"/>`, x, it[1])
		c.text(x+14, 15, "start", "legend", it[0])
		x += 22 + 7*float64(len(it[0]))
	}
}

func (c *svgChart) String() string { return c.b.String() + "</svg>" }

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

func logTicks(lo, hi float64) []float64 {
	var out []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 3} {
			v := m * math.Pow(10, e)
			if v >= lo && v <= hi {
				out = append(out, v)
			}
		}
	}
	return out
}

func fmtMs(v float64) string {
	if v >= 1000 {
		return trimZero(fmt.Sprintf("%.1f s", v/1000))
	}
	return trimZero(fmt.Sprintf("%.1f ms", v))
}

func trimZero(s string) string { return strings.Replace(s, ".0 ", " ", 1) }

func fmtNum(v float64) string {
	switch {
	case math.Abs(v) >= 1e6:
		return trimZero(fmt.Sprintf("%.1f M", v/1e6))
	case math.Abs(v) >= 1e4:
		return trimZero(fmt.Sprintf("%.0f k", v/1e3))
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

func esc(s string) string { return html.EscapeString(s) }

// latencyChart draws the end-to-end latency distributions of cold and warm
// invocations, each as the share of its own invocations, on a log axis.
func latencyChart(id string, f *FunctionReport) string {
	c := newChart(id, "End-to-end latency, cold vs warm")
	cold, warm := f.LatencyHistogram.Cold, f.LatencyHistogram.Warm
	lo, hi := math.Inf(1), 0.0
	top := 0.0
	share := func(bs []Bucket) []float64 {
		var n uint64
		for _, b := range bs {
			n += b.Count
		}
		out := make([]float64, len(bs))
		for i, b := range bs {
			out[i] = float64(b.Count) / float64(max(n, 1))
			top = math.Max(top, out[i])
			lo, hi = math.Min(lo, b.LowMs), math.Max(hi, b.HighMs)
		}
		return out
	}
	sc, sw := share(cold), share(warm)
	if len(cold)+len(warm) == 0 {
		lo, hi = 1, 10
	}
	c.logX, c.x0, c.x1 = true, lo, hi
	c.y0, c.y1 = 0, math.Max(top*1.1, 0.01)
	c.axes(logTicks(lo, hi), fmtMs, niceTicks(0, c.y1, 4), func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) },
		"latency (duration + init or restore), log scale", "share of invocations")
	bars := func(bs []Bucket, s []float64, color, class string) {
		fmt.Fprintf(&c.b, `<g class="%s" fill="%s" fill-opacity="0.6">`, class, color)
		for i, b := range bs {
			x0, x1 := c.px(b.LowMs), c.px(b.HighMs)
			fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s-%s: %d</title></rect>`,
				x0, c.py(s[i]), math.Max(x1-x0-0.5, 0.5), c.py(0)-c.py(s[i]), fmtMs(b.LowMs), fmtMs(b.HighMs), b.Count)
		}
		fmt.Fprintf(&c.b, `</g>`)
	}
	bars(warm, sw, colorWarm, "warm")
	bars(cold, sc, colorCold, "cold")
	c.legend([2]string{fmt.Sprintf("warm (%s)", commas(int64(f.Latency.Warm.Count))), colorWarm},
		[2]string{fmt.Sprintf("cold (%s)", commas(int64(f.Latency.Cold.Count))), colorCold})
	return c.String()
}

// hourChart draws cold starts by hour of day as bars, the hotspot hours
// highlighted, and the p99 latency of each hour as a line on the right axis.
func hourChart(id string, f *FunctionReport, target time.Duration) string {
	c := newChart(id, "Cold starts and p99 latency by hour of day")
	var top int64
	var p99 float64
	for _, s := range f.ByHour {
		top = max(top, s.ColdStarts)
		p99 = math.Max(p99, s.P99Ms)
	}
	c.x0, c.x1 = 0, 24
	c.y0, c.y1 = 0, math.Max(float64(top)*1.1, 1)
	c.axes([]float64{0.5, 3.5, 6.5, 9.5, 12.5, 15.5, 18.5, 21.5}, func(v float64) string { return fmt.Sprintf("%02.0f:00", v-0.5) },
		niceTicks(0, c.y1, 4), fmtNum, "hour of day ("+f.First.Location().String()+")", "cold starts")
	w := c.px(1) - c.px(0)
	fmt.Fprintf(&c.b, `<g class="bars">`)
	for h, s := range f.ByHour {
		color := colorCold
		if hs := f.Hotspot; hs != nil && h >= hs.StartHour && h < hs.EndHour {
			color = colorHot
		}
		y := c.py(float64(s.ColdStarts))
		fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%02d:00 %d cold starts of %d (%.2f%%), p99 %s</title></rect>`,
			c.px(float64(h))+1, y, w-2, c.py(0)-y, color, h, s.ColdStarts, s.Invocations, 100*s.ColdRate, fmtMs(s.P99Ms))
	}
	fmt.Fprintf(&c.b, `</g>`)
	// The p99 line on its own scale.
	yMax := math.Max(p99, float64(target.Milliseconds())) * 1.1
	ry := func(v float64) float64 { return chartH - padB - v/yMax*(chartH-padT-padB) }
	var pts []string
	for h, s := range f.ByHour {
		if s.Invocations > 0 {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", c.px(float64(h)+0.5), ry(s.P99Ms)))
		}
	}
	fmt.Fprintf(&c.b, `<polyline class="p99" points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), colorWarm)
	ty := ry(float64(target.Milliseconds()))
	fmt.Fprintf(&c.b, `<line class="target" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/>`, padL, chartW-padR, ty, ty, colorWarm)
	for _, v := range niceTicks(0, yMax, 4) {
		c.text(chartW-padR+6, ry(v)+4, "start", "tick", fmtMs(v))
	}
	c.text(chartW-padR-4, ty-4, "end", "tick", "p99 target")
	c.legend([2]string{"cold starts", colorCold}, [2]string{"hotspot", colorHot}, [2]string{"p99 latency (right axis)", colorWarm})
	return c.String()
}

// costChart draws the monthly cost of always-on and scheduled provisioned
// concurrency against the level, with the no-PC cost as a dashed line;
// filled points meet the p99 target.
func costChart(id string, p *Plan) string {
	c := newChart(id, "Monthly cost against provisioned concurrency level")
	maxLevel, maxCost := 1.0, 0.0
	for _, op := range p.Options {
		maxLevel = math.Max(maxLevel, float64(op.Level))
		maxCost = math.Max(maxCost, op.MonthlyCost)
	}
	c.x0, c.x1 = 0, maxLevel
	c.y0, c.y1 = 0, math.Max(maxCost*1.1, 1)
	c.axes(niceTicks(0, maxLevel, 6), fmtNum, niceTicks(0, c.y1, 5), func(v float64) string { return "$" + fmtNum(v) },
		"provisioned environments", "USD per month")
	none := p.Options[0]
	fmt.Fprintf(&c.b, `<line class="none" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="5 4"/>`,
		padL, chartW-padR, c.py(none.MonthlyCost), c.py(none.MonthlyCost), colorOther)
	c.text(chartW-padR-4, c.py(none.MonthlyCost)-4, "end", "tick", fmt.Sprintf("no PC $%.2f", none.MonthlyCost))
	series := func(kind string, base int, color string) {
		var pts []string
		var dots strings.Builder
		for i, op := range p.Options {
			if op.Kind != kind || (kind == "scheduled" && op.Schedule.Always != base) {
				continue
			}
			x, y := c.px(float64(op.Level)), c.py(op.MonthlyCost)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			fill := "#fff"
			if op.MeetsTarget {
				fill = color
			}
			r := 3.5
			if i == p.Recommended {
				r = 6
			}
			fmt.Fprintf(&dots, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" stroke="%s" stroke-width="1.5"><title>%s: $%.2f/month, p99 worst hour %s</title></circle>`,
				x, y, r, fill, color, esc(op.Name), op.MonthlyCost, fmtMs(op.WorstHourP99Ms))
		}
		if len(pts) > 0 {
			fmt.Fprintf(&c.b, `<g class="series-%s-%d"><polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>%s</g>`, kind, base, strings.Join(pts, " "), color, dots.String())
		}
	}
	series("always-on", 0, colorCold)
	items := [][2]string{{"always-on", colorCold}}
	for base := 0; base <= maxScheduledBase; base++ {
		color := baseColors[base%len(baseColors)]
		for _, op := range p.Options {
			if op.Kind == "scheduled" && op.Schedule.Always == base {
				series("scheduled", base, color)
				name := "scheduled"
				if base > 0 {
					name = fmt.Sprintf("%d always-on + scheduled", base)
				}
				items = append(items, [2]string{name, color})
				break
			}
		}
	}
	rec := p.Options[p.Recommended]
	c.text(c.px(float64(rec.Level)), c.py(rec.MonthlyCost)-10, "middle", "legend", "recommended")
	c.legend(append(items, [2]string{"filled: meets target", colorOther})...)
	return c.String()
}

// concurrencyChart draws the busy environments over time: the peak of each
// interval as a line and the mean as an area.
func concurrencyChart(id string, f *FunctionReport) string {
	c := newChart(id, "Concurrency over time")
	pts := f.Concurrency
	if len(pts) == 0 {
		return c.String()
	}
	t0, t1 := pts[0].Time, pts[len(pts)-1].Time.Add(f.Resolution)
	c.x0, c.x1 = 0, t1.Sub(t0).Hours()
	top := 1
	for _, p := range pts {
		top = max(top, p.Max)
	}
	c.y0, c.y1 = 0, float64(top)*1.1
	days := c.x1 / 24
	var xt []float64
	step := 24.0
	if days > 14 {
		step = 24 * math.Ceil(days/10)
	} else if days < 2 {
		step = 3
	}
	for v := 0.0; v <= c.x1; v += step {
		xt = append(xt, v)
	}
	c.axes(xt, func(v float64) string {
		t := t0.Add(time.Duration(v * float64(time.Hour)))
		if step < 24 {
			return t.Format("15:04")
		}
		return t.Format("Mon 02")
	}, niceTicks(0, c.y1, 4), fmtNum, "time ("+t0.Location().String()+", "+f.Resolution.String()+" intervals)", "busy environments")
	var line, area strings.Builder
	fmt.Fprintf(&area, "%.1f,%.1f ", c.px(0), c.py(0))
	for _, p := range pts {
		x := c.px(p.Time.Sub(t0).Hours())
		fmt.Fprintf(&line, "%.1f,%.1f ", x, c.py(float64(p.Max)))
		fmt.Fprintf(&area, "%.1f,%.1f ", x, c.py(p.Mean))
	}
	fmt.Fprintf(&area, "%.1f,%.1f", c.px(pts[len(pts)-1].Time.Sub(t0).Hours()), c.py(0))
	fmt.Fprintf(&c.b, `<polygon class="mean" points="%s" fill="%s" fill-opacity="0.35"/>`, area.String(), colorWarm)
	fmt.Fprintf(&c.b, `<polyline class="peak" points="%s" fill="none" stroke="%s" stroke-width="1"/>`, strings.TrimSpace(line.String()), colorCold)
	c.legend([2]string{"peak", colorCold}, [2]string{"mean", colorWarm})
	return c.String()
}

var weekdayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// heatmapChart draws cold starts by weekday (rows, Monday first) and hour
// (columns), darker for more; the hotspot is outlined.
func heatmapChart(id string, f *FunctionReport) string {
	c := newChart(id, "Cold starts by weekday and hour")
	var top int64
	for d := range 7 {
		for h := range 24 {
			top = max(top, f.Heatmap[d][h].ColdStarts)
		}
	}
	const left, cellW, cellH, y0 = 56.0, 22.0, 26.0, 28.0
	for row, d := range []int{1, 2, 3, 4, 5, 6, 0} {
		y := y0 + float64(row)*cellH
		c.text(left-6, y+cellH/2+4, "end", "tick", weekdayNames[d])
		for h := range 24 {
			cell := f.Heatmap[d][h]
			op := 0.0
			if top > 0 {
				op = math.Sqrt(float64(cell.ColdStarts) / float64(top))
			}
			fmt.Fprintf(&c.b, `<rect class="cell" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.3f" stroke="#f1f3f5"><title>%s %02d:00: %d cold starts of %d invocations</title></rect>`,
				left+float64(h)*cellW, y, cellW, cellH, colorCold, math.Max(op, 0.03), weekdayNames[d], h, cell.ColdStarts, cell.Invocations)
		}
	}
	for h := 0; h < 24; h += 3 {
		c.text(left+float64(h)*cellW+cellW/2, y0+7*cellH+14, "middle", "tick", fmt.Sprintf("%02d", h))
	}
	c.text(left+12*cellW, y0+7*cellH+32, "middle", "axis-title", "hour of day ("+f.First.Location().String()+"); darker: more cold starts")
	if hs := f.Hotspot; hs != nil {
		rows := 7.0
		if hs.Weekdays {
			rows = 5
		}
		fmt.Fprintf(&c.b, `<rect class="hotspot" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="%s" stroke-width="2.5"/>`,
			left+float64(hs.StartHour)*cellW, y0, float64(hs.EndHour-hs.StartHour)*cellW, rows*cellH, colorHot)
	}
	c.legend([2]string{"cold starts", colorCold}, [2]string{"hotspot", colorHot})
	return c.String()
}
