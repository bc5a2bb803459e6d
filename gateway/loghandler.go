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
	defer putLogBuf(bp)
	b, ok := appendFlatRecord((*bp)[:0], r)
	*bp = b
	if !ok {
		return h.json.Handle(ctx, r)
	}
	_, err := h.w.Write(b)
	return err
}

func putLogBuf(bp *[]byte) {
	if cap(*bp) <= 16<<10 {
		logBufPool.Put(bp)
	}
}

// appendFlatRecord appends r as slog's JSON handler writes it; ok is false
// when r is not flat (see NewLogHandler).
func appendFlatRecord(b []byte, r slog.Record) (_ []byte, ok bool) {
	b, ok = appendRecordHead(b, r.Time, r.Level, r.Message)
	if !ok {
		return b, false
	}
	r.Attrs(func(a slog.Attr) bool {
		b, ok = appendFlatAttr(b, a)
		return ok
	})
	return append(b, '}', '\n'), ok
}

// appendRecordHead appends the start of a record as slog's JSON handler
// writes it: time (unless zero), level and message; ok is false for a
// time slog writes otherwise.
func appendRecordHead(b []byte, t time.Time, level slog.Level, msg string) (_ []byte, ok bool) {
	b = append(b, '{')
	if !t.IsZero() {
		t = t.Round(0)
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false
		}
		b = append(b, `"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `",`...)
	}
	b = append(b, `"level":`...)
	b = AppendLogString(b, level.String())
	b = append(b, `,"msg":`...)
	return AppendLogString(b, msg), true
}

// appendFlatAttr appends ,"key":value as slog's JSON handler writes it;
// ok is false for an attribute that is not flat (see NewLogHandler).
func appendFlatAttr(b []byte, a slog.Attr) (_ []byte, ok bool) {
	if a.Key == "" {
		return b, false
	}
	v := a.Value
	switch v.Kind() {
	case slog.KindString:
		return AppendLogString(appendKey(b, a.Key), v.String()), true
	case slog.KindInt64:
		return strconv.AppendInt(appendKey(b, a.Key), v.Int64(), 10), true
	case slog.KindUint64:
		return strconv.AppendUint(appendKey(b, a.Key), v.Uint64(), 10), true
	case slog.KindBool:
		return strconv.AppendBool(appendKey(b, a.Key), v.Bool()), true
	case slog.KindDuration:
		return strconv.AppendInt(appendKey(b, a.Key), int64(v.Duration()), 10), true
	case slog.KindFloat64:
		// encoding/json's form, which slog uses, in its plain range.
		f := v.Float64()
		if abs := math.Abs(f); math.IsNaN(f) || abs != 0 && (abs < 1e-6 || abs >= 1e21) {
			return b, false
		}
		return strconv.AppendFloat(appendKey(b, a.Key), f, 'f', -1, 64), true
	}
	return b, false
}

func appendKey(b []byte, k string) []byte {
	return append(AppendLogString(append(b, ','), k), ':')
}

// handleAccess writes the access record of LogAccess, the bytes Handle
// writes for it, without building a slog.Record; ok is false when it
// cannot (an extra attribute that is not flat), and nothing was written.
func (h *logHandler) handleAccess(t time.Time, level slog.Level, req *Request, res *Result, status int, latencyMS float64, extra []slog.Attr) (ok bool) {
	bp := logBufPool.Get().(*[]byte)
	defer putLogBuf(bp)
	b, ok := appendRecordHead((*bp)[:0], t, level, "access")
	b = AppendLogString(append(b, `,"request_id":`...), res.RequestID)
	b = AppendLogString(append(b, `,"method":`...), req.Method)
	b = AppendLogString(append(b, `,"path":`...), req.Path)
	b = AppendLogString(append(b, `,"route":`...), res.Route)
	b = AppendLogString(append(b, `,"token_id":`...), res.TokenID)
	b = AppendLogString(append(b, `,"tenant":`...), res.Tenant)
	b = AppendLogString(append(b, `,"client":`...), res.Client)
	b = strconv.AppendInt(append(b, `,"status":`...), int64(status), 10)
	b, ok2 := appendFlatAttr(b, slog.Float64("latency_ms", latencyMS))
	ok = ok && ok2
	if res.Err != nil {
		b = AppendLogString(append(b, `,"error":`...), res.Err.Code)
	}
	if res.AuthError != "" {
		b = AppendLogString(append(b, `,"auth_error":`...), res.AuthError)
	}
	for _, a := range extra {
		if !ok {
			break
		}
		b, ok = appendFlatAttr(b, a)
	}
	*bp = b
	if !ok {
		return false
	}
	_, _ = h.w.Write(append(b, '}', '\n'))
	return true
}
