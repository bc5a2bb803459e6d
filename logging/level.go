package logging

import (
	"fmt"
	"log/slog"
	"strings"
)

// Levels beyond slog's four, named as Lambda's advanced logging controls name
// them. Records at these levels are written with level "TRACE" and "FATAL".
const (
	LevelTrace = slog.LevelDebug - 4
	LevelFatal = slog.LevelError + 4
)

// ParseLevel parses a level as AWS_LAMBDA_LOG_LEVEL spells it: TRACE, DEBUG,
// INFO, WARN, ERROR or FATAL, in any case. WARNING is accepted for WARN.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE":
		return LevelTrace, nil
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	case "FATAL", "CRITICAL":
		return LevelFatal, nil
	}
	return 0, fmt.Errorf("logging: unknown log level %q", s)
}

// levelName returns the name Lambda's log-level filter understands for l:
// the nearest of TRACE, DEBUG, INFO, WARN, ERROR and FATAL at or below l.
func levelName(l slog.Level) string {
	switch {
	case l >= LevelFatal:
		return "FATAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	case l >= slog.LevelDebug:
		return "DEBUG"
	}
	return "TRACE"
}
