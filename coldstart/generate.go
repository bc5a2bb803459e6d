package coldstart

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Log formats of [GenerateConfig.Format].
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatMixed = "mixed" // each invocation in text or JSON at random
)

// GenerateConfig describes a synthetic log: a business API with little
// traffic at night, steady traffic by day, and a morning spike on weekdays
// made of fan-out bursts that need many environments at once. The zero
// value of each field means its default.
type GenerateConfig struct {
	Seed     uint64    // default 1
	Start    time.Time // default Monday 2026-11-02 00:00 UTC
	Days     int       // default 7
	Function string    // default "checkout"
	Version  string    // default "$LATEST"
	MemoryMB int       // default 1024
	Format   string    // FormatText, FormatJSON or FormatMixed (default)
	// Shape is how the lines are written (see [Shape]); default
	// ShapeTimestamped, the lines of a CloudWatch Logs export. Each
	// execution environment has a log stream of its own.
	Shape Shape
	// MaxBytes stops the log once it is this long (0 = no limit); with
	// MaxBytes set, Days 0 means as many days as it takes.
	MaxBytes int64
	// Rates, in requests per second.
	NightRate float64 // 22:00-06:00, default 0.05
	DayRate   float64 // 10:00-18:00 on weekdays, default 0.6 (evenings and weekends use a fraction)
	// The morning spike, on weekdays from MorningStart to MorningEnd:
	// bursts arrive at MorningBurstRate per second, each of a geometric
	// number of simultaneous requests with mean MorningBurstSize.
	MorningStart, MorningEnd int     // default 7 and 10
	MorningBurstRate         float64 // default 0.1
	MorningBurstSize         float64 // default 10
	// Init and handler durations are log-normal with these medians and
	// shape parameters.
	InitMedian     time.Duration // default 1.8 s
	InitSigma      float64       // default 0.3
	DurationMedian time.Duration // default 120 ms
	DurationSigma  float64       // default 0.5
	// IdleTimeout is the keep-alive of the environment model that decides
	// which invocations are cold; default 6 minutes.
	IdleTimeout time.Duration
	// AppLines is the number of application lines per invocation; default 2.
	AppLines int
	// TruncatedRate is the probability that a REPORT line is cut short
	// (a malformed line the analysis must count); default 0.0005. Negative
	// means none.
	TruncatedRate float64
	// TimeoutRate is the probability of an invocation timing out after
	// 30 s; default 0.0002. Negative means none.
	TimeoutRate float64
	// InitFailureRate is the probability that an on-demand init fails and
	// is re-run inside the invocation; default 0.002. Negative means none.
	InitFailureRate float64
	// TracingRate is the share of invocations traced with X-Ray, whose
	// text REPORT carries the trace ids on a second line; default none.
	TracingRate float64

	variant string // a shapeWriter variant replacing Shape (tests)
}

// GenerateStats counts what [Generate] wrote.
type GenerateStats struct {
	Bytes int64 `json:"bytes"`
	// Lines counts the lines written, Events the log events (a CSV or
	// JSON record, or a REPORT with its X-Ray line, is one event).
	Lines       int64 `json:"lines"`
	Events      int64 `json:"events"`
	Invocations int64 `json:"invocations"`
	// Environments counts the execution environments started (each with
	// its own log stream).
	Environments int64 `json:"environments"`
	// ColdStarts are invocations that waited for an on-demand init,
	// InitReruns those whose init was re-run after a failure.
	ColdStarts int64 `json:"cold_starts"`
	InitReruns int64 `json:"init_reruns"`
	Timeouts   int64 `json:"timeouts"`
	Truncated  int64 `json:"truncated"`
	// MorningColdStarts are the cold starts inside the morning spike.
	MorningColdStarts int64     `json:"morning_cold_starts"`
	First             time.Time `json:"first"`
	Last              time.Time `json:"last"`
}

func (c *GenerateConfig) defaults() {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		} else if *v < 0 {
			*v = 0
		}
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	}
	if c.Days == 0 && c.MaxBytes == 0 {
		c.Days = 7
	}
	if c.Function == "" {
		c.Function = "checkout"
	}
	if c.Version == "" {
		c.Version = "$LATEST"
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = 1024
	}
	if c.Format == "" {
		c.Format = FormatMixed
	}
	if c.Shape == "" {
		c.Shape = ShapeTimestamped
	}
	def(&c.NightRate, 0.05)
	def(&c.DayRate, 0.6)
	if c.MorningStart == 0 && c.MorningEnd == 0 {
		c.MorningStart, c.MorningEnd = 7, 10
	}
	def(&c.MorningBurstRate, 0.1)
	def(&c.MorningBurstSize, 10)
	if c.InitMedian == 0 {
		c.InitMedian = 1800 * time.Millisecond
	}
	def(&c.InitSigma, 0.3)
	if c.DurationMedian == 0 {
		c.DurationMedian = 120 * time.Millisecond
	}
	def(&c.DurationSigma, 0.5)
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 6 * time.Minute
	}
	if c.AppLines == 0 {
		c.AppLines = 2
	}
	def(&c.TruncatedRate, 0.0005)
	def(&c.TimeoutRate, 0.0002)
	def(&c.InitFailureRate, 0.002)
}

// rate returns the request rate (per second) at a time, excluding the
// morning bursts, and whether the morning spike is on.
func (c *GenerateConfig) rate(t time.Time) (float64, bool) {
	h := t.Hour()
	weekend := t.Weekday() == time.Saturday || t.Weekday() == time.Sunday
	var r float64
	switch {
	case h < 6 || h >= 22:
		r = c.NightRate
	case h < 10:
		r = c.NightRate + (c.DayRate-c.NightRate)*float64(h-5)/5 // ramp up
	case h < 18:
		r = c.DayRate
	default:
		r = c.DayRate / 3
	}
	if weekend {
		r = math.Max(c.NightRate, r/3)
	}
	morning := !weekend && h >= c.MorningStart && h < c.MorningEnd
	return r, morning
}

// ErrStop is returned by Generate's writer side when MaxBytes is reached;
// Generate itself then returns nil.
var errStop = errors.New("stop")

// Generate writes a deterministic synthetic Lambda log (by default
// CloudWatch export lines with timestamps, in time order) to w.
func Generate(w io.Writer, cfg GenerateConfig) (GenerateStats, error) {
	cfg.defaults()
	if !cfg.Shape.Valid() {
		return GenerateStats{}, fmt.Errorf("coldstart: unknown shape %q", cfg.Shape)
	}
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x636f6c64)), bw: bufio.NewWriterSize(w, 1<<20),
		w: shapeWriter{variant: string(cfg.Shape)}}
	if cfg.variant != "" {
		g.w.variant = cfg.variant
	}
	g.pool.idleTimeout = cfg.IdleTimeout.Milliseconds()
	err := g.run()
	if err == nil || errors.Is(err, errStop) {
		end := g.w.finish(nil)
		if _, werr := g.bw.Write(end); werr != nil && err == nil {
			err = werr
		}
		g.stats.Bytes += int64(len(end))
		g.stats.Lines += int64(bytes.Count(end, []byte("\n")))
	}
	if ferr := g.bw.Flush(); err == nil {
		err = ferr
	}
	if errors.Is(err, errStop) {
		err = nil
	}
	return g.stats, err
}

type generator struct {
	cfg     GenerateConfig
	rng     *rand.Rand
	bw      *bufio.Writer
	w       shapeWriter
	pool    pool
	out     lineHeap
	seq     int64
	stats   GenerateStats
	buf     []byte
	env     int32    // the environment of the invocation being generated
	streams []string // log stream names by environment
}

func (g *generator) run() error {
	c := &g.cfg
	t := c.Start.UnixMilli()
	end := int64(math.MaxInt64)
	if c.Days > 0 {
		end = c.Start.AddDate(0, 0, c.Days).UnixMilli()
	}
	// Arrivals: a Poisson process whose rate is constant within a minute,
	// plus bursts in the morning.
	for t < end {
		minuteEnd := t - t%60000 + 60000
		base, morning := c.rate(time.UnixMilli(t).UTC())
		total := base
		if morning {
			total += c.MorningBurstRate
		}
		gap := g.rng.ExpFloat64() / total * 1000
		next := t + int64(gap)
		if next >= minuteEnd {
			t = minuteEnd
			continue
		}
		t = next
		n := 1
		if morning && g.rng.Float64()*total >= base {
			// a burst: 1 + geometric, mean MorningBurstSize
			p := 1 / c.MorningBurstSize
			n = 1 + int(math.Log(1-g.rng.Float64())/math.Log(1-p))
		}
		for range n {
			if err := g.invoke(t, morning); err != nil {
				return err
			}
		}
	}
	return g.flush(math.MaxInt64)
}

func (g *generator) logNormal(median time.Duration, sigma float64) float64 {
	return float64(median.Milliseconds()) * math.Exp(sigma*g.rng.NormFloat64())
}

// invoke generates one invocation arriving at t.
func (g *generator) invoke(t int64, morning bool) error {
	if err := g.flush(t); err != nil {
		return err
	}
	c := &g.cfg
	g.stats.Invocations++
	if g.stats.First.IsZero() {
		g.stats.First = time.UnixMilli(t).UTC()
	}
	g.stats.Last = time.UnixMilli(t).UTC()
	kind := g.pool.acquire(t, 0)
	cold := kind == servedCold
	g.env = g.pool.env
	if cold {
		g.stats.Environments++
		g.streams = append(g.streams, g.streamName(t))
	}
	dur := math.Round(g.logNormal(c.DurationMedian, c.DurationSigma)*100) / 100
	status := ""
	if g.rng.Float64() < c.TimeoutRate {
		dur, status = 30000, "timeout"
		g.stats.Timeouts++
	}
	var initMs, rerunMs float64
	rerun := cold && g.rng.Float64() < c.InitFailureRate
	if cold {
		initMs = math.Round(g.logNormal(c.InitMedian, c.InitSigma)*100) / 100
		if rerun {
			rerunMs = math.Round(g.logNormal(c.InitMedian, c.InitSigma)*100) / 100
			dur += rerunMs // the re-run happens inside the invocation
			g.stats.InitReruns++
		} else {
			g.stats.ColdStarts++
			if morning {
				g.stats.MorningColdStarts++
			}
		}
	}
	g.pool.occupy(t, initMs+dur, false)

	json := c.Format == FormatJSON || (c.Format == FormatMixed && g.rng.IntN(2) == 0)
	id := g.requestID()
	startAt := t + int64(initMs)
	endAt := startAt + int64(dur)
	billed := math.Ceil(dur)
	if cold && !rerun {
		billed = math.Ceil(dur + initMs) // INIT is billed (after 2025-08-01)
	}
	if cold {
		g.emitInit(t, startAt, initMs, rerun, json)
	}
	g.emitStart(startAt, id, json)
	if rerun {
		// Logged when the re-run ends; it is queued at the START's time so
		// that it follows its START in a log that interleaves environments
		// (CloudWatch keeps one stream per environment, where it does anyway).
		g.emitRerun(startAt, rerunMs, json)
	}
	for i := range c.AppLines {
		at := startAt + int64(float64(i+1)*dur/float64(c.AppLines+1))
		g.emitApp(at, id, i, json)
	}
	if !json {
		g.line(endAt, func(b []byte) []byte {
			b = append(b, "END RequestId: "...)
			return append(b, id...)
		})
	}
	reportInit := 0.0
	if cold && !rerun {
		reportInit = initMs
	}
	g.emitReport(endAt, id, dur, billed, reportInit, status, json)
	return nil
}

// streamName names the log stream of an environment born at t as Lambda
// does: "2026/11/02/[$LATEST]" and 32 hexadecimal digits.
func (g *generator) streamName(t int64) string {
	b := time.UnixMilli(t).UTC().AppendFormat(nil, "2006/01/02/[")
	b = append(append(b, g.cfg.Version...), ']')
	// From the seed and the environment's number, so that the random
	// sequence (and the log) is the same whatever the shape.
	k := makeReqKey(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint32(nil, uint32(g.env)), g.cfg.Seed))
	v := k.hash()
	k[0] ^= 0xff
	b = hex.AppendEncode(b, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, v), k.hash()))
	return string(b)
}

func (g *generator) requestID() []byte {
	var raw [16]byte
	for i := 0; i < 16; i += 8 {
		v := g.rng.Uint64()
		for j := range 8 {
			raw[i+j] = byte(v >> (8 * j))
		}
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	id := make([]byte, 36)
	hex.Encode(id[0:8], raw[0:4])
	id[8] = '-'
	hex.Encode(id[9:13], raw[4:6])
	id[13] = '-'
	hex.Encode(id[14:18], raw[6:8])
	id[18] = '-'
	hex.Encode(id[19:23], raw[8:10])
	id[23] = '-'
	hex.Encode(id[24:36], raw[10:16])
	return id
}

func (g *generator) emitInit(t, startAt int64, initMs float64, failed, json bool) {
	c := &g.cfg
	if json {
		g.line(t, func(b []byte) []byte {
			b = jsonEvent(b, t, "initStart")
			b = append(b, `"initializationType":"on-demand","phase":"init","runtimeVersion":"provided:al2023.v92","functionName":"`...)
			b = append(b, c.Function...)
			b = append(b, `","functionVersion":"`...)
			b = append(b, c.Version...)
			return append(b, `"}}`...)
		})
		g.line(startAt-1, func(b []byte) []byte {
			b = jsonEvent(b, startAt-1, "initReport")
			b = append(b, `"initializationType":"on-demand","phase":"init","status":"`...)
			if failed {
				b = append(b, `error","errorType":"Runtime.ExitError`...)
			} else {
				b = append(b, "success"...)
			}
			b = append(b, `","metrics":{"durationMs":`...)
			b = strconv.AppendFloat(b, initMs, 'f', 2, 64)
			return append(b, `}}}`...)
		})
		return
	}
	g.line(t, func(b []byte) []byte {
		return append(b, "INIT_START Runtime Version: provided:al2023.v92\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:0a25e3e7a1cc9ce404bc435eeb2ad358d8fa64338e618d0c224fe509403583ca"...)
	})
	if failed {
		g.line(startAt-1, func(b []byte) []byte {
			b = append(b, "INIT_REPORT Init Duration: "...)
			b = strconv.AppendFloat(b, initMs, 'f', 2, 64)
			return append(b, " ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError"...)
		})
	}
}

func (g *generator) emitRerun(at int64, ms float64, json bool) {
	if json {
		g.line(at, func(b []byte) []byte {
			b = jsonEvent(b, at, "initReport")
			b = append(b, `"initializationType":"on-demand","phase":"invoke","status":"success","metrics":{"durationMs":`...)
			b = strconv.AppendFloat(b, ms, 'f', 2, 64)
			return append(b, `}}}`...)
		})
		return
	}
	g.line(at, func(b []byte) []byte {
		b = append(b, "INIT_REPORT Init Duration: "...)
		b = strconv.AppendFloat(b, ms, 'f', 2, 64)
		return append(b, " ms\tPhase: invoke\tStatus: success"...)
	})
}

func (g *generator) emitStart(at int64, id []byte, json bool) {
	v := g.cfg.Version
	if json {
		g.line(at, func(b []byte) []byte {
			b = jsonEvent(b, at, "start")
			b = append(b, `"requestId":"`...)
			b = append(b, id...)
			b = append(b, `","version":"`...)
			b = append(b, v...)
			return append(b, `"}}`...)
		})
		return
	}
	g.line(at, func(b []byte) []byte {
		b = append(b, "START RequestId: "...)
		b = append(b, id...)
		b = append(b, " Version: "...)
		return append(b, v...)
	})
}

// appMessages include lines that resemble platform lines to the eye.
var appMessages = []string{
	"processing order",
	"START of batch",
	"REPORT generated for customer",
	"cache miss, loading catalogue",
	"INIT_START marker in user data",
}

func (g *generator) emitApp(at int64, id []byte, i int, json bool) {
	msg := appMessages[(int(id[0])+i)%len(appMessages)]
	if json {
		g.line(at, func(b []byte) []byte {
			b = append(b, `{"time":"`...)
			b = appendTime(b, at)
			b = append(b, `","level":"INFO","msg":"`...)
			b = append(b, msg...)
			b = append(b, `","requestId":"`...)
			b = append(b, id...)
			b = append(b, `","type":"app"}`...)
			return b
		})
		return
	}
	g.line(at, func(b []byte) []byte {
		b = appendTime(b, at)
		b = append(b, '\t')
		b = append(b, id...)
		b = append(b, "\tINFO\t"...)
		return append(b, msg...)
	})
}

func (g *generator) emitReport(at int64, id []byte, dur, billed, initMs float64, status string, json bool) {
	c := &g.cfg
	used := 60 + g.rng.IntN(40)
	truncate := g.rng.Float64() < c.TruncatedRate
	traced := c.TracingRate > 0 && g.rng.Float64() < c.TracingRate
	if json {
		g.line(at, func(b []byte) []byte {
			b = jsonEvent(b, at, "report")
			b = append(b, `"requestId":"`...)
			b = append(b, id...)
			b = append(b, `","status":"`...)
			if status == "" {
				b = append(b, "success"...)
			} else {
				b = append(b, status...)
				b = append(b, `","errorType":"Sandbox.Timedout`...)
			}
			b = append(b, `","metrics":{"durationMs":`...)
			cut := len(b)
			b = strconv.AppendFloat(b, dur, 'f', 2, 64)
			b = append(b, `,"billedDurationMs":`...)
			b = strconv.AppendFloat(b, billed, 'f', 0, 64)
			b = append(b, `,"memorySizeMB":`...)
			b = strconv.AppendInt(b, int64(c.MemoryMB), 10)
			b = append(b, `,"maxMemoryUsedMB":`...)
			b = strconv.AppendInt(b, int64(used), 10)
			if initMs > 0 {
				b = append(b, `,"initDurationMs":`...)
				b = strconv.AppendFloat(b, initMs, 'f', 2, 64)
			}
			b = append(b, `}}}`...)
			if truncate {
				b = b[:cut+g.rng.IntN(len(b)-cut-2)]
			}
			return b
		})
	} else {
		g.line(at, func(b []byte) []byte {
			b = append(b, "REPORT RequestId: "...)
			b = append(b, id...)
			b = append(b, "\tDuration: "...)
			b = strconv.AppendFloat(b, dur, 'f', 2, 64)
			b = append(b, " ms\tBilled Duration: "...)
			b = strconv.AppendFloat(b, billed, 'f', 0, 64)
			b = append(b, " ms\tMemory Size: "...)
			b = strconv.AppendInt(b, int64(c.MemoryMB), 10)
			cut := len(b)
			b = append(b, " MB\tMax Memory Used: "...)
			b = strconv.AppendInt(b, int64(used), 10)
			b = append(b, " MB\t"...)
			if initMs > 0 {
				b = append(b, "Init Duration: "...)
				b = strconv.AppendFloat(b, initMs, 'f', 2, 64)
				b = append(b, " ms\t"...)
			}
			if status != "" {
				b = append(b, "Status: "...)
				b = append(b, status...)
				b = append(b, '\t')
			}
			if truncate {
				return b[:cut-g.rng.IntN(8)]
			}
			if traced {
				b = append(b, "\nXRAY TraceId: 1-"...)
				b = strconv.AppendUint(b, uint64(at/1000), 16)
				b = append(b, '-')
				b = append(b, id[:8]...)
				b = append(b, id[9:13]...)
				b = append(b, id[14:18]...)
				b = append(b, "\tSegmentId: "...)
				b = append(b, id[24:36]...)
				b = append(b, "0000\tSampled: true\t"...)
			}
			return b
		})
	}
	if truncate {
		g.stats.Truncated++
	}
}

// line queues one log event of the current environment at time t; build
// appends the message.
func (g *generator) line(t int64, build func([]byte) []byte) {
	b := build(g.buf[:0])
	g.seq++
	heap.Push(&g.out, outLine{t: t, seq: g.seq, env: g.env, b: append([]byte(nil), b...)})
	g.buf = b
}

// flush writes the queued events up to time t.
func (g *generator) flush(t int64) error {
	tail := int64(len(g.w.tail()))
	for len(g.out) > 0 && g.out[0].t <= t {
		l := heap.Pop(&g.out).(outLine)
		b := g.w.event(g.buf[:0], l.t, g.streams[l.env-1], g.cfg.Function, l.b)
		g.buf = b
		if g.cfg.MaxBytes > 0 && g.stats.Bytes+int64(len(b))+tail > g.cfg.MaxBytes {
			return errStop
		}
		if _, err := g.bw.Write(b); err != nil {
			return err
		}
		g.stats.Bytes += int64(len(b))
		g.stats.Lines += int64(bytes.Count(b, []byte("\n")))
		g.stats.Events++
	}
	return nil
}

type outLine struct {
	t, seq int64
	env    int32
	b      []byte // the message
}

type lineHeap []outLine

func (h lineHeap) Len() int { return len(h) }
func (h lineHeap) Less(i, j int) bool {
	if h[i].t != h[j].t {
		return h[i].t < h[j].t
	}
	return h[i].seq < h[j].seq
}
func (h lineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x any)   { *h = append(*h, x.(outLine)) }
func (h *lineHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// jsonEvent appends the start of a JSON platform event up to the opening
// of its record: {"time":"...","type":"platform.TYPE","record":{
func jsonEvent(b []byte, at int64, typ string) []byte {
	b = append(b, `{"time":"`...)
	b = appendTime(b, at)
	b = append(b, `","type":"platform.`...)
	b = append(b, typ...)
	return append(b, `","record":{`...)
}

// appendTime appends Unix milliseconds as 2026-11-23T07:00:02.431Z.
func appendTime(b []byte, ms int64) []byte {
	return time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

// String describes the stats in one line.
func (s GenerateStats) String() string {
	return fmt.Sprintf("%d bytes, %d lines, %d invocations, %d cold starts (%d in the morning spike), %d init re-runs, %d timeouts, %d truncated lines",
		s.Bytes, s.Lines, s.Invocations, s.ColdStarts, s.MorningColdStarts, s.InitReruns, s.Timeouts, s.Truncated)
}
