package coldstart

import (
	"math/rand/v2"
	"time"
)

// Model is the simulator's model of how Lambda keeps execution
// environments. AWS does not publish its keep-alive policy; the model makes
// one explicit so that its consequences can be checked against the logs
// (see [Plan.Calibration]):
//
//   - a request is served by a provisioned environment when one is free
//     (Lambda routes to provisioned concurrency first), else by the most
//     recently used idle on-demand environment, else by a new environment,
//     which is a cold start that takes an init time before the handler runs;
//   - an on-demand environment idle for longer than IdleTimeout is reclaimed;
//   - with MaxLifetime > 0, an environment older than MaxLifetime is
//     reclaimed when its current request ends.
type Model struct {
	// IdleTimeout is how long an idle on-demand environment is kept. 0 means
	// reclaimed as soon as it is idle.
	IdleTimeout time.Duration `json:"idle_timeout"`
	// MaxLifetime is the age after which an environment is retired; 0 means
	// never.
	MaxLifetime time.Duration `json:"max_lifetime,omitempty"`
}

// Schedule is a provisioned concurrency configuration: Always environments
// at all times, plus Windows.
type Schedule struct {
	Always  int      `json:"always,omitempty"`
	Windows []Window `json:"windows,omitempty"`
}

// Window adds Environments provisioned environments from StartHour to
// EndHour (exclusive, 0-24, local time of the analysis) on the weekdays
// marked in Days (index 0 = Sunday).
type Window struct {
	Days         [7]bool `json:"days"`
	StartHour    int     `json:"start_hour"`
	EndHour      int     `json:"end_hour"`
	Environments int     `json:"environments"`
}

// Level returns the provisioned environments at a given hour and weekday.
func (s Schedule) Level(hour, weekday int) int {
	n := s.Always
	for _, w := range s.Windows {
		if w.Days[weekday] && hour >= w.StartHour && hour < w.EndHour {
			n += w.Environments
		}
	}
	return n
}

// SimResult is the outcome of replaying arrivals under one schedule.
type SimResult struct {
	Invocations int64 `json:"invocations"`
	ColdStarts  int64 `json:"cold_starts"`
	// PCServed counts invocations served by provisioned environments.
	PCServed int64 `json:"pc_served"`
	// OnDemandMs and PCMs are the handler milliseconds run on on-demand and
	// provisioned environments; InitMs the init milliseconds of cold starts.
	OnDemandMs float64 `json:"on_demand_ms"`
	PCMs       float64 `json:"pc_ms"`
	InitMs     float64 `json:"init_ms"`
	// PeakEnvironments is the largest number of environments alive at once.
	PeakEnvironments int `json:"peak_environments"`
	// Latency is the end-to-end latency (init included) of every request,
	// ByHour the same by hour of day.
	Latency Histogram     `json:"-"`
	ByHour  [24]Histogram `json:"-"`
}

// MinHourSamples is the fewest requests an hour of day needs for its p99
// to count in [SimResult.WorstHourP99]; sparser hours say little about a
// 99th percentile.
const MinHourSamples = 100

// WorstHourP99 returns the highest p99 latency of any hour of the day with
// at least MinHourSamples requests: what a dashboard of hourly p99 shows at
// its worst hour. With no such hour it returns the overall p99.
func (r *SimResult) WorstHourP99() float64 {
	worst, any := 0.0, false
	for i := range r.ByHour {
		h := &r.ByHour[i]
		if h.Count() >= MinHourSamples {
			any = true
			worst = max(worst, h.Quantile(0.99))
		}
	}
	if !any {
		return r.Latency.Quantile(0.99)
	}
	return worst
}

// ColdRate returns ColdStarts / Invocations.
func (r *SimResult) ColdRate() float64 {
	if r.Invocations == 0 {
		return 0
	}
	return float64(r.ColdStarts) / float64(r.Invocations)
}

// InitSampler draws an init duration in milliseconds for a simulated cold
// start.
type InitSampler func(r *rand.Rand) float64

// simulateHeap replays sorted arrivals with a heap of every busy
// environment, each one kept apart (its birth for MaxLifetime). clock
// converts times to hour and weekday for the schedule; initTime draws init
// durations with rng. It is the reference the [replay] is tested against,
// and what the replay runs when MaxLifetime is set.
func simulateHeap(arr []arrival, m Model, s Schedule, clock *wallClock, initTime InitSampler, rng *rand.Rand) *SimResult {
	var p pool
	p.idleTimeout = m.IdleTimeout.Milliseconds()
	p.maxLifetime = m.MaxLifetime.Milliseconds()
	res := &SimResult{}
	for _, a := range arr {
		h, d := clock.at(a.at)
		level := s.Level(h, d)
		var initMs float64
		kind := p.acquire(a.at, level)
		dur := float64(a.dur)
		res.Invocations++
		switch kind {
		case servedPC:
			res.PCServed++
			res.PCMs += dur
		case servedWarm:
			res.OnDemandMs += dur
		case servedCold:
			res.ColdStarts++
			initMs = initTime(rng)
			res.InitMs += initMs
			res.OnDemandMs += dur
		}
		p.occupy(a.at, initMs+dur, kind == servedPC)
		res.Latency.Add(initMs + dur)
		res.ByHour[h].Add(initMs + dur)
		if n := p.alive(); n > res.PeakEnvironments {
			res.PeakEnvironments = n
		}
	}
	return res
}

type served uint8

const (
	servedPC served = iota
	servedWarm
	servedCold
)

// pool is the set of execution environments of one function.
type pool struct {
	idleTimeout, maxLifetime int64
	idle                     []idleEnv // oldest first; the most recently used is last
	head                     int       // idle[head:] are alive
	busy                     envHeap
	pcBusy                   int
	born                     int64 // birth time of the environment acquire chose
	env                      int32 // and its number (1, 2, ... in order of birth)
	envs                     int32 // environments born
}

type idleEnv struct {
	since, born int64
	env         int32
}

type busyEnv struct {
	until, born int64
	env         int32
	pc          bool
}

// acquire advances the pool to time t and picks an environment for a
// request arriving then, with level provisioned environments configured.
func (p *pool) acquire(t int64, level int) served {
	for len(p.busy) > 0 && p.busy[0].until <= t {
		e := p.busy.pop()
		switch {
		case e.pc:
			p.pcBusy--
		case p.maxLifetime > 0 && e.until-e.born >= p.maxLifetime:
			// retired
		default:
			p.idle = append(p.idle, idleEnv{since: e.until, born: e.born, env: e.env})
		}
	}
	for p.head < len(p.idle) && t-p.idle[p.head].since > p.idleTimeout {
		p.head++
	}
	if p.head > 1024 && p.head*2 > len(p.idle) { // compact the deque
		n := copy(p.idle, p.idle[p.head:])
		p.idle = p.idle[:n]
		p.head = 0
	}
	if p.pcBusy < level {
		p.pcBusy++
		return servedPC
	}
	if p.head < len(p.idle) {
		e := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		p.born, p.env = e.born, e.env
		return servedWarm
	}
	p.envs++
	p.born, p.env = t, p.envs
	return servedCold
}

// occupy marks the environment acquire chose as busy for ms milliseconds.
func (p *pool) occupy(t int64, ms float64, pc bool) {
	until := t + int64(ms+0.5)
	p.busy.push(busyEnv{until: until, born: p.born, env: p.env, pc: pc})
}

// alive returns the environments currently busy or idle (on-demand) plus busy
// provisioned ones.
func (p *pool) alive() int { return len(p.busy) + len(p.idle) - p.head }
