package coldstart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Options configure [Analyze]. A nil *Options or the zero value is usable:
// it means us-east-1 x86_64 list prices, a 1 s p99 target, UTC, a calibrated
// keep-alive model.
type Options struct {
	// Region and Arch select the prices; defaults us-east-1 and x86_64.
	Region string
	Arch   string
	// Prices is the price table; nil means [DefaultPriceTable].
	Prices *PriceTable
	// P99Target is the end-to-end p99 latency the recommendation must meet;
	// 0 means 1 s.
	P99Target time.Duration
	// Location is the time zone of hour-of-day figures and schedules; nil
	// means UTC.
	Location *time.Location
	// Model is the keep-alive model of the simulator. A zero IdleTimeout
	// means calibrate it: pick from [CalibrationTimeouts] the timeout whose
	// replay of the log reproduces the observed cold starts best.
	Model Model
	// MaxReplayArrivals caps the invocations kept for the simulation and the
	// concurrency series: about 5 bytes each while reading, 16 while
	// replaying. Beyond it the replay covers the first invocations (and
	// Report.Input.ReplayTruncated is set). 0 means 2 Mi, which keeps the
	// whole analysis under 100 MB.
	MaxReplayArrivals int
	// Seed seeds the simulator's random init times; 0 means 1.
	Seed uint64
	// SkipPlan skips the simulation and the cost model.
	SkipPlan bool
	// Progress, when set, is called about every 8 MiB read and at the end
	// of each stream.
	Progress func(Progress)
	// Logger receives debug and warning records; nil means discard.
	Logger *slog.Logger
	// Now is the clock for Report.GeneratedAt; nil means time.Now.
	Now func() time.Time
}

// Progress reports how far the analysis is.
type Progress struct {
	Stream string
	// StreamBytes and StreamSize are the bytes read of the current stream
	// and its size (-1 when unknown).
	StreamBytes, StreamSize int64
	// Bytes and Lines are totals over all streams so far.
	Bytes, Lines int64
	Done         bool // the stream is finished
}

func (o *Options) defaults() error {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Arch == "" {
		o.Arch = ArchX86
	}
	if o.Prices == nil {
		o.Prices = DefaultPriceTable()
	}
	if o.P99Target <= 0 {
		o.P99Target = time.Second
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.MaxReplayArrivals <= 0 {
		o.MaxReplayArrivals = 2 << 20
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	_, err := o.Prices.Lookup(o.Region, o.Arch)
	return err
}

// Analyze reads every stream of src once, line by line in bounded memory,
// and returns the per-function analysis with, unless opts.SkipPlan, the
// simulated provisioned concurrency options and a recommendation.
// Malformed lines are counted in Report.Input, never fatal; Analyze fails
// only when a stream cannot be read, ctx ends, or nothing was found
// ([ErrNoInvocations]).
func Analyze(ctx context.Context, src Source, opts *Options) (*Report, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := o.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	a := newAnalyzer(&o)
	err := src.Streams(ctx, func(s Stream) error {
		return a.stream(ctx, s)
	})
	if err != nil {
		return nil, err
	}
	rep, err := a.report(ctx)
	if err != nil {
		return nil, err
	}
	rep.Input.Elapsed = time.Since(start)
	return rep, nil
}

// reqKey is a request id as a fixed array: Lambda request ids are 36-byte
// UUIDs; longer ids are cut, with their length in the last byte.
type reqKey [40]byte

func makeReqKey(id []byte) reqKey {
	var k reqKey
	n := copy(k[:39], id)
	k[39] = byte(n)
	return k
}

type openInv struct {
	start   int64
	version int32 // index into analyzer.versions
	stream  int32
	rerun   float32 // init re-run ms seen inside this invocation
}

type aggKey struct {
	function, version int32
	memory            int
}

type analyzer struct {
	opts     *Options
	clock    *wallClock
	in       Input
	names    []string // interned function and version names
	nameIdx  map[string]int32
	aggs     map[aggKey]*agg
	open     map[reqKey]openInv
	arrivals int
	streamNo int32
	// evictEvery is how many lines pass between evictions of lost STARTs.
	evictEvery int64
}

func newAnalyzer(o *Options) *analyzer {
	return &analyzer{
		opts:    o,
		clock:   newWallClock(o.Location),
		nameIdx: map[string]int32{},
		aggs:    map[aggKey]*agg{},
		open:    map[reqKey]openInv{},

		evictEvery: defaultEvictEvery,
	}
}

// intern returns the index of name, adding it when new. The lookup does
// not allocate.
func (a *analyzer) intern(name []byte) int32 {
	if i, ok := a.nameIdx[string(name)]; ok {
		return i
	}
	s := string(name)
	i := int32(len(a.names))
	a.names = append(a.names, s)
	a.nameIdx[s] = i
	return i
}

// streamState is what the analyzer remembers within one stream. CloudWatch
// writes one log stream per execution environment, so init events are
// attributed to the function of the stream.
type streamState struct {
	name     string
	function int32 // -1 until known
	last     *agg  // the aggregate of the last REPORT
	lastReq  reqKey
	hasReq   bool
	maxTime  int64      // the latest timestamp of the stream
	pending  ColdStarts // init events seen before the first REPORT
	textInit int64      // INIT_START lines in text format
}

const defaultEvictEvery = 1 << 20

func (a *analyzer) stream(ctx context.Context, s Stream) error {
	a.in.Streams = append(a.in.Streams, s.Name)
	a.streamNo++
	st := &streamState{name: s.Name, function: -1}
	if s.Function != "" {
		st.function = a.intern([]byte(s.Function))
	}
	lr := newLineReader(s.R)
	var ev Event
	var lines int64
	nextProgress := int64(8 << 20)
	startBytes, startLines := a.in.Bytes, a.in.Lines
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", s.Name, err)
		}
		lines++
		switch ParseLine(line, &ev) {
		case LinePlatform:
			a.in.PlatformLines++
			a.event(st, &ev)
		case LineMalformed:
			a.in.Malformed++
			if len(a.in.MalformedSamples) < 5 {
				l := line
				if len(l) > 200 {
					l = l[:200]
				}
				a.in.MalformedSamples = append(a.in.MalformedSamples, string(l))
			}
		}
		if lines%a.evictEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			a.evict(st)
		}
		if lr.bytes >= nextProgress && a.opts.Progress != nil {
			nextProgress += 8 << 20
			a.opts.Progress(Progress{Stream: s.Name, StreamBytes: lr.bytes, StreamSize: s.Size,
				Bytes: startBytes + lr.bytes, Lines: startLines + lines})
		}
	}
	a.in.Bytes += lr.bytes
	a.in.Lines += lines
	a.in.Oversized += lr.oversized
	a.flushPending(st)
	if a.opts.Progress != nil {
		a.opts.Progress(Progress{Stream: s.Name, StreamBytes: lr.bytes, StreamSize: s.Size,
			Bytes: a.in.Bytes, Lines: a.in.Lines, Done: true})
	}
	a.opts.Logger.Debug("stream read", "stream", s.Name, "bytes", lr.bytes, "lines", lines)
	return ctx.Err()
}

// evict drops invocations that started more than 20 minutes (15 minutes is
// Lambda's longest timeout) before the latest time seen in their stream, and
// those left over from streams read before the previous one, so that lost
// REPORT lines cannot grow memory. Streams are compared with their own
// clock: files of different periods do not evict each other's invocations.
func (a *analyzer) evict(st *streamState) {
	limit := st.maxTime - 20*60*1000
	for k, o := range a.open {
		if (o.stream == a.streamNo && o.start < limit) || o.stream < a.streamNo-1 {
			delete(a.open, k)
			a.in.UnmatchedStarts++
		}
	}
}

func (a *analyzer) event(st *streamState, ev *Event) {
	if ev.Time > st.maxTime {
		st.maxTime = ev.Time
	}
	switch ev.Type {
	case EventStart:
		k := makeReqKey(ev.RequestID)
		a.open[k] = openInv{start: ev.Time, version: a.intern(ev.Version), stream: a.streamNo}
		st.lastReq, st.hasReq = k, true
	case EventReport:
		a.report1(st, ev)
	case EventInitStart:
		if st.function < 0 && len(ev.FunctionName) > 0 {
			st.function = a.intern(ev.FunctionName)
		}
		c := st.cold()
		c.InitStarts++
		switch ev.InitType {
		case InitProvisioned:
			c.Provisioned++
		case InitUnknown:
			st.textInit++
		}
	case EventRestoreStart:
		if st.function < 0 && len(ev.FunctionName) > 0 {
			st.function = a.intern(ev.FunctionName)
		}
	case EventInitReport:
		c := st.cold()
		if len(ev.Status) > 0 && string(ev.Status) != "success" {
			c.InitFailures++
		}
		if ev.Phase == PhaseInvoke && st.hasReq {
			if o, ok := a.open[st.lastReq]; ok {
				o.rerun += float32(ev.DurationMs)
				a.open[st.lastReq] = o
			}
		}
	case EventRestoreReport:
		if len(ev.Status) > 0 && string(ev.Status) != "success" {
			st.cold().InitFailures++
		}
	}
}

// cold returns where the stream's init counters go: its last aggregate, or
// the pending counters before the first REPORT.
func (st *streamState) cold() *ColdStarts {
	if st.last != nil {
		return &st.last.cold
	}
	return &st.pending
}

func (a *analyzer) flushPending(st *streamState) {
	if st.last == nil {
		return
	}
	c := &st.last.cold
	c.InitStarts += st.pending.InitStarts
	c.Provisioned += st.pending.Provisioned
	c.InitFailures += st.pending.InitFailures
	st.last.textInit += st.textInit
	st.pending = ColdStarts{}
	st.textInit = 0
}

func (a *analyzer) report1(st *streamState, ev *Event) {
	k := makeReqKey(ev.RequestID)
	o, matched := a.open[k]
	if matched {
		delete(a.open, k)
	} else {
		a.in.ReportsWithoutStart++
		o.version = a.intern(nil)
	}
	if st.function < 0 {
		// No function name from the source nor from a platform.initStart
		// before the first REPORT: name it after the stream.
		name := functionFromName(st.name)
		st.function = a.intern([]byte(name))
	}
	fn := st.function
	key := aggKey{function: fn, version: o.version, memory: ev.MemoryMB}
	g := st.last
	if g == nil || g.key != key {
		g = a.aggs[key]
		if g == nil {
			g = newAgg(key)
			a.aggs[key] = g
		}
		if st.last == nil {
			st.last = g
			a.flushPending(st)
		}
		st.last = g
	}
	initMs := ev.InitDurationMs + ev.RestoreDurationMs
	var kind coldKind
	switch {
	case ev.RestoreDurationMs > 0:
		kind = coldSnapStart
	case ev.InitDurationMs > 0:
		kind = coldOnDemand
	case o.rerun > 0:
		kind = coldRerun
	}
	var at int64
	if ev.Time != 0 {
		// The request arrived before its init; START is logged after it.
		end := ev.Time
		at = end - int64(ev.DurationMs+initMs+0.5)
		if matched && o.start != 0 {
			at = o.start - int64(initMs+0.5)
		}
	} else {
		a.in.UntimedReports++
	}
	record := at != 0 && a.arrivals < a.opts.MaxReplayArrivals
	if at != 0 && !record {
		a.in.ReplayTruncated = true
	}
	if record {
		a.arrivals++
	}
	g.add(ev, kind, float64(o.rerun), at, record, a.clock, a.opts.Prices.InitBillingFrom.UnixMilli())
}

// functionFromName makes a function name of a stream name: the file name
// without directories and log extensions ("logs/checkout.log.gz" is
// "checkout").
func functionFromName(name string) string {
	name = filepath.Base(name)
	for _, ext := range []string{".gz", ".log", ".txt", ".json", ".jsonl"} {
		name = strings.TrimSuffix(name, ext)
	}
	if name == "" || name == "." || name == "/" || name == "-" {
		return "unknown"
	}
	return name
}

func (a *analyzer) report(ctx context.Context) (*Report, error) {
	a.in.UnmatchedStarts += int64(len(a.open))
	prices, _ := a.opts.Prices.Lookup(a.opts.Region, a.opts.Arch)
	rep := &Report{
		GeneratedAt: a.opts.Now().UTC(),
		Input:       a.in,
		Settings: Settings{
			Region:      a.opts.Region,
			Arch:        a.opts.Arch,
			P99Target:   a.opts.P99Target,
			Timezone:    a.opts.Location.String(),
			PriceSource: a.opts.Prices.Source,
			Prices:      prices,
		},
	}
	if len(a.aggs) == 0 {
		return nil, ErrNoInvocations
	}
	aggs := make([]*agg, 0, len(a.aggs))
	for _, g := range a.aggs {
		aggs = append(aggs, g)
	}
	sort.Slice(aggs, func(i, j int) bool {
		if aggs[i].n != aggs[j].n {
			return aggs[i].n > aggs[j].n
		}
		return aggs[i].key.memory < aggs[j].key.memory
	})
	for _, g := range aggs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fr := g.summary(a.names, prices, a.opts.Location)
		arr := g.arrivals.sorted()
		g.arrivals = arrivalLog{} // free the encoded copy
		fr.Concurrency, fr.Resolution, fr.PeakConcurrency = concurrency(arr, a.opts.Location)
		if !a.opts.SkipPlan && len(arr) > 0 {
			p, err := plan(ctx, fr, g, arr, a.opts, prices)
			if err != nil {
				if errors.Is(err, ctx.Err()) {
					return nil, err
				}
				a.opts.Logger.Warn("no plan", "function", fr.Function, "err", err)
			}
			fr.Plan = p
		}
		rep.Functions = append(rep.Functions, fr)
	}
	return rep, nil
}
