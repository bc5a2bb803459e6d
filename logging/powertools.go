package logging

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Preset selects the field names a Handler writes: the default
// (PresetRampart) or those of Powertools for AWS Lambda's logger
// (PresetPowertools), so that the Logs Insights queries, metric filters and
// dashboards of a team coming from Powertools keep working.
type Preset int

const (
	// PresetRampart writes slog's "time", "level" and "msg", the Lambda
	// context under the keys listed in the package documentation (the
	// request id as "requestId", as Lambda's own JSON logs name it), and
	// "service" only when Options.Service or POWERTOOLS_SERVICE_NAME names
	// one. The default.
	PresetRampart Preset = iota
	// PresetPowertools writes the standard keys of Powertools' logger:
	// "level", "location", "message", "timestamp", "service", "cold_start",
	// "function_name", "function_memory_size", "function_arn",
	// "function_request_id", "xray_trace_id", "sampling_rate" (when debug
	// sampling is on) and "correlation_id"; see [PowertoolsReplaceAttr]
	// for the formats. The service is Options.Service, else
	// POWERTOOLS_SERVICE_NAME, else [DefaultService]; the level, when
	// Options.Level is nil, AWS_LAMBDA_LOG_LEVEL, else POWERTOOLS_LOG_LEVEL;
	// the debug sample rate, when Options.DebugSampleRate is zero,
	// POWERTOOLS_LOGGER_SAMPLE_RATE. The Lambda context attributes this
	// package adds beyond Powertools' (function_version, debug_sampled, the
	// outer correlation ids) keep their names.
	PresetPowertools
)

// Keys the Handler writes under PresetPowertools, or for the service, that
// the default preset does not.
const (
	KeyFunctionRequestID = "function_request_id" // the request id, as Powertools names it
	KeyService           = "service"
	KeyLocation          = "location"
	KeySamplingRate      = "sampling_rate"
	KeyTimestamp         = "timestamp"
	KeyMessage           = "message"
)

// DefaultService is the service of PresetPowertools records when neither
// Options.Service nor POWERTOOLS_SERVICE_NAME names one: Powertools' own
// placeholder.
const DefaultService = "service_undefined"

// PowertoolsReplaceAttr rewrites slog's built-in attributes as Powertools'
// logger writes them: "timestamp" (RFC 3339 in UTC with milliseconds,
// "2026-01-01T12:00:00.123Z", the form of Powertools for TypeScript and
// Java), "level" (with Lambda's level names: TRACE, DEBUG, INFO, WARN,
// ERROR, FATAL; Powertools for Python writes WARNING and CRITICAL instead,
// see the README's queries), "message", and "location" ("pkg.Func:line",
// from slog's source, as Python's "module.function:line"). A Handler with
// PresetPowertools built by [NewJSONHandler] uses it; set it, with AddSource,
// in the options of a handler you wrap with [NewHandler].
func PowertoolsReplaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		if t, ok := a.Value.Any().(time.Time); ok {
			return slog.String(KeyTimestamp, t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
		}
	case slog.MessageKey:
		a.Key = KeyMessage
	case slog.LevelKey:
		if l, ok := a.Value.Any().(slog.Level); ok {
			a.Value = slog.StringValue(levelName(l))
		}
	case slog.SourceKey:
		src, ok := a.Value.Any().(*slog.Source)
		if !ok || src == nil || src.Function == "" {
			return slog.Attr{}
		}
		fn := src.Function[strings.LastIndexByte(src.Function, '/')+1:]
		return slog.String(KeyLocation, fn+":"+strconv.Itoa(src.Line))
	}
	return a
}

// service returns the service name o selects, "" for none.
func (o *Options) service() string {
	s := o.Service
	if s == "" {
		s = os.Getenv("POWERTOOLS_SERVICE_NAME")
	}
	if s == "" && o.Preset == PresetPowertools {
		s = DefaultService
	}
	return s
}

// presetEnv fills the fields of o that PresetPowertools takes from
// Powertools' environment variables.
func (o *Options) presetEnv() {
	if o.Preset != PresetPowertools {
		return
	}
	if o.Level == nil && os.Getenv("AWS_LAMBDA_LOG_LEVEL") == "" {
		if l, err := ParseLevel(os.Getenv("POWERTOOLS_LOG_LEVEL")); err == nil {
			o.Level = l
		}
	}
	if o.DebugSampleRate == 0 {
		if r, err := strconv.ParseFloat(os.Getenv("POWERTOOLS_LOGGER_SAMPLE_RATE"), 64); err == nil && r > 0 && r <= 1 {
			o.DebugSampleRate = r
		}
	}
}

// chainReplace returns a ReplaceAttr function calling first and then second
// (either may be nil).
func chainReplace(first, second func([]string, slog.Attr) slog.Attr) func([]string, slog.Attr) slog.Attr {
	switch {
	case first == nil:
		return second
	case second == nil:
		return first
	}
	return func(groups []string, a slog.Attr) slog.Attr {
		a = first(groups, a)
		if a.Key == "" {
			return a
		}
		return second(groups, a)
	}
}
