package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rampartdev/rampart/internal/firstcall"
)

// Limits of the embedded metric format.
const (
	MaxMetricsPerDocument = 100  // MetricDefinitions in one document
	MaxValuesPerMetric    = 100  // values in one metric's array
	MaxDimensions         = 30   // dimension keys in one dimension set
	maxNameLen            = 255  // namespace, metric and dimension names
	maxDimensionValueLen  = 1024 // dimension values
)

// ColdStartMetric is the name of the metric a Recorder emits, with value 1,
// on the first invocation of a process.
const ColdStartMetric = "ColdStart"

// Dimension is a CloudWatch dimension: a name and its value.
type Dimension struct {
	Name, Value string
}

// Options configures a [Recorder]. Namespace is required; every other
// field's zero value selects the default described on it.
type Options struct {
	// Namespace is the CloudWatch namespace of every metric. Required: New
	// returns ErrNamespace without it (and for a nil *Options).
	Namespace string
	// Dimensions are added to every document (for example a "service"
	// dimension). A Set may add more, up to [MaxDimensions] in all.
	Dimensions []Dimension
	// DisableColdStart turns off the ColdStart metric; false emits it.
	DisableColdStart bool
	// Now returns the time stamped on documents. Nil means time.Now.
	Now func() time.Time
	// Empty says what [Set.Flush] does when no metric was added to the Set
	// (see [EmptyPolicy]). The zero value, EmptyIgnore, writes nothing.
	Empty EmptyPolicy
	// Logger receives the EmptyWarn warning. Nil means slog.Default().
	Logger *slog.Logger
}

// EmptyPolicy says what [Set.Flush] does with a Set to which no metric was
// added since the last Flush. In every case no metric document is written
// for it (CloudWatch rejects a document without metrics), and the ColdStart
// document is written as usual.
type EmptyPolicy int

// String returns the policy's name.
func (p EmptyPolicy) String() string {
	switch p {
	case EmptyIgnore:
		return "EmptyIgnore"
	case EmptyWarn:
		return "EmptyWarn"
	case EmptyError:
		return "EmptyError"
	}
	return "EmptyPolicy(" + strconv.Itoa(int(p)) + ")"
}

const (
	// EmptyIgnore writes nothing and says nothing: an invocation with
	// nothing to count costs no log line. The default.
	EmptyIgnore EmptyPolicy = iota
	// EmptyWarn logs a WARN record "metrics: no metrics to flush" (with the
	// namespace, through Options.Logger and the invocation's context), as
	// Powertools does by default: for functions whose every invocation
	// should count something, so that a missing metric shows in the logs.
	EmptyWarn
	// EmptyError makes Flush return [ErrNoMetrics], as Powertools'
	// raise_on_empty_metrics does; the middleware package logs it at ERROR
	// ("metrics flush failed").
	EmptyError
)

// invoked reports the first invocation this process starts.
var invoked = firstcall.New()

// Recorder writes embedded metric format documents to w (standard output on
// Lambda, where CloudWatch Logs turns them into metrics). It is safe for
// concurrent use; create one per process.
type Recorder struct {
	mu   sync.Mutex // serialises writes: a document is one line
	w    io.Writer
	opts Options
	buf  []byte // guarded by mu
}

// New returns a Recorder writing to w. It fails when the namespace is
// missing (opts is nil or its Namespace empty) or when the namespace or the
// default dimensions break the format's rules.
func New(w io.Writer, opts *Options) (*Recorder, error) {
	if opts == nil {
		return nil, ErrNamespace
	}
	o := *opts
	if o.Namespace == "" || len(o.Namespace) > maxNameLen {
		return nil, ErrNamespace
	}
	if len(o.Dimensions) > MaxDimensions {
		return nil, ErrTooManyDimensions
	}
	seen := map[string]bool{}
	for _, d := range o.Dimensions {
		if err := checkDimension(d.Name, d.Value); err != nil {
			return nil, err
		}
		if seen[d.Name] {
			return nil, fmt.Errorf("%w: dimension %q given twice", ErrNameConflict, d.Name)
		}
		seen[d.Name] = true
	}
	o.Dimensions = append([]Dimension(nil), o.Dimensions...)
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Recorder{w: w, opts: o}, nil
}

// Start begins an invocation's Set and returns a context carrying it (see
// [FromContext]). The Set carries the invocation's request id as the
// "requestId" property, so that metrics can be tied to logs. On the first
// invocation of the process the Set also emits the ColdStart metric, in a
// document of its own with the default dimensions and "function_name" (left
// out when a default dimension has that name or the defaults number
// [MaxDimensions]) and the requestId property, so that every document
// names its invocation.
func (r *Recorder) Start(ctx context.Context) (context.Context, *Set) {
	s := r.NewSet()
	s.ctx = ctx
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		s.props = append(s.props, property{"requestId", string(appendString(nil, lc.AwsRequestID))})
		s.requestID = s.props[len(s.props)-1:]
	}
	if invoked.First() && !r.opts.DisableColdStart &&
		os.Getenv("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency" {
		s.coldStart = true
	}
	return context.WithValue(ctx, ctxKey{}, s), s
}

// NewSet returns an empty Set outside any invocation.
func (r *Recorder) NewSet() *Set {
	return &Set{r: r, byName: map[string]int{}, ctx: context.Background()}
}

type ctxKey struct{}

// FromContext returns the Set [Recorder.Start] put in ctx, or nil. All
// methods of a nil *Set do nothing and return nil, so code can record
// metrics whether or not it runs in an instrumented invocation.
func FromContext(ctx context.Context) *Set {
	s, _ := ctx.Value(ctxKey{}).(*Set)
	return s
}

// Set collects one invocation's metrics, dimensions and properties until
// [Set.Flush] writes them. It is safe for concurrent use.
type Set struct {
	r         *Recorder
	ctx       context.Context // the invocation's, for the EmptyWarn record
	mu        sync.Mutex
	metrics   []metric
	byName    map[string]int // metric name -> index in metrics
	dims      []Dimension
	props     []property
	coldStart bool       // emit the ColdStart document at the next Flush
	requestID []property // the requestId property alone, for the ColdStart document
	batch     []metric   // Flush's scratch space
	docs      []doc      // Flush's scratch space: the documents it wrote
}

// doc locates one document Flush built: where it ends in the output, and
// which metrics' values it carries (the round-th chunk of the metrics
// numbered from to to-1 among those having one).
type doc struct {
	end             int
	round, from, to int
}

type metric struct {
	name   string
	unit   Unit
	res    Resolution
	values []float64
}

type property struct {
	key  string
	json string // the value, encoded
}

// Add records value for the metric name in unit at standard resolution.
// Adding to a metric again appends to its values (CloudWatch aggregates
// them), with the same unit.
func (s *Set) Add(name string, unit Unit, value float64) error {
	return s.AddWithResolution(name, unit, StandardResolution, value)
}

// AddWithResolution is [Set.Add] with a storage resolution.
func (s *Set) AddWithResolution(name string, unit Unit, res Resolution, value float64) error {
	if s == nil {
		return nil
	}
	if name == "" || len(name) > maxNameLen || name == "_aws" {
		return fmt.Errorf("%w: metric name %q", ErrInvalidName, name)
	}
	if unit == "" {
		unit = None
	}
	if !unit.Valid() {
		return fmt.Errorf("%w: %q", ErrInvalidUnit, unit)
	}
	if res != StandardResolution && res != HighResolution {
		return fmt.Errorf("%w: resolution %d (want 1 or 60)", ErrInvalidValue, res)
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return fmt.Errorf("%w: %s = %v", ErrInvalidValue, name, value)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.byName[name]; ok {
		m := &s.metrics[i]
		if m.unit != unit || m.res != res {
			return fmt.Errorf("%w: %s is %s at %ds", ErrUnitConflict, name, m.unit, m.res)
		}
		m.values = append(m.values, value)
		return nil
	}
	if s.usedLocked(name) {
		return fmt.Errorf("%w: %q", ErrNameConflict, name)
	}
	s.byName[name] = len(s.metrics)
	s.metrics = append(s.metrics, metric{name: name, unit: unit, res: res, values: []float64{value}})
	return nil
}

// usedLocked reports whether key is a dimension or property name.
func (s *Set) usedLocked(key string) bool {
	for _, d := range s.r.opts.Dimensions {
		if d.Name == key {
			return true
		}
	}
	for _, d := range s.dims {
		if d.Name == key {
			return true
		}
	}
	for _, p := range s.props {
		if p.key == key {
			return true
		}
	}
	return false
}

func checkDimension(name, value string) error {
	if name == "" || len(name) > maxNameLen || name == "_aws" {
		return fmt.Errorf("%w: dimension name %q", ErrInvalidName, name)
	}
	if value == "" || len(value) > maxDimensionValueLen || !utf8.ValidString(value) {
		return fmt.Errorf("%w: dimension %s = %q", ErrInvalidValue, name, value)
	}
	return nil
}

// AddDimension adds a dimension to every metric of the Set. Setting a
// dimension the Set already has replaces its value. With the Recorder's
// default dimensions, a Set holds at most [MaxDimensions].
func (s *Set) AddDimension(name, value string) error {
	if s == nil {
		return nil
	}
	if err := checkDimension(name, value); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, d := range s.dims {
		if d.Name == name {
			s.dims[i].Value = value
			return nil
		}
	}
	if _, ok := s.byName[name]; ok || s.usedLocked(name) {
		return fmt.Errorf("%w: %q", ErrNameConflict, name)
	}
	if len(s.r.opts.Dimensions)+len(s.dims) >= MaxDimensions {
		return ErrTooManyDimensions
	}
	s.dims = append(s.dims, Dimension{name, value})
	return nil
}

// SetProperty adds key with value (any JSON-encodable value) to the
// documents' top level without making it a metric or a dimension: the place
// for high-cardinality context such as an order id, searchable in Logs
// Insights.
func (s *Set) SetProperty(key string, value any) error {
	if s == nil {
		return nil
	}
	if key == "" || key == "_aws" {
		return fmt.Errorf("%w: property %q", ErrInvalidName, key)
	}
	b, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("metrics: property %s: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.props {
		if p.key == key {
			s.props[i].json = string(b)
			return nil
		}
	}
	if _, ok := s.byName[key]; ok || s.usedLocked(key) {
		return fmt.Errorf("%w: %q", ErrNameConflict, key)
	}
	s.props = append(s.props, property{key, string(b)})
	return nil
}

// Flush writes the Set's metrics as embedded metric format documents, one
// per line, in a single Write, and empties the Set of metrics (dimensions
// and properties stay). A document holds at most [MaxMetricsPerDocument]
// metrics and [MaxValuesPerMetric] values per metric; more are split over
// several documents. Flush writes nothing when there are no metrics; what
// else it does then is the Recorder's [EmptyPolicy] (Options.Empty).
//
// When the Write fails, Flush returns its error and keeps in the Set every
// value whose document was not written in full (all of them when nothing
// was written; a torn last line is one CloudWatch cannot parse, so its
// values are kept too), and the ColdStart metric if its document was not
// written. A later Flush writes them again, with whatever was added
// meanwhile; documents written in full are not repeated, so nothing is
// counted twice.
func (s *Set) Flush() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.r
	if len(s.metrics) == 0 && r.opts.Empty == EmptyWarn {
		log := r.opts.Logger
		if log == nil {
			log = slog.Default()
		}
		log.LogAttrs(s.ctx, slog.LevelWarn, "metrics: no metrics to flush", slog.String("namespace", r.opts.Namespace))
	}
	empty := len(s.metrics) == 0 && r.opts.Empty == EmptyError
	r.mu.Lock()
	defer r.mu.Unlock()
	ts := r.opts.Now().UnixMilli()
	b := r.buf[:0]
	coldEnd := 0 // end of the ColdStart document, if any
	if s.coldStart {
		cold := []metric{{name: ColdStartMetric, unit: Count, res: StandardResolution, values: []float64{1}}}
		b = appendDocument(b, ts, r.opts.Namespace, r.opts.Dimensions, coldStartDimensions(r.opts.Dimensions), s.requestID, cold, 0)
		coldEnd = len(b)
	}
	s.docs = s.docs[:0]
	// Round i carries the i-th chunk of MaxValuesPerMetric values of every
	// metric that has one, split into documents of MaxMetricsPerDocument.
	for round := 0; ; round++ {
		batch := s.batch[:0]
		for _, m := range s.metrics {
			if len(m.values) > round*MaxValuesPerMetric {
				batch = append(batch, m)
			}
		}
		s.batch = batch
		if len(batch) == 0 {
			break
		}
		for from := 0; from < len(batch); {
			n := docSize(batch[from:], round)
			b = appendDocument(b, ts, r.opts.Namespace, r.opts.Dimensions, s.dims, s.props, batch[from:from+n], round)
			s.docs = append(s.docs, doc{end: len(b), round: round, from: from, to: from + n})
			from += n
		}
	}
	r.buf = b
	written := len(b)
	var err error
	if len(b) > 0 {
		written, err = r.w.Write(b)
		if err == nil && written < len(b) { // a Writer breaking io.Writer's contract
			err = io.ErrShortWrite
		}
	}
	if s.coldStart && coldEnd <= written {
		s.coldStart = false
	}
	s.keepUnwrittenLocked(written)
	if err != nil {
		return fmt.Errorf("metrics: write: %w", err)
	}
	if empty {
		return ErrNoMetrics
	}
	return nil
}

// keepUnwrittenLocked removes from the Set the values of the documents that
// ended within the first written bytes of Flush's output, and keeps the
// others for the next Flush.
func (s *Set) keepUnwrittenLocked(written int) {
	var keep [][]float64 // per metric, the values of unwritten documents
	for _, d := range s.docs {
		if d.end <= written {
			continue
		}
		if keep == nil {
			keep = make([][]float64, len(s.metrics))
		}
		j := 0 // position of metric i among those with a round-th chunk
		for i, m := range s.metrics {
			if len(m.values) <= d.round*MaxValuesPerMetric {
				continue
			}
			if j >= d.from && j < d.to {
				keep[i] = append(keep[i], m.values[d.round*MaxValuesPerMetric:min(len(m.values), (d.round+1)*MaxValuesPerMetric)]...)
			}
			j++
		}
	}
	clear(s.byName)
	if keep == nil {
		s.metrics = s.metrics[:0]
		return
	}
	kept := s.metrics[:0]
	for i, m := range s.metrics {
		if len(keep[i]) > 0 {
			m.values = keep[i]
			s.byName[m.name] = len(kept)
			kept = append(kept, m)
		}
	}
	s.metrics = kept
}

// maxDocumentBytes bounds the metrics part of a document, below CloudWatch
// Logs' 256 KB event limit with room for the dimensions and properties.
const maxDocumentBytes = 200 << 10

// docSize returns how many metrics of ms go in the next document: at most
// MaxMetricsPerDocument, and few enough that their definitions and round-th
// chunk of values stay under maxDocumentBytes (at least one).
func docSize(ms []metric, round int) int {
	size := 0
	for i, m := range ms {
		if i == MaxMetricsPerDocument {
			return i
		}
		vals := min(len(m.values)-round*MaxValuesPerMetric, MaxValuesPerMetric)
		size += 2*len(m.name) + 64 + 25*vals // 25: the longest float64 and a comma
		if size > maxDocumentBytes && i > 0 {
			return i
		}
	}
	return len(ms)
}

// coldStartDimensions returns the dimensions the ColdStart document adds to
// the default ones: "function_name", unless a default dimension already has
// that name (a key given twice is invalid) or the defaults already fill the
// MaxDimensions a dimension set may hold.
func coldStartDimensions(defaults []Dimension) []Dimension {
	if len(defaults) >= MaxDimensions {
		return nil
	}
	for _, d := range defaults {
		if d.Name == "function_name" {
			return nil
		}
	}
	return []Dimension{{"function_name", functionName()}}
}

// functionName is the dimension value of the ColdStart metric.
func functionName() string {
	if n := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); n != "" {
		return n
	}
	return "unknown"
}

// appendDocument appends one document, ending in a newline, with the
// round-th chunk of values of each metric in ms.
func appendDocument(b []byte, ts int64, ns string, dims, more []Dimension, props []property, ms []metric, round int) []byte {
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":`...)
	b = appendString(b, ns)
	b = append(b, `,"Dimensions":[[`...)
	first := true
	for _, ds := range [2][]Dimension{dims, more} {
		for _, d := range ds {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, d.Name)
		}
	}
	b = append(b, `]],"Metrics":[`...)
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Name":`...)
		b = appendString(b, m.name)
		b = append(b, `,"Unit":`...)
		b = appendString(b, string(m.unit))
		if m.res == HighResolution {
			b = append(b, `,"StorageResolution":1`...)
		}
		b = append(b, '}')
	}
	b = append(b, `]}]}`...)
	for _, ds := range [2][]Dimension{dims, more} {
		for _, d := range ds {
			b = append(b, ',')
			b = appendString(b, d.Name)
			b = append(b, ':')
			b = appendString(b, d.Value)
		}
	}
	for _, p := range props {
		b = append(b, ',')
		b = appendString(b, p.key)
		b = append(b, ':')
		b = append(b, p.json...)
	}
	for _, m := range ms {
		b = append(b, ',')
		b = appendString(b, m.name)
		b = append(b, ':')
		vs := m.values[round*MaxValuesPerMetric : min(len(m.values), (round+1)*MaxValuesPerMetric)]
		if len(vs) == 1 {
			b = strconv.AppendFloat(b, vs[0], 'g', -1, 64)
			continue
		}
		b = append(b, '[')
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s) // rare: escape properly
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
