package inspect_test

import (
	"testing"

	"github.com/rampartdev/rampart/inspect"
)

func TestLogQuery_Match_correlationAtAnyDepth(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]any
		want  bool
	}{
		{"top level", map[string]any{"correlation_id": "R1"}, true},
		{"one group down", map[string]any{"req": map[string]any{"correlation_id": "R1"}}, true},
		{"two groups down", map[string]any{"http": map[string]any{"req": map[string]any{"correlation_id": "R1"}}}, true},
		{"another id", map[string]any{"http": map[string]any{"req": map[string]any{"correlation_id": "R2"}}}, false},
		{"not a correlation attribute", map[string]any{"note": "R1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (inspect.LogQuery{CorrelationID: "R1"}).Match(inspect.LogEntry{Attrs: tc.attrs}); got != tc.want {
				t.Fatalf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}
