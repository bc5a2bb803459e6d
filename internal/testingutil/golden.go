package testingutil

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"testing"
)

// GoldenMap compares got, outcomes by name, with the JSON object in the
// file at path: every entry that differs (by equal), that got lacks or
// that the file lacks is an error. With update it writes got to the file
// instead (run the test with its -update flag to record the code's
// outcomes). It returns the file's entries.
func GoldenMap[V any](t testing.TB, path string, got map[string]V, update bool, equal func(got, want V) bool) map[string]V {
	t.Helper()
	if update {
		b, err := json.MarshalIndent(got, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]V
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: in %s, not among the inputs", name, path)
			continue
		}
		if !equal(g, want[name]) {
			t.Errorf("%s:\n got  %+v\n want %+v", name, g, want[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: not in %s (run the test with -update to add it)", name, path)
		}
	}
	return want
}
