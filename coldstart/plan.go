package coldstart

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"time"
)

// HoursPerMonth is the month the cost model bills: 730 hours, as AWS's
// pricing examples use.
const HoursPerMonth = 730

// CalibrationTimeouts are the idle timeouts tried when the keep-alive
// model is calibrated against the log.
var CalibrationTimeouts = []time.Duration{
	time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute, 7 * time.Minute,
	10 * time.Minute, 15 * time.Minute, 20 * time.Minute, 30 * time.Minute, 45 * time.Minute, time.Hour,
}

// Plan prices provisioned concurrency options for one function, each
// simulated by replaying the observed arrivals.
type Plan struct {
	// Model is the keep-alive model the options were simulated with.
	Model Model `json:"model"`
	// Calibration compares the model with the log: ObservedColdStarts
	// against the replay without provisioned concurrency.
	Calibration Calibration `json:"calibration"`
	// ObservedHours is the span of the log; figures are scaled from it to
	// a month of HoursPerMonth hours.
	ObservedHours float64 `json:"observed_hours"`
	// InitBilled is whether the INIT phase of on-demand cold starts is
	// priced: whether most cold starts' Billed Duration covers their init
	// (custom runtimes, and every runtime from 2025-08-01), or, without
	// cold starts to tell, whether the log is from 2025-08-01 on.
	InitBilled bool `json:"init_billed"`
	// BreakEvenUtilisation is the share of its provisioned time an
	// environment must be busy for provisioned concurrency to cost less
	// than on-demand for the same work.
	BreakEvenUtilisation float64 `json:"break_even_utilisation"`
	// Options are every option evaluated: index 0 is no provisioned
	// concurrency, then always-on levels, then scheduled windows.
	Options []PlanOption `json:"options"`
	// Recommended indexes Options: the cheapest meeting the p99 target, or
	// the lowest p99 when none does (TargetMet false).
	Recommended int      `json:"recommended"`
	TargetMet   bool     `json:"target_met"`
	Explanation []string `json:"explanation"`
}

// Calibration is the keep-alive model checked against the log.
type Calibration struct {
	Calibrated         bool               `json:"calibrated"`
	ObservedColdStarts int64              `json:"observed_cold_starts"`
	SimulatedColdStart int64              `json:"simulated_cold_starts"`
	Tried              []CalibrationPoint `json:"tried,omitempty"`
}

// CalibrationPoint is the replayed cold starts under one idle timeout.
type CalibrationPoint struct {
	IdleTimeout time.Duration `json:"idle_timeout_ns"`
	ColdStarts  int64         `json:"cold_starts"`
}

// PlanOption is one provisioned concurrency option, per month.
type PlanOption struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"` // "none", "always-on" or "scheduled"
	Schedule Schedule `json:"schedule"`
	// Level is the provisioned environments when on (the largest level).
	Level       int     `json:"level"`
	MonthlyCost float64 `json:"monthly_cost_usd"`
	Cost        struct {
		Requests     float64 `json:"requests"`
		OnDemand     float64 `json:"on_demand"`
		PCAllocation float64 `json:"pc_allocation"`
		PCDuration   float64 `json:"pc_duration"`
	} `json:"cost_usd"`
	ColdStartsPerMonth float64 `json:"cold_starts_per_month"`
	ColdRate           float64 `json:"cold_rate"`
	P50Ms              float64 `json:"p50_ms"`
	P99Ms              float64 `json:"p99_ms"`
	// WorstHourP99Ms is the highest hourly p99 (see
	// [SimResult.WorstHourP99]); the p99 target applies to it, because an
	// overall p99 hides a spike that happens every morning.
	WorstHourP99Ms float64 `json:"worst_hour_p99_ms"`
	// Utilisation is the busy share of the provisioned environment time.
	Utilisation float64 `json:"utilisation"`
	MeetsTarget bool    `json:"meets_target"`
}

// pcLevels returns the provisioned levels charted up to top: powers of
// two, then top. The smallest level that meets the target is then found
// between two of them by bisection.
func pcLevels(top int) []int {
	var out []int
	for k := 1; k < top; k *= 2 {
		out = append(out, k)
	}
	if top > 0 {
		out = append(out, top)
	}
	return out
}

// plan simulates and prices the options for one function; peaks is the
// observed peak concurrency by weekday and hour (from concurrency).
func plan(ctx context.Context, fr *FunctionReport, g *agg, arr []arrival, peaks [7][24]int, o *Options, prices Prices) (*Plan, error) {
	p := &Plan{BreakEvenUtilisation: prices.BreakEvenUtilisation()}
	span := float64(arr[len(arr)-1].at-arr[0].at) / 3.6e6
	p.ObservedHours = math.Max(span, 1)
	// Whether INIT is billed: what the REPORT lines show (Billed Duration
	// covering the init) when there are on-demand cold starts, else the date.
	if n := fr.ColdStarts.OnDemand; n > 0 {
		p.InitBilled = 2*fr.Billed.InitBilled > n
	} else {
		p.InitBilled = arr[0].at >= o.Prices.InitBillingFrom.UnixMilli()
	}
	scale := HoursPerMonth / p.ObservedHours
	gb := float64(fr.MemoryMB) / 1024

	sample := initSampler(g)
	rp := newReplay(arr, newWallClock(o.Location))
	type cand = planCandidate
	var observed int64
	for _, a := range arr {
		if a.initMs > 0 {
			observed++
		}
	}
	p.Calibration.ObservedColdStarts = observed

	// Calibrate the keep-alive model when asked. Replayed cold starts fall
	// as the idle timeout grows, so bisect for the crossing.
	p.Model = o.Model
	var noneRes *SimResult // the replay without PC under p.Model, when calibration ran it
	if p.Model.IdleTimeout == 0 {
		p.Calibration.Calibrated = true
		tried := map[int]*SimResult{}
		at := func(i int) (int64, error) {
			if r, ok := tried[i]; ok {
				return r.ColdStarts, nil
			}
			m := Model{IdleTimeout: CalibrationTimeouts[i], MaxLifetime: o.Model.MaxLifetime}
			res, err := runAll(ctx, rp, []Model{m}, []Schedule{{}}, o, sample)
			if err != nil {
				return 0, err
			}
			tried[i] = res[0]
			p.Calibration.Tried = append(p.Calibration.Tried, CalibrationPoint{IdleTimeout: m.IdleTimeout, ColdStarts: res[0].ColdStarts})
			return res[0].ColdStarts, nil
		}
		lo, hi := 0, len(CalibrationTimeouts)-1 // find the first i with cold(i) <= observed
		for lo < hi {
			mid := (lo + hi) / 2
			c, err := at(mid)
			if err != nil {
				return nil, err
			}
			if c <= observed {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		best := lo
		if lo > 0 {
			c1, err := at(lo)
			if err != nil {
				return nil, err
			}
			c0, err := at(lo - 1)
			if err != nil {
				return nil, err
			}
			if abs64(c0-observed) < abs64(c1-observed) {
				best = lo - 1
			}
		}
		sort.Slice(p.Calibration.Tried, func(i, j int) bool {
			return p.Calibration.Tried[i].IdleTimeout < p.Calibration.Tried[j].IdleTimeout
		})
		p.Model = Model{IdleTimeout: CalibrationTimeouts[best], MaxLifetime: o.Model.MaxLifetime}
		noneRes = tried[best]
	}

	// The options: none, always-on levels, scheduled levels in the hotspot.
	target := float64(o.P99Target.Milliseconds())
	evaluate := func(cs []cand) ([]PlanOption, error) {
		models := make([]Model, len(cs))
		scheds := make([]Schedule, len(cs))
		for i, c := range cs {
			models[i], scheds[i] = p.Model, c.s
		}
		res, err := runAll(ctx, rp, models, scheds, o, sample)
		if err != nil {
			return nil, err
		}
		out := make([]PlanOption, len(cs))
		for i, c := range cs {
			out[i] = price(c, res[i], p.InitBilled, scale, gb, prices, target)
		}
		return out, nil
	}
	noneCand := cand{name: "no provisioned concurrency", kind: "none"}
	var none []PlanOption
	var err error
	if noneRes != nil { // the same model, schedule and seed: the same result
		none = []PlanOption{price(noneCand, noneRes, p.InitBilled, scale, gb, prices, target)}
	} else if none, err = evaluate([]cand{noneCand}); err != nil {
		return nil, err
	}
	p.Options = none
	p.Calibration.SimulatedColdStart = int64(math.Round(none[0].ColdStartsPerMonth / scale))

	always := func(k int) cand {
		return cand{name: fmt.Sprintf("always-on PC of %d", k), kind: "always-on", s: Schedule{Always: k}, level: k}
	}
	ops, err := levelOptions(fr.PeakConcurrency, always, evaluate)
	if err != nil {
		return nil, err
	}
	p.Options = append(p.Options, ops...)
	if hs := fr.Hotspot; hs != nil {
		var days [7]bool
		peak := 0
		for d := range 7 {
			days[d] = !hs.Weekdays || (d != 0 && d != 6)
			if !days[d] {
				continue
			}
			for h := hs.StartHour; h < hs.EndHour; h++ {
				peak = max(peak, peaks[d][h])
			}
		}
		dayWord := "every day"
		if hs.Weekdays {
			dayWord = "Mon-Fri"
		}
		// Scheduled windows alone, then on top of a small always-on base
		// when sparse hours outside the window miss the target by
		// themselves.
		for base := 0; base <= maxScheduledBase; base++ {
			scheduled := func(k int) cand {
				w := Window{Days: days, StartHour: hs.StartHour, EndHour: hs.EndHour, Environments: k}
				name := fmt.Sprintf("scheduled PC of %d, %02d:00-%02d:00 %s", k, hs.StartHour, hs.EndHour, dayWord)
				if base > 0 {
					name = fmt.Sprintf("always-on PC of %d + %d more %02d:00-%02d:00 %s", base, k, hs.StartHour, hs.EndHour, dayWord)
				}
				return cand{name: name, kind: "scheduled", s: Schedule{Always: base, Windows: []Window{w}}, level: base + k}
			}
			ops, err := levelOptions(peak, scheduled, evaluate)
			if err != nil {
				return nil, err
			}
			p.Options = append(p.Options, ops...)
			if p.Cheapest("scheduled") != nil {
				break
			}
		}
	}
	p.recommend()
	p.explain(fr, o, prices)
	return p, nil
}

// maxScheduledBase is the largest always-on base under a scheduled window
// the plan tries.
const maxScheduledBase = 3

// planCandidate is an option before it is simulated.
type planCandidate struct {
	name, kind string
	s          Schedule
	level      int
}

// levelOptions evaluates the charted levels up to top, then bisects for the
// smallest level that meets the target, and returns the options by level.
func levelOptions(top int, newCand func(int) planCandidate, evaluate func([]planCandidate) ([]PlanOption, error)) ([]PlanOption, error) {
	levels := pcLevels(top)
	cs := make([]planCandidate, len(levels))
	for i, k := range levels {
		cs[i] = newCand(k)
	}
	ops, err := evaluate(cs)
	if err != nil {
		return nil, err
	}
	first := -1
	for i, op := range ops {
		if op.MeetsTarget {
			first = i
			break
		}
	}
	if first > 0 {
		lo, hi := levels[first-1], levels[first] // lo fails, hi meets
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			r, err := evaluate([]planCandidate{newCand(mid)})
			if err != nil {
				return nil, err
			}
			ops = append(ops, r[0])
			if r[0].MeetsTarget {
				hi = mid
			} else {
				lo = mid
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Level < ops[j].Level })
	return ops, nil
}

// price turns a simulation into a priced option.
func price(c planCandidate, r *SimResult, initBilled bool, scale, gb float64, prices Prices, target float64) PlanOption {
	op := PlanOption{Name: c.name, Kind: c.kind, Schedule: c.s, Level: c.level}
	onDemandMs := r.OnDemandMs
	if initBilled {
		onDemandMs += r.InitMs
	}
	op.Cost.Requests = float64(r.Invocations) * scale / 1e6 * prices.RequestsPerMillion
	op.Cost.OnDemand = prices.DurationCost(onDemandMs / 1000 * gb * scale)
	op.Cost.PCDuration = r.PCMs / 1000 * gb * scale * prices.PCDuration
	allocSec := provisionedSecondsPerMonth(c.s)
	op.Cost.PCAllocation = allocSec * gb * prices.PCAllocation
	op.MonthlyCost = op.Cost.Requests + op.Cost.OnDemand + op.Cost.PCDuration + op.Cost.PCAllocation
	op.ColdStartsPerMonth = float64(r.ColdStarts) * scale
	op.ColdRate = r.ColdRate()
	op.P50Ms = round2(r.Latency.Quantile(0.5))
	op.P99Ms = round2(r.Latency.Quantile(0.99))
	op.WorstHourP99Ms = round2(r.WorstHourP99())
	if allocSec > 0 {
		op.Utilisation = r.PCMs / 1000 * scale / allocSec
	}
	op.MeetsTarget = op.WorstHourP99Ms <= target
	return op
}

// provisionedSecondsPerMonth is the environment-seconds a schedule keeps
// provisioned in a month, each enabled period rounded up to
// PCBillingIncrement.
func provisionedSecondsPerMonth(s Schedule) float64 {
	sec := float64(s.Always) * HoursPerMonth * 3600
	inc := PCBillingIncrement.Seconds()
	for _, w := range s.Windows {
		days := 0
		for _, on := range w.Days {
			if on {
				days++
			}
		}
		per := math.Ceil(float64(w.EndHour-w.StartHour)*3600/inc) * inc
		weeks := HoursPerMonth / (24.0 * 7)
		sec += float64(w.Environments) * per * float64(days) * weeks
	}
	return sec
}

func (p *Plan) recommend() {
	best := -1
	for i, op := range p.Options {
		if op.MeetsTarget && (best < 0 || op.MonthlyCost < p.Options[best].MonthlyCost) {
			best = i
		}
	}
	p.TargetMet = best >= 0
	if best < 0 {
		best = 0
		for i, op := range p.Options {
			b := p.Options[best]
			if op.WorstHourP99Ms < b.WorstHourP99Ms || (op.WorstHourP99Ms == b.WorstHourP99Ms && op.MonthlyCost < b.MonthlyCost) {
				best = i
			}
		}
	}
	p.Recommended = best
}

// Cheapest returns the cheapest option of a kind that meets the target, or
// nil.
func (p *Plan) Cheapest(kind string) *PlanOption {
	var best *PlanOption
	for i := range p.Options {
		op := &p.Options[i]
		if op.Kind == kind && op.MeetsTarget && (best == nil || op.MonthlyCost < best.MonthlyCost) {
			best = op
		}
	}
	return best
}

func (p *Plan) explain(fr *FunctionReport, o *Options, prices Prices) {
	rec := p.Options[p.Recommended]
	none := p.Options[0]
	var ex []string
	if p.TargetMet {
		ex = append(ex, fmt.Sprintf("Recommended: %s, $%.2f/month, p99 %.0f ms in its worst hour (target %v), %.0f cold starts/month.",
			rec.Name, rec.MonthlyCost, rec.WorstHourP99Ms, o.P99Target, rec.ColdStartsPerMonth))
	} else {
		ex = append(ex, fmt.Sprintf("No option meets the p99 target of %v in every hour; the lowest worst-hour p99 is %s: %.0f ms at $%.2f/month.",
			o.P99Target, rec.Name, rec.WorstHourP99Ms, rec.MonthlyCost))
	}
	ex = append(ex, fmt.Sprintf("Without provisioned concurrency: $%.2f/month, p99 %.0f ms in its worst hour (%.0f ms overall), %.0f cold starts/month.",
		none.MonthlyCost, none.WorstHourP99Ms, none.P99Ms, none.ColdStartsPerMonth))
	if a := p.Cheapest("always-on"); a != nil {
		ex = append(ex, fmt.Sprintf("The cheapest always-on option that meets the target is %s: $%.2f/month (utilisation %.0f%%).",
			a.Name, a.MonthlyCost, 100*a.Utilisation))
	}
	if s := p.Cheapest("scheduled"); s != nil {
		ex = append(ex, fmt.Sprintf("The cheapest scheduled option that meets the target is %s: $%.2f/month (utilisation %.0f%%).",
			s.Name, s.MonthlyCost, 100*s.Utilisation))
	}
	if rec.Kind == "scheduled" {
		ex = append(ex, "A schedule is set with Application Auto Scaling scheduled actions on the alias or version; provisioning takes minutes, so start it a little before the window (each enabled period is billed rounded up to 5 minutes).")
	}
	ex = append(ex, fmt.Sprintf("Break-even: a provisioned environment costs $%.7f per GB-s whether busy or idle, and work on it costs $%.7f per GB-s instead of $%.7f on demand, so it pays for itself only when busy more than %.0f%% of the time it is provisioned (%.7f / (%.7f - %.7f)). Below that, provisioned concurrency buys latency, not savings.",
		prices.PCAllocation, prices.PCDuration, prices.Duration[0].Price, 100*p.BreakEvenUtilisation,
		prices.PCAllocation, prices.Duration[0].Price, prices.PCDuration))
	if p.InitBilled {
		ex = append(ex, "The INIT phase of on-demand cold starts is billed (as the REPORT lines show; since 2025-08-01 for every runtime), so cold starts cost money as well as latency.")
	} else {
		ex = append(ex, "The INIT phase is not billed in these logs (ZIP functions on managed runtimes before 2025-08-01), and is not priced here.")
	}
	if p.Calibration.Calibrated {
		ex = append(ex, fmt.Sprintf("Keep-alive model: AWS does not publish how long idle environments live; an idle timeout of %v reproduces the log best (%d cold starts replayed vs %d observed).",
			p.Model.IdleTimeout, p.Calibration.SimulatedColdStart, p.Calibration.ObservedColdStarts))
	} else {
		ex = append(ex, fmt.Sprintf("Keep-alive model: idle timeout %v as configured (%d cold starts replayed vs %d observed).",
			p.Model.IdleTimeout, p.Calibration.SimulatedColdStart, p.Calibration.ObservedColdStarts))
	}
	if fr.ColdStarts.Provisioned > 0 {
		ex = append(ex, "The log already shows provisioned environments; the replay without provisioned concurrency treats their requests as on-demand.")
	}
	p.Explanation = ex
}

// runAll simulates every model and schedule, in parallel.
func runAll(ctx context.Context, rp *replay, models []Model, scheds []Schedule, o *Options, sample InitSampler) ([]*SimResult, error) {
	out := make([]*SimResult, len(models))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range models {
		if err := ctx.Err(); err != nil {
			wg.Wait()
			return nil, err
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			rng := rand.New(rand.NewPCG(o.Seed, uint64(i)))
			out[i] = rp.run(models[i], scheds[i], sample, rng)
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

// initSampler draws init times from the observed distribution: on-demand
// inits, else SnapStart restores, else re-run inits, else none.
func initSampler(g *agg) InitSampler {
	h := &g.init
	switch {
	case g.init.Count() > 0:
	case g.restore.Count() > 0:
		h = &g.restore
	case g.rerun.Count() > 0:
		h = &g.rerun
	default:
		return func(*rand.Rand) float64 { return 0 }
	}
	// A table of 1000 quantiles makes a draw O(1).
	qs := make([]float64, 1000)
	for i := range qs {
		qs[i] = h.Quantile((float64(i) + 0.5) / float64(len(qs)))
	}
	sort.Float64s(qs)
	return func(r *rand.Rand) float64 { return qs[r.IntN(len(qs))] }
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
