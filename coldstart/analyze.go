package coldstart

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
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
	open     openTable
	arrivals int
	streamNo int32
	// evictEvery is how many lines pass between evictions of lost STARTs.
	evictEvery int64
	br         *bufio.Reader // the read buffer, reused across streams
	scratch    scratch
	times      timeCache

	lastVersion    string
	lastVersionIdx int32
	lastVersionOK  bool
}

func newAnalyzer(o *Options) *analyzer {
	return &analyzer{
		opts:    o,
		clock:   newWallClock(o.Location),
		nameIdx: map[string]int32{},
		aggs:    map[aggKey]*agg{},

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

// internVersion is intern for START's version, which repeats line after
// line.
func (a *analyzer) internVersion(v []byte) int32 {
	if a.lastVersionOK && string(v) == a.lastVersion {
		return a.lastVersionIdx
	}
	i := a.intern(v)
	a.lastVersion, a.lastVersionIdx, a.lastVersionOK = a.names[i], i, true
	return i
}

// streamState is what the analyzer remembers within one stream.
type streamState struct {
	name     string
	function int32 // -1 until known
	maxTime  int64 // the latest timestamp of the stream
	// env is the environment of lines without a log stream name: a file
	// holds the lines of one or more environments, which a plain log does
	// not tell apart.
	env envState
	// envs are the environments named by log streams (CloudWatch writes
	// one log stream per execution environment), by log group and stream.
	envs      map[string]*envState
	key       []byte
	lastKey   []byte
	lastEnv   *envState
	prefixes  [prefixKinds]int64
	last      *agg       // the aggregate of the stream's last REPORT
	leftover  ColdStarts // init events of environments without a REPORT
	leftText  int64
	streamEnv int64 // log streams seen
}

// envState is what the analyzer remembers of one execution environment.
type envState struct {
	function int32 // from the record's log group; -1: the stream's
	named    bool  // a log stream of its own (not the stream's unnamed lines)
	last     *agg  // the aggregate of the environment's last REPORT
	lastReq  reqKey
	hasReq   bool
	seen     int64      // the latest time seen
	sawInit  bool       // an INIT_START or RESTORE_START was seen
	reports  int64      // REPORTs seen
	pending  ColdStarts // init events seen before the first REPORT
	textInit int64      // INIT_START lines in text format
}

const (
	defaultEvictEvery = 1 << 20
	// maxEnvs bounds the log streams remembered per stream; beyond it,
	// the longest idle are forgotten (their counts are kept).
	maxEnvs = 1 << 16
	// envIdle is how long a log stream stays remembered without events:
	// far beyond Lambda's idle timeout.
	envIdle = 4 * 60 * 60 * 1000
)

// readBuffer returns the analysis' read buffer over r: one of
// maxLineBytes, reused across streams, or for a stream known to be
// smaller, one that holds all of it.
func (a *analyzer) readBuffer(r io.Reader, size int64) *bufio.Reader {
	if size > 0 && size < maxLineBytes/4 {
		return bufio.NewReaderSize(r, int(size)+64)
	}
	if a.br == nil {
		a.br = bufio.NewReaderSize(r, maxLineBytes)
	} else {
		a.br.Reset(r)
	}
	return a.br
}

func (a *analyzer) stream(ctx context.Context, s Stream) error {
	a.in.Streams = append(a.in.Streams, s.Name)
	a.streamNo++
	st := &streamState{name: s.Name, function: -1, env: envState{function: -1}}
	if s.Function != "" {
		st.function = a.intern([]byte(s.Function))
	}
	br := a.readBuffer(s.R, s.Size)
	shape := s.Shape
	switch {
	case shape == "":
		head, err := br.Peek(DetectShapeBytes)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("read %s: %w", s.Name, err)
		}
		shape = DetectShape(head)
	case !shape.Valid():
		return fmt.Errorf("stream %s: unknown shape %q", s.Name, shape)
	}
	rr := newRecordReader(shape, br, &a.scratch)
	var rec record
	var ev Event
	var lines int64
	nextProgress := int64(8 << 20)
	nextCheck, nextEvict := int64(1024), a.evictEvery
	startBytes, startLines := a.in.Bytes, a.in.Lines
	for {
		err := rr.next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", s.Name, err)
		}
		lines++
		kind := LineMalformed
		if !rec.bad {
			kind = parseMessage(rec.msg, &ev)
		}
		switch kind {
		case LinePlatform:
			a.in.PlatformLines++
			if ev.Type != EventEnd { // END's time is not used
				ev.Time = rec.time(&a.times)
				if ev.Time == 0 && len(ev.jsonTime) > 0 {
					ev.Time = a.times.parse(ev.jsonTime)
				}
			}
			st.prefixes[platformPrefix(rec.kind, rec.msg)]++
			a.event(st, a.envOf(st, &rec), &ev)
		case LineMalformed:
			a.malformed(rec.msg)
		}
		if lines == nextEvict {
			nextEvict += a.evictEvery
			if err := ctx.Err(); err != nil {
				return err
			}
			a.evict(st)
		}
		if lines == nextCheck {
			nextCheck += 1024
			if a.opts.Progress != nil {
				if n, _ := rr.counts(); n >= nextProgress {
					nextProgress = n + 8<<20
					a.opts.Progress(Progress{Stream: s.Name, StreamBytes: n, StreamSize: s.Size,
						Bytes: startBytes + n, Lines: startLines + lines})
				}
			}
		}
	}
	n, oversized := rr.counts()
	a.in.Bytes += n
	a.in.Lines += lines
	a.in.Oversized += oversized
	a.flushStream(st)
	if shape.family() == familyLines && st.prefixes != ([prefixKinds]int64{}) {
		// Name a line stream after the prefix most of its platform lines had.
		var counts [prefixKinds]int
		for k, c := range st.prefixes {
			counts[k] = int(min(c, 1<<30))
		}
		shape = linesShape(counts)
	}
	a.in.Shapes = append(a.in.Shapes, StreamShape{Stream: s.Name, Shape: shape, LogStreams: st.streamEnv})
	if a.opts.Progress != nil {
		a.opts.Progress(Progress{Stream: s.Name, StreamBytes: n, StreamSize: s.Size,
			Bytes: a.in.Bytes, Lines: a.in.Lines, Done: true})
	}
	a.opts.Logger.Debug("stream read", "stream", s.Name, "shape", string(shape), "bytes", n, "lines", lines)
	return ctx.Err()
}

// malformed counts a malformed platform line and keeps the first few.
func (a *analyzer) malformed(msg []byte) {
	a.in.Malformed++
	if len(a.in.MalformedSamples) < 5 {
		if len(msg) > 200 {
			msg = msg[:200]
		}
		a.in.MalformedSamples = append(a.in.MalformedSamples, string(msg))
	}
}

// envOf returns the environment of a record: its log stream's, or the
// stream's unnamed one.
func (a *analyzer) envOf(st *streamState, rec *record) *envState {
	if len(rec.stream) == 0 {
		return &st.env
	}
	key := rec.stream
	if len(rec.group) > 0 {
		st.key = append(append(append(st.key[:0], rec.group...), 0), rec.stream...)
		key = st.key
	}
	if st.lastEnv != nil && string(key) == string(st.lastKey) {
		return st.lastEnv
	}
	e := st.envs[string(key)]
	if e == nil {
		if st.envs == nil {
			st.envs = map[string]*envState{}
		}
		if len(st.envs) >= maxEnvs {
			a.forgetEnvs(st, st.maxTime-20*60*1000)
		}
		e = &envState{function: -1, named: true}
		if len(rec.group) > 0 {
			e.function = a.intern([]byte(FunctionOfLogGroup(string(rec.group))))
		}
		st.envs[string(key)] = e
		st.streamEnv++
	}
	st.lastKey = append(st.lastKey[:0], key...)
	st.lastEnv = e
	return e
}

// forgetEnvs drops the environments idle since before limit, keeping
// their counts; with maxEnvs remembered, the longer idle half as well, so
// that a stream of ever new log streams costs a scan every maxEnvs/2 of
// them rather than one each.
func (a *analyzer) forgetEnvs(st *streamState, limit int64) {
	if len(st.envs) >= maxEnvs {
		seen := make([]int64, 0, len(st.envs))
		for _, e := range st.envs {
			seen = append(seen, e.seen)
		}
		slices.Sort(seen)
		limit = max(limit, seen[len(seen)/2]+1)
	}
	for k, e := range st.envs {
		if e.seen < limit {
			st.flushEnv(e)
			delete(st.envs, k)
		}
	}
	st.lastEnv = nil
}

// evict drops invocations that started more than 20 minutes (15 minutes is
// Lambda's longest timeout) before the latest time seen in their stream, and
// those left over from streams read before the previous one, so that lost
// REPORT lines cannot grow memory; and log streams idle for hours. Streams
// are compared with their own clock: files of different periods do not
// evict each other's invocations.
func (a *analyzer) evict(st *streamState) {
	limit := st.maxTime - 20*60*1000
	a.in.UnmatchedStarts += int64(a.open.deleteIf(func(o openInv) bool {
		return (o.stream == a.streamNo && o.start < limit) || o.stream < a.streamNo-1
	}))
	if len(st.envs) > 0 && st.maxTime > 0 {
		a.forgetEnvs(st, st.maxTime-envIdle)
	}
}

func (a *analyzer) event(st *streamState, env *envState, ev *Event) {
	if ev.Time > st.maxTime {
		st.maxTime = ev.Time
	}
	if ev.Time > env.seen {
		env.seen = ev.Time
	}
	switch ev.Type {
	case EventStart:
		k := makeReqKey(ev.RequestID)
		a.open.put(&k, openInv{start: ev.Time, version: a.internVersion(ev.Version), stream: a.streamNo})
		env.lastReq, env.hasReq = k, true
	case EventReport:
		a.report1(st, env, ev)
	case EventInitStart:
		if st.function < 0 && len(ev.FunctionName) > 0 {
			st.function = a.intern(ev.FunctionName)
		}
		env.sawInit = true
		c := env.cold()
		c.InitStarts++
		switch ev.InitType {
		case InitProvisioned:
			c.Provisioned++
		case InitUnknown:
			env.textInit++
		}
	case EventRestoreStart:
		if st.function < 0 && len(ev.FunctionName) > 0 {
			st.function = a.intern(ev.FunctionName)
		}
		env.sawInit = true
	case EventInitReport:
		c := env.cold()
		if len(ev.Status) > 0 && string(ev.Status) != "success" {
			c.InitFailures++
		}
		if ev.Phase == PhaseInvoke && env.hasReq {
			if o, ok := a.open.get(&env.lastReq); ok {
				o.rerun += float32(ev.DurationMs)
				a.open.put(&env.lastReq, o)
			}
		}
	case EventRestoreReport:
		if len(ev.Status) > 0 && string(ev.Status) != "success" {
			env.cold().InitFailures++
		}
	}
}

// cold returns where the environment's init counters go: its last
// aggregate, or the pending counters before its first REPORT.
func (e *envState) cold() *ColdStarts {
	if e.last != nil {
		return &e.last.cold
	}
	return &e.pending
}

// flushEnv moves an environment's pending init counters to its aggregate,
// or to the stream's leftovers when it had no REPORT.
func (st *streamState) flushEnv(e *envState) {
	if e.last != nil {
		addInits(&e.last.cold, &e.pending)
		e.last.textInit += e.textInit
	} else {
		addInits(&st.leftover, &e.pending)
		st.leftText += e.textInit
	}
	e.pending, e.textInit = ColdStarts{}, 0
}

// flushStream flushes every environment at the end of a stream; init
// events of environments that served no request in the stream go to the
// stream's last aggregate.
func (a *analyzer) flushStream(st *streamState) {
	st.flushEnv(&st.env)
	for _, e := range st.envs {
		st.flushEnv(e)
	}
	if st.last != nil {
		addInits(&st.last.cold, &st.leftover)
		st.last.textInit += st.leftText
	}
}

func addInits(dst, src *ColdStarts) {
	dst.InitStarts += src.InitStarts
	dst.Provisioned += src.Provisioned
	dst.InitFailures += src.InitFailures
}

func (a *analyzer) report1(st *streamState, env *envState, ev *Event) {
	k := makeReqKey(ev.RequestID)
	o, matched := a.open.take(&k)
	if !matched {
		a.in.ReportsWithoutStart++
		o.version = a.intern(nil)
	}
	fn := env.function
	if fn < 0 {
		if st.function < 0 {
			// No function name from the source nor from a platform.initStart
			// before the first REPORT: name it after the stream.
			st.function = a.intern([]byte(functionFromName(st.name)))
		}
		fn = st.function
	}
	if ev.MemoryMB == 0 {
		// A JSON report without memorySizeMB (a timeout may carry only its
		// duration): the environment's memory size, else the stream's.
		switch {
		case env.last != nil:
			ev.MemoryMB = env.last.key.memory
		case st.last != nil:
			ev.MemoryMB = st.last.key.memory
		}
	}
	if ev.BilledDurationMs == 0 && ev.DurationMs > 0 {
		// Billed in whole milliseconds, at least the duration.
		ev.BilledDurationMs = math.Ceil(ev.DurationMs)
	}
	key := aggKey{function: fn, version: o.version, memory: ev.MemoryMB}
	g := env.last
	if g == nil || g.key != key {
		g = a.aggs[key]
		if g == nil {
			g = newAgg(key)
			a.aggs[key] = g
		}
		first := env.last == nil
		env.last = g
		if first {
			st.flushEnv(env)
		}
	}
	st.last = g
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
	if env.named && env.reports == 0 {
		g.envs++
		if !env.sawInit && kind == warm {
			g.envsBeforeLog++
		}
	}
	env.reports++
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

// FunctionOfLogGroup returns NAME for the log group /aws/lambda/NAME (also
// as Logs Insights writes it, "ACCOUNT:/aws/lambda/NAME") and the group
// itself otherwise.
func FunctionOfLogGroup(group string) string {
	if i := strings.Index(group, ":/"); i >= 0 && i < 20 {
		group = group[i+1:]
	}
	if name, ok := strings.CutPrefix(group, "/aws/lambda/"); ok && name != "" {
		return name
	}
	return group
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
	a.in.UnmatchedStarts += int64(a.open.len())
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
		var peaks [7][24]int
		fr.Concurrency, fr.Resolution, fr.PeakConcurrency, peaks = concurrency(arr, a.opts.Location)
		if !a.opts.SkipPlan && len(arr) > 0 {
			p, err := plan(ctx, fr, g, arr, peaks, a.opts, prices)
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
