package coldstart

import (
	"fmt"
	"math"
	"time"
)

type coldKind uint8

const (
	warm coldKind = iota
	coldOnDemand
	coldSnapStart
	coldRerun
)

// agg accumulates one function, version and memory size.
type agg struct {
	key       aggKey
	n         int64
	cold      ColdStarts
	textInit  int64 // INIT_START lines in text format
	textOnDem int64 // on-demand cold starts in text format
	timeouts  int64
	errors    int64
	// envs counts the log streams (execution environments) whose first
	// REPORT was here; envsBeforeLog those of them whose init the input
	// does not show.
	envs, envsBeforeLog int64
	first, last         int64

	init, restore, rerun Histogram
	e2eCold, e2eWarm     Histogram // their union is every invocation's
	durCold, durWarm     Histogram
	hour                 [24]slotAgg
	weekday              [7]slotAgg
	hourDay              [7][24]slotCount // for the hotspot
	billedMs, restoreMs  float64
	initBilled           int64
	initBilledMs         float64
	arrivals             arrivalLog
}

type slotAgg struct {
	n, cold int64
	e2e     Histogram
}

type slotCount struct{ n, cold int64 }

func newAgg(k aggKey) *agg {
	return &agg{key: k, first: math.MaxInt64}
}

func (g *agg) add(ev *Event, kind coldKind, rerunMs float64, at int64, record bool, clock *wallClock, initBillingFrom int64) {
	g.n++
	initMs := ev.InitDurationMs + ev.RestoreDurationMs
	e2e := ev.DurationMs + initMs
	switch kind {
	case coldOnDemand:
		g.cold.OnDemand++
		g.init.Add(ev.InitDurationMs)
		if !ev.JSON {
			g.textOnDem++
		}
		// The billed duration includes the init when the INIT phase is
		// billed (custom runtimes always; managed runtimes since
		// 2025-08-01): Lambda rounds up to 1 ms, so it is at least the sum.
		if ev.BilledDurationMs+1 >= ev.DurationMs+ev.InitDurationMs {
			g.initBilled++
			g.initBilledMs += ev.InitDurationMs
		}
	case coldSnapStart:
		g.cold.SnapStart++
		g.restore.Add(ev.RestoreDurationMs)
	case coldRerun:
		g.cold.InitRerun++
		g.rerun.Add(rerunMs)
	}
	switch string(ev.Status) {
	case "timeout":
		g.timeouts++
	case "error", "failure":
		g.errors++
	}
	if kind != warm {
		g.e2eCold.Add(e2e)
		g.durCold.Add(ev.DurationMs)
	} else {
		g.e2eWarm.Add(e2e)
		g.durWarm.Add(ev.DurationMs)
	}
	g.billedMs += ev.BilledDurationMs
	g.restoreMs += ev.BilledRestoreMs
	if at == 0 {
		return
	}
	if at < g.first {
		g.first = at
	}
	if at > g.last {
		g.last = at
	}
	h, d := clock.at(at)
	c := int64(0)
	if kind != warm {
		c = 1
	}
	g.hour[h].n++
	g.hour[h].cold += c
	g.hour[h].e2e.Add(e2e)
	g.weekday[d].n++
	g.weekday[d].cold += c
	g.weekday[d].e2e.Add(e2e)
	g.hourDay[d][h].n++
	g.hourDay[d][h].cold += c
	if record {
		g.arrivals.add(arrival{at: at, dur: float32(ev.DurationMs), initMs: float32(initMs + rerunMs)})
	}
}

func (s *slotAgg) slot() Slot {
	out := Slot{Invocations: s.n, ColdStarts: s.cold, P99Ms: round2(s.e2e.Quantile(0.99))}
	if s.n > 0 {
		out.ColdRate = float64(s.cold) / float64(s.n)
	}
	return out
}

// summary turns the aggregate into its report, without concurrency and plan.
func (g *agg) summary(names []string, prices Prices, loc *time.Location) *FunctionReport {
	fr := &FunctionReport{
		Function:    names[g.key.function],
		Version:     names[g.key.version],
		MemoryMB:    g.key.memory,
		Invocations: g.n,
		ColdStarts:  g.cold,
		Timeouts:    g.timeouts,
		Errors:      g.errors,

		Environments:          g.envs,
		EnvironmentsBeforeLog: g.envsBeforeLog,
		Init:                  g.init.Percentiles(),
		Restore:               g.restore.Percentiles(),
		InitRerun:             g.rerun.Percentiles(),
		Latency:               ColdWarm{Cold: g.e2eCold.Percentiles(), Warm: g.e2eWarm.Percentiles()},
		Duration:              ColdWarm{Cold: g.durCold.Percentiles(), Warm: g.durWarm.Percentiles()},
	}
	var all Histogram
	all.Merge(&g.e2eCold)
	all.Merge(&g.e2eWarm)
	fr.LatencyAll = all.Percentiles()
	if fr.Version == "" {
		fr.Version = "unknown"
	}
	// Text INIT_START lines that led to neither an on-demand cold start nor
	// a failed init are taken to be provisioned environments.
	if inferred := g.textInit - g.textOnDem - g.cold.InitFailures; fr.ColdStarts.Provisioned == 0 && inferred > 0 {
		fr.ColdStarts.Provisioned = inferred
	}
	if g.n > 0 {
		fr.ColdRate = float64(g.cold.Total()) / float64(g.n)
	}
	if g.first != math.MaxInt64 {
		fr.First = time.UnixMilli(g.first).In(loc)
		fr.Last = time.UnixMilli(g.last).In(loc)
	}
	for i := range g.hour {
		fr.ByHour[i] = g.hour[i].slot()
	}
	for i := range g.weekday {
		fr.ByWeekday[i] = g.weekday[i].slot()
	}
	for d := range 7 {
		for h := range 24 {
			fr.Heatmap[d][h] = Cell{Invocations: g.hourDay[d][h].n, ColdStarts: g.hourDay[d][h].cold}
		}
	}
	fr.LatencyHistogram.Cold = g.e2eCold.Coarse(16)
	fr.LatencyHistogram.Warm = g.e2eWarm.Coarse(16)
	fr.Hotspot = g.hotspot()
	gb := float64(g.key.memory) / 1024
	fr.Billed = Billed{
		Requests:         g.n,
		GBSeconds:        g.billedMs / 1000 * gb,
		RestoreGBSeconds: g.restoreMs / 1000 * gb,
		InitBilled:       g.initBilled,
		InitGBSeconds:    g.initBilledMs / 1000 * gb,
	}
	fr.Billed.Cost = float64(g.n)/1e6*prices.RequestsPerMillion +
		prices.DurationCost(fr.Billed.GBSeconds+fr.Billed.RestoreGBSeconds)
	return fr
}

// hotspot finds the contiguous hours (on all days, or on weekdays only)
// holding the most cold starts for the hours they cover: it grows a window
// around the worst hour while each added hour has at least a quarter of the
// worst hour's cold starts.
func (g *agg) hotspot() *Hotspot {
	var total int64
	var weekdayCold, weekendCold, weekdayN, weekendN int64
	for d := range 7 {
		for h := range 24 {
			c := g.hourDay[d][h]
			total += c.cold
			if d == 0 || d == 6 {
				weekendCold += c.cold
				weekendN += c.n
			} else {
				weekdayCold += c.cold
				weekdayN += c.n
			}
		}
	}
	if total == 0 {
		return nil
	}
	// Weekdays only when weekend days have under a quarter of the cold
	// starts of a weekday, per day.
	weekdays := float64(weekendCold)/2 < 0.25*float64(weekdayCold)/5
	var byHour [24]int64
	for d := range 7 {
		if weekdays && (d == 0 || d == 6) {
			continue
		}
		for h := range 24 {
			byHour[h] += g.hourDay[d][h].cold
		}
	}
	peak := 0
	for h := range 24 {
		if byHour[h] > byHour[peak] {
			peak = h
		}
	}
	lo, hi := peak, peak+1
	for lo > 0 && byHour[lo-1]*4 >= byHour[peak] {
		lo--
	}
	for hi < 24 && byHour[hi]*4 >= byHour[peak] {
		hi++
	}
	var in int64
	var lat Histogram
	for d := range 7 {
		if weekdays && (d == 0 || d == 6) {
			continue
		}
		for h := lo; h < hi; h++ {
			in += g.hourDay[d][h].cold
		}
	}
	for h := lo; h < hi; h++ {
		lat.Merge(&g.hour[h].e2e)
	}
	days := 7
	dayWord := "every day"
	if weekdays {
		days = 5
		dayWord = "Monday to Friday"
	}
	hs := &Hotspot{
		StartHour:  lo,
		EndHour:    hi,
		Weekdays:   weekdays,
		Share:      float64(in) / float64(total),
		HoursShare: float64((hi-lo)*days) / (24 * 7),
		P99Ms:      round2(lat.Quantile(0.99)),
	}
	hs.Summary = fmt.Sprintf("%.0f%% of cold starts happen %02d:00-%02d:00 %s (%.0f%% of the week's hours)",
		100*hs.Share, lo, hi, dayWord, 100*hs.HoursShare)
	return hs
}
