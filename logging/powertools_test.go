package logging_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rampartdev/rampart/lambdatest"
	"github.com/rampartdev/rampart/logging"
)

// powertoolsRecord is a record as Powertools for AWS Lambda's logger writes
// it with the Lambda context injected, debug sampling on and a correlation
// id: its documented standard keys ("Standard structured keys" and
// "Capturing Lambda context info" of its Logger documentation), with values
// of the documented types.
func powertoolsRecord(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/powertools-record.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPresetPowertools checks a record of the Powertools preset against
// Powertools' documented keys: every key, each with the type Powertools
// writes, and none of the default preset's names for the same fields.
func TestPresetPowertools(t *testing.T) {
	lambdatest.Setenv(t, &lambdatest.Function{Name: "test", MemoryMB: 128, Service: "payment"})
	lambdatest.ResetColdStart()
	var out bytes.Buffer
	h := logging.NewJSONHandler(&out, &logging.Options{Preset: logging.PresetPowertools, DebugSampleRate: 0.1, Rand: func() float64 { return 0.5 }})
	logger := slog.New(h)
	ctx := lambdatest.Context(t, &lambdatest.Invocation{
		RequestID:   "52fdfc07-2182-154f-163f-5f0f9a621d72",
		FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:test",
		TraceID:     "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
	})
	ctx = h.Start(ctx, []byte(`{"Records":[{"messageId":"order-1","eventSource":"aws:sqs","body":"{}"}]}`))
	before := time.Now().UTC().Truncate(time.Millisecond)
	line := callerLine() + 1
	logger.InfoContext(ctx, "Collecting payment")

	got := parseLines(t, out.Bytes())[0]
	want := powertoolsRecord(t)
	for k, wv := range want {
		gv, ok := got[k]
		if !ok {
			t.Errorf("no %q (Powertools documents it)", k)
			continue
		}
		if fmt.Sprintf("%T", gv) != fmt.Sprintf("%T", wv) {
			t.Errorf("%s = %v (%T), want a %T as Powertools writes", k, gv, gv, wv)
		}
	}
	for _, k := range []string{"time", "msg", "requestId", "source"} {
		if _, ok := got[k]; ok {
			t.Errorf("the Powertools preset writes %q: %v", k, got)
		}
	}
	for k, v := range map[string]any{
		"level": "INFO", "message": "Collecting payment", "service": "payment", "cold_start": true,
		"function_name": "test", "function_memory_size": float64(128), "function_arn": want["function_arn"],
		"function_request_id": want["function_request_id"], "xray_trace_id": want["xray_trace_id"],
		"sampling_rate": 0.1, "correlation_id": "order-1",
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if loc := fmt.Sprint(got["location"]); loc != fmt.Sprintf("logging_test.TestPresetPowertools:%d", line) {
		t.Errorf("location = %q, want the caller as function:line", loc)
	}
	ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(got["timestamp"]))
	if err != nil || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(fmt.Sprint(got["timestamp"])) || ts.Before(before) || time.Since(ts) > time.Minute {
		t.Errorf("timestamp = %v (%v), want RFC 3339 UTC with milliseconds, now", got["timestamp"], err)
	}
	if inv, ok := logging.InvocationFromContext(ctx); !ok || inv.RequestID != want["function_request_id"] {
		t.Errorf("InvocationFromContext = %+v", inv)
	}
}

// TestPresetPowertools_environment: the preset takes the service, the level
// and the sample rate from Powertools' variables, Lambda's log level first,
// and names the service "service_undefined" when none is set.
func TestPresetPowertools_environment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		service string
		debug   bool
		rate    any
	}{
		{"nothing set", nil, "service_undefined", false, nil},
		{"Powertools variables", map[string]string{"POWERTOOLS_SERVICE_NAME": "orders", "POWERTOOLS_LOG_LEVEL": "debug", "POWERTOOLS_LOGGER_SAMPLE_RATE": "0.25"}, "orders", true, 0.25},
		{"Lambda's level first", map[string]string{"POWERTOOLS_LOG_LEVEL": "DEBUG", "AWS_LAMBDA_LOG_LEVEL": "WARN"}, "service_undefined", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL", "POWERTOOLS_LOGGER_SAMPLE_RATE", "AWS_LAMBDA_LOG_LEVEL"} {
				t.Setenv(k, tc.env[k])
			}
			var out bytes.Buffer
			logger := slog.New(logging.NewJSONHandler(&out, &logging.Options{Preset: logging.PresetPowertools, Rand: func() float64 { return 0.9 }}))
			logger.Debug("d")
			logger.Warn("w")
			lines := parseLines(t, out.Bytes())
			if got := len(lines) == 2; got != tc.debug {
				t.Fatalf("%d lines: %v; debug written = %v, want %v", len(lines), lines, got, tc.debug)
			}
			l := lines[0]
			if l["service"] != tc.service || l["sampling_rate"] != tc.rate {
				t.Errorf("record %v: service %v, sampling_rate %v; want %v, %v", l, l["service"], l["sampling_rate"], tc.service, tc.rate)
			}
			if last := lines[len(lines)-1]; last["level"] != "WARN" || last["message"] != "w" {
				t.Errorf("last record %v, want the warning", last)
			}
		})
	}
}

// TestPresetRampart_unchanged: the default preset keeps its names, with a
// service only when one is named.
func TestPresetRampart_unchanged(t *testing.T) {
	t.Setenv("POWERTOOLS_SERVICE_NAME", "")
	var out bytes.Buffer
	h := logging.NewJSONHandler(&out, nil)
	ctx := h.Start(lambdatest.Context(t, &lambdatest.Invocation{RequestID: "r-1"}), nil)
	slog.New(h).InfoContext(ctx, "m")
	slog.New(logging.NewJSONHandler(&out, &logging.Options{Service: "orders"})).Info("n")
	lines := parseLines(t, out.Bytes())
	keys := slices.Sorted(maps.Keys(lines[0]))
	if !slices.Contains(keys, "requestId") || !slices.Contains(keys, "time") || !slices.Contains(keys, "msg") ||
		slices.Contains(keys, "service") || slices.Contains(keys, "location") || slices.Contains(keys, "function_request_id") {
		t.Errorf("default record keys %v", keys)
	}
	if lines[1]["service"] != "orders" {
		t.Errorf("Options.Service not written: %v", lines[1])
	}
}

// callerLine returns the line it is called from.
func callerLine() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}
