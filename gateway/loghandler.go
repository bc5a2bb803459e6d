package gateway

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
)

// NewLogHandler returns a [slog.Handler] that writes each record to w as
// one line of JSON, byte for byte what slog.NewJSONHandler(w, opts) writes,
// but cheaper for flat records: no groups, attributes of kinds string,
// int, uint, float (in the range encoding/json writes without an exponent),
// bool and duration, which is what the access log's records are. Records
// with anything else, and the handlers WithAttrs and WithGroup return,
// are slog's JSON handler's own. opts may be nil; with ReplaceAttr or
// AddSource set, NewLogHandler returns slog's JSON handler.
//
// Writes to w are serialised, as slog's handler does.
func NewLogHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	lw := &lockedWriter{w: w}
	j := slog.NewJSONHandler(lw, opts)
	if opts != nil && (opts.ReplaceAttr != nil || opts.AddSource) {
		return j
	}
	return &logHandler{json: j, w: lw}
}

type logHandler struct {
	json *slog.JSONHandler
	w    *lockedWriter
}

// lockedWriter serialises the writes of a logHandler and the JSON handlers
// it derives.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.json.Enabled(ctx, l)
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler { return h.json.WithAttrs(attrs) }

func (h *logHandler) WithGroup(name string) slog.Handler { return h.json.WithGroup(name) }

var logBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	bp := logBufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 16<<10 {
			logBufPool.Put(bp)
		}
	}()
	b, ok := appendFlatRecord((*bp)[:0], r)
	*bp = b
	if !ok {
		return h.json.Handle(ctx, r)
	}
	_, err := h.w.Write(b)
	return err
}

// appendFlatRecord appends r as slog's JSON handler writes it; ok is false
// when r is not flat (see NewLogHandler).
func appendFlatRecord(b []byte, r slog.Record) (_ []byte, ok bool) {
	b = append(b, '{')
	if !r.Time.IsZero() {
		t := r.Time.Round(0)
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false
		}
		b = append(b, `"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `",`...)
	}
	b = append(b, `"level":`...)
	b = AppendLogString(b, r.Level.String())
	b = append(b, `,"msg":`...)
	b = AppendLogString(b, r.Message)
	ok = true
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "" {
			ok = false
			return false
		}
		b = append(b, ',')
		b = AppendLogString(b, a.Key)
		b = append(b, ':')
		v := a.Value
		switch v.Kind() {
		case slog.KindString:
			b = AppendLogString(b, v.String())
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindUint64:
			b = strconv.AppendUint(b, v.Uint64(), 10)
		case slog.KindBool:
			b = strconv.AppendBool(b, v.Bool())
		case slog.KindDuration:
			b = strconv.AppendInt(b, int64(v.Duration()), 10)
		case slog.KindFloat64:
			// encoding/json's form, which slog uses, in its plain range.
			f := v.Float64()
			if abs := math.Abs(f); math.IsNaN(f) || abs != 0 && (abs < 1e-6 || abs >= 1e21) {
				ok = false
				return false
			}
			b = strconv.AppendFloat(b, f, 'f', -1, 64)
		default:
			ok = false
			return false
		}
		return true
	})
	return append(b, '}', '\n'), ok
}
