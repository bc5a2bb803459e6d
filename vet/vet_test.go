package vet_test

import (
	"os/exec"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/rampartdev/rampart/vet"
)

// all runs every analyzer in one pass, so that each testdata package is
// checked against all of them: a finding of the wrong rule in a package is
// an unexpected diagnostic, and the AWS SDK is loaded once.
var all = &analysis.Analyzer{
	Name:     "all",
	Doc:      "every rampart analyzer",
	Requires: requires(),
	Run: func(pass *analysis.Pass) (any, error) {
		for _, a := range vet.Analyzers() {
			p := *pass
			p.Analyzer = a
			if _, err := a.Run(&p); err != nil {
				return nil, err
			}
		}
		return nil, nil
	},
}

// TestAnalyzers loads the testdata module once (the AWS SDK from source is
// most of the time) and checks every package's want comments. Among them,
// the bar: the recipe's sample handler in Go (./recipe) draws the
// dedupe and swallowed findings; written with Rampart's idempotency and
// batch processing (./recipefixed) it draws none.
func requires() []*analysis.Analyzer {
	var r []*analysis.Analyzer
	for _, a := range vet.Analyzers() {
		r = append(r, a.Requires...)
	}
	return r
}

func TestAnalyzers(t *testing.T) {
	// analysistest loads the testdata module with GOPROXY=off: make sure
	// its modules (the main module's own dependencies) are in the module
	// cache, as they are after go vet ./... but not on a fresh machine
	// running this package alone.
	list := exec.Command("go", "list", "-deps", "./...")
	list.Dir = analysistest.TestData()
	if out, err := list.CombinedOutput(); err != nil {
		t.Fatalf("go list -deps in testdata: %v\n%s", err, out)
	}
	analysistest.Run(t, analysistest.TestData(), all,
		"./dedupe", "./swallowed", "./s3key", "./wholebatch", "./deadline", "./initclient", "./suppress",
		"./recipe", "./recipefixed")
}

func TestAnalyzersValid(t *testing.T) {
	if err := analysis.Validate(vet.Analyzers()); err != nil {
		t.Fatal(err)
	}
	for _, a := range vet.Analyzers() {
		if a.URL != vet.URL(a.Name) {
			t.Errorf("%s: URL %q", a.Name, a.URL)
		}
		// No facts anywhere below: a driver would then load every
		// dependency from source (see buildSSA).
		var walk func(a *analysis.Analyzer)
		walk = func(b *analysis.Analyzer) {
			if len(b.FactTypes) > 0 {
				t.Errorf("%s requires %s, which has facts", a.Name, b.Name)
			}
			for _, r := range b.Requires {
				walk(r)
			}
		}
		walk(a)
	}
}
