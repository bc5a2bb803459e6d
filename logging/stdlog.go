package logging

import (
	"context"
	"encoding/json"
	"log"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// SetDefault makes h the handler of every log record the process writes:
// slog's default logger (which libraries fall back to, as the idempotency
// store does for its warnings) and the standard log package, which
// aws-lambda-go writes its error line with ({"errorMessage": ...} after a
// date) and its fatal start-up errors. So every line is one JSON object.
//
// A line of the log package becomes one record: at ERROR, with message
// "invocation error reported to Lambda" and the attributes error,
// error_type and stack_trace, for aws-lambda-go's report of a failed
// invocation; otherwise with its text as the message and "logger": "log",
// at FATAL from log.Fatal and its kin (aws-lambda-go's fatal start-up and
// invoke-loop errors: the last line before the process exits is never
// filtered out by the level), at ERROR from log.Panic and its kin, and at
// INFO from the others. The log package gives no context, so while the process runs
// one invocation at a time (AWS_LAMBDA_MAX_CONCURRENCY unset or 1, as
// Lambda's on-demand and provisioned environments do) these records carry
// the Lambda context of the invocation [Handler.Start] began last, and its
// correlation id: the failure report arrives after the handler returned,
// before the next invocation begins. With several concurrent invocations
// they carry the function's attributes only.
func SetDefault(h *Handler) {
	slog.SetDefault(slog.New(h))
	// After slog.SetDefault: it points the log package at slog's own
	// bridge, which knows no invocation.
	log.SetFlags(0)
	log.SetPrefix("")
	log.SetOutput(&stdLog{h: h, single: lambdacontext.MaxConcurrency() <= 1})
}

// stdLog is the log package's output: the log package calls Write once per
// message.
type stdLog struct {
	h      *Handler
	single bool
}

func (w *stdLog) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	ctx := context.Background()
	if w.single {
		if inv := current.Load(); inv != nil {
			ctx = context.WithValue(ctx, ctxKey{}, inv)
		}
	}
	var r slog.Record
	if e, ok := lambdaError(msg); ok {
		r = slog.NewRecord(time.Now(), slog.LevelError, "invocation error reported to Lambda", 0)
		r.AddAttrs(slog.String("error", e.ErrorMessage), slog.String("error_type", e.ErrorType))
		if len(e.StackTrace) > 0 {
			r.AddAttrs(slog.Any("stack_trace", e.StackTrace))
		}
	} else {
		r = slog.NewRecord(time.Now(), stdLevel(), msg, 0)
		r.AddAttrs(slog.String("logger", "log"))
	}
	if !w.h.Enabled(ctx, r.Level) {
		return len(p), nil
	}
	if err := w.h.Handle(ctx, r); err != nil {
		return 0, err
	}
	return len(p), nil
}

// invokeError is the error response aws-lambda-go reports (and logs) for a
// failed invocation (its messages.InvokeResponse_Error).
type invokeError struct {
	ErrorMessage string            `json:"errorMessage"`
	ErrorType    string            `json:"errorType"`
	StackTrace   []json.RawMessage `json:"stackTrace"`
}

// lambdaError reports whether msg is aws-lambda-go's error report: a JSON
// object with errorMessage, and errorType and stackTrace at most.
func lambdaError(msg string) (invokeError, bool) {
	var e invokeError
	if !strings.HasPrefix(msg, `{"errorMessage":`) {
		return e, false
	}
	dec := json.NewDecoder(strings.NewReader(msg))
	dec.DisallowUnknownFields()
	if dec.Decode(&e) != nil || dec.More() {
		return e, false
	}
	return e, true
}

// stdLevel is the level of a line of the log package: FATAL when log.Fatal
// (or Fatalf, Fatalln, or a Logger's) writes it, since the process exits
// next and the line says why (aws-lambda-go's start-up and invoke-loop
// failures), ERROR for log.Panic and its kin, INFO otherwise. So a level
// such as AWS_LAMBDA_LOG_LEVEL=ERROR never filters out the last line of a
// process.
func stdLevel() slog.Level {
	var pcs [16]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs[:])])
	for {
		f, more := frames.Next()
		name, ok := strings.CutPrefix(f.Function, "log.")
		if ok {
			name = strings.TrimPrefix(name, "(*Logger).")
			switch {
			case strings.HasPrefix(name, "Fatal"):
				return LevelFatal
			case strings.HasPrefix(name, "Panic"):
				return slog.LevelError
			}
		}
		if !more {
			return slog.LevelInfo
		}
	}
}
