package driver

import (
	"encoding/json"
	"testing"
)

func TestIsVetTool(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"-V=full"}, true},
		{[]string{"-flags"}, true},
		{[]string{"/tmp/go-build1/b001/vet.cfg"}, true},
		{[]string{"-dedupe", "-json", "/tmp/go-build1/b001/vet.cfg"}, true},
		{nil, false},
		{[]string{"vet", "./..."}, false},
		{[]string{"coldstart", "analyze", "/tmp/x/vet.cfg"}, false},
		{[]string{"-V=full", "extra"}, false},
	} {
		if got := IsVetTool(tc.args); got != tc.want {
			t.Errorf("IsVetTool(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestParseDiagnostic(t *testing.T) {
	names := map[string]bool{"dedupe": true}
	d, ok := parseDiagnostic("recipe/recipe.go:26:24: dedupe: PutItem ... (https://x#dedupe)", names)
	if !ok || d.Analyzer != "dedupe" || d.Posn != "recipe/recipe.go:26:24" || d.Message != "dedupe: PutItem ... (https://x#dedupe)" {
		t.Fatalf("%+v %v", d, ok)
	}
	for _, l := range []string{"# example.com/x", "x.go:1:2: undefined: y", "vet: exit status 2"} {
		if _, ok := parseDiagnostic(l, names); ok {
			t.Errorf("%q parsed as a finding", l)
		}
	}
}

// go vet -json reports an analyzer that failed on a package as {"error":
// ...} in the analyzer's place: that is an error of the run, as the line
// text output prints, not nothing.
func TestJSONDiagnostics_errors(t *testing.T) {
	var tree map[string]json.RawMessage
	json.Unmarshal([]byte(`{"example.com/p": {"dedupe": [{"posn": "p.go:1:2", "message": "dedupe: x"}], "swallowed": {"error": "swallowed: boom"}}}`), &tree)
	ds, errs := jsonDiagnostics([]map[string]json.RawMessage{tree})
	if len(ds) != 1 || ds[0].Analyzer != "dedupe" || len(errs) != 1 || errs[0] != "example.com/p: swallowed: swallowed: boom" {
		t.Fatalf("diagnostics %v, errors %q", ds, errs)
	}
}
