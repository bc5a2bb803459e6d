package logging

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
)

// Options configures a [Handler]. A nil *Options or the zero value selects
// the defaults described on each field.
type Options struct {
	// Level is the minimum level written. Nil means the level in
	// AWS_LAMBDA_LOG_LEVEL (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) when it is
	// set and valid, else INFO.
	Level slog.Leveler

	// DebugSampleRate is the fraction (0 to 1) of invocations that log at
	// DEBUG whatever Level says, so that a production function keeps a trickle
	// of detailed logs. Sampled invocations carry "debug_sampled": true. Zero
	// disables sampling.
	DebugSampleRate float64

	// RedactKeys are attribute keys whose values are replaced by [Redacted],
	// in addition to [DefaultRedactKeys].
	RedactKeys []string

	// Correlation extracts the correlation id from an invocation's payload.
	// When it is nil or returns "", [CorrelationID] is used.
	Correlation func(payload []byte) string

	// AddSource adds the caller's file and line as "source"
	// ([NewJSONHandler] only).
	AddSource bool

	// ReplaceAttr is passed to the JSON handler ([NewJSONHandler] only). Use
	// [ReplaceAttr] for the key names of Lambda's managed runtimes; it costs
	// about a quarter more time per record (slog's slower path for rewritten
	// built-in attributes), which is why it is not the default.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// Rand returns a pseudo-random number in [0, 1) for debug sampling. Nil
	// means math/rand/v2's Float64.
	Rand func() float64

	// Preset selects the field names: PresetRampart (the zero value), or
	// PresetPowertools for those of Powertools for AWS Lambda (see
	// [Preset]).
	Preset Preset

	// Service is the "service" field of every record. Empty means
	// POWERTOOLS_SERVICE_NAME; when that is empty too, PresetPowertools
	// writes DefaultService and PresetRampart writes no service.
	Service string
}

// config is what a Handler and everything derived from it share.
type config struct {
	level       slog.Leveler
	sampleRate  float64
	rand        func() float64
	correlation func([]byte) string
	redact      *redactor
	// requestIDKey is the key of the request id: KeyRequestID, or
	// KeyFunctionRequestID with PresetPowertools.
	requestIDKey string
	// provisioned is set when the execution environment was initialised for
	// provisioned concurrency: its first invocation is not a cold start.
	provisioned bool
}

// Handler is a [slog.Handler] that adds the Lambda context to every record
// it passes to the handler it wraps, and redacts secrets. The Lambda context
// is the function's (name, version, memory size, fixed for the process) and
// the invocation's, which [Handler.Start] records in the context passed to
// the logger's ...Context methods.
//
// A Handler is safe for concurrent use.
type Handler struct {
	cfg   *config
	base  slog.Handler // the wrapped handler with the function's attributes
	inner slog.Handler // base with ops applied: used outside an invocation
	ops   []op         // WithAttrs and WithGroup calls since base, in order
	// ownCorrelation is set when a WithAttrs call outside any group gave
	// correlation_id: the invocation's is then logged under its source's
	// key, so that a record has one correlation_id.
	ownCorrelation bool
}

// op is one WithAttrs (group == "") or WithGroup call.
type op struct {
	group string
	attrs []slog.Attr
}

// NewHandler returns a Handler that wraps inner. The function's attributes
// are read from the environment Lambda sets (AWS_LAMBDA_FUNCTION_NAME,
// AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_FUNCTION_MEMORY_SIZE) now, once.
//
// The Handler filters by level itself (see Options.Level), so inner should
// accept every level it is given, as the handler [NewJSONHandler] builds does.
func NewHandler(inner slog.Handler, opts *Options) *Handler {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.presetEnv()
	cfg := &config{
		level:        o.Level,
		sampleRate:   o.DebugSampleRate,
		rand:         o.Rand,
		correlation:  o.Correlation,
		redact:       newRedactor(o.RedactKeys),
		requestIDKey: KeyRequestID,
		provisioned:  os.Getenv("AWS_LAMBDA_INITIALIZATION_TYPE") == "provisioned-concurrency",
	}
	if o.Preset == PresetPowertools {
		cfg.requestIDKey = KeyFunctionRequestID
	}
	if cfg.level == nil {
		cfg.level = slog.LevelInfo
		if l, err := ParseLevel(os.Getenv("AWS_LAMBDA_LOG_LEVEL")); err == nil {
			cfg.level = l
		}
	}
	if cfg.rand == nil {
		cfg.rand = rand.Float64
	}
	var fn []slog.Attr
	if v := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); v != "" {
		fn = append(fn, slog.String(KeyFunctionName, v))
	}
	if v := os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"); v != "" {
		fn = append(fn, slog.String(KeyFunctionVersion, v))
	}
	if v, err := strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); err == nil {
		fn = append(fn, slog.Int(KeyFunctionMemorySize, v))
	}
	if s := o.service(); s != "" {
		fn = append(fn, slog.String(KeyService, s))
	}
	if o.Preset == PresetPowertools && cfg.sampleRate > 0 {
		fn = append(fn, slog.Float64(KeySamplingRate, cfg.sampleRate))
	}
	base := inner
	if len(fn) > 0 {
		base = inner.WithAttrs(fn)
	}
	return &Handler{cfg: cfg, base: base, inner: base}
}

// NewJSONHandler returns a Handler over a [slog.JSONHandler] writing to w.
// Records carry slog's keys "time", "level" and "msg", then the Lambda
// context; see the package documentation for every field. With
// PresetPowertools they carry Powertools' keys instead ("timestamp",
// "level", "message", "location", ...; see [Preset]); Options.ReplaceAttr
// then sees slog's keys, before they are renamed.
func NewJSONHandler(w io.Writer, opts *Options) *Handler {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Preset == PresetPowertools {
		o.AddSource = true // for location
		o.ReplaceAttr = chainReplace(o.ReplaceAttr, PowertoolsReplaceAttr)
	}
	inner := slog.NewJSONHandler(w, &slog.HandlerOptions{
		AddSource:   o.AddSource,
		Level:       LevelTrace - 1, // the Handler filters
		ReplaceAttr: o.ReplaceAttr,
	})
	return NewHandler(inner, &o)
}

// New returns a logger that writes JSON to standard output, which is what
// Lambda captures: slog.New(NewJSONHandler(os.Stdout, opts)).
func New(opts *Options) *slog.Logger {
	return slog.New(NewJSONHandler(os.Stdout, opts))
}

// ReplaceAttr renames slog's built-in keys to those of the JSON logs of
// Lambda's managed runtimes ("time" to "timestamp", "msg" to "message") and
// names the levels TRACE and FATAL as Lambda does. Set it as
// Options.ReplaceAttr, or in the [slog.HandlerOptions] of a handler you wrap.
func ReplaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		a.Key = "timestamp"
	case slog.MessageKey:
		a.Key = "message"
	case slog.LevelKey:
		if l, ok := a.Value.Any().(slog.Level); ok {
			a.Value = slog.StringValue(levelName(l))
		}
	}
	return a
}

// Enabled reports whether a record at level l would be written: l is at or
// above the Handler's level, or the invocation in ctx is sampled for debug
// and l is DEBUG or above; and the wrapped handler is enabled too.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	if l < h.cfg.level.Level() {
		inv := fromContext(ctx)
		if inv == nil || !inv.sampled || l < slog.LevelDebug {
			return false
		}
	}
	return h.inner.Enabled(ctx, l)
}

// Handle redacts secrets in r and passes it, with the Lambda context of the
// invocation in ctx (if any), to the wrapped handler.
//
// A record, or a WithAttrs call, outside any group, with its own
// correlation_id names an event inside the invocation's: that id is the
// record's correlation_id, and the invocation's is written under the key
// of its source (sqs_message_id, ...; see [WithInnerCorrelationID]).
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	r = h.cfg.redact.record(r)
	if inv := fromContext(ctx); inv != nil {
		if !h.ownCorrelation && !h.grouped() && hasCorrelationAttr(r) && inv.hasCorrelation() {
			return inv.outerHandler(h).Handle(ctx, r)
		}
		return inv.handler(h).Handle(ctx, r)
	}
	return h.inner.Handle(ctx, r)
}

// grouped reports whether h puts record attributes in a group.
func (h *Handler) grouped() bool {
	for _, o := range h.ops {
		if o.group != "" {
			return true
		}
	}
	return false
}

func hasCorrelationAttr(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == KeyCorrelationID
		return !found
	})
	return found
}

// WithAttrs returns a Handler whose records carry attrs (redacted).
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	attrs = h.cfg.redact.attrs(attrs)
	n := h.with(op{attrs: attrs}, h.inner.WithAttrs(attrs))
	if !h.grouped() {
		for _, a := range attrs {
			n.ownCorrelation = n.ownCorrelation || a.Key == KeyCorrelationID
		}
	}
	return n
}

// WithGroup returns a Handler that puts later attributes in group name. The
// Lambda context attributes stay at the top level.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(op{group: name}, h.inner.WithGroup(name))
}

func (h *Handler) with(o op, inner slog.Handler) *Handler {
	ops := make([]op, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &Handler{cfg: h.cfg, base: h.base, inner: inner, ops: append(ops, o), ownCorrelation: h.ownCorrelation}
}

// derive builds h's wrapped handler for an invocation: base, then the
// invocation's attributes, then h's own WithAttrs and WithGroup calls, so
// that the Lambda context stays at the top level.
func (h *Handler) derive(attrs []slog.Attr) slog.Handler {
	d := h.base.WithAttrs(attrs)
	for _, o := range h.ops {
		if o.group != "" {
			d = d.WithGroup(o.group)
		} else {
			d = d.WithAttrs(o.attrs)
		}
	}
	return d
}
