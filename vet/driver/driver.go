// Package driver runs all of Rampart's checks over a Go module: the
// analyzers of package vet on the packages matched (as the multichecker
// does), and the deployment rules on the SAM templates, serverless.yml
// files and wrangler.toml files found under them, joined with the code the
// templates deploy. It is `rampart vet`.
package driver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/types"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/rampartdev/rampart/vet"
	"github.com/rampartdev/rampart/vet/awsrules"
	"github.com/rampartdev/rampart/vet/wrangler"
)

// Options configure a run. The zero value runs every analyzer on the
// packages and their tests and every deployment rule on the files found.
type Options struct {
	Dir       string   // where patterns are resolved; "" is the current directory
	Analyzers []string // analyzer names to run; nil runs all
	NoTests   bool     // leave out test files
	NoDeploy  bool     // skip the deployment rules
	Files     []string // deployment files to check besides those found (SAM, serverless.yml, wrangler.toml)
	Wrangler  wrangler.Options
}

// Result is what a run found.
type Result struct {
	Graph    *checker.Graph // the analysis; nil when no package was analysed
	Findings []vet.Finding  // the deployment rules' findings
	Files    []string       // the deployment files checked
	Errors   []string       // package load errors
}

// Run loads the packages matched by patterns and checks them.
func Run(patterns []string, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	analyzers, err := selectAnalyzers(opts.Analyzers)
	if err != nil {
		return nil, err
	}
	cfg := &packages.Config{
		Mode:  packages.LoadSyntax | packages.NeedModule,
		Dir:   opts.Dir,
		Tests: !opts.NoTests,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("%s matched no packages", strings.Join(patterns, " "))
	}
	res := &Result{}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			res.Errors = append(res.Errors, e.Error())
		}
	})
	if len(analyzers) > 0 {
		if res.Graph, err = checker.Analyze(analyzers, pkgs, nil); err != nil {
			return nil, err
		}
	}
	if opts.NoDeploy {
		return res, nil
	}
	files := append(discover(opts.Dir, patterns), opts.Files...)
	code := newCode(pkgs)
	for _, f := range dedupe(files) {
		var fs []vet.Finding
		var err error
		if filepath.Base(f) == "wrangler.toml" {
			fs, err = wrangler.CheckFile(f, &opts.Wrangler)
		} else {
			fs, err = awsrules.CheckFile(f, code)
		}
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, f)
		res.Findings = append(res.Findings, fs...)
	}
	return res, nil
}

func selectAnalyzers(names []string) ([]*analysis.Analyzer, error) {
	all := vet.Analyzers()
	if names == nil {
		return all, nil
	}
	var out []*analysis.Analyzer
	for _, n := range names {
		found := false
		for _, a := range all {
			if a.Name == n {
				out = append(out, a)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no analyzer %q (have %s)", n, analyzerNames(all))
		}
	}
	return out, nil
}

func analyzerNames(as []*analysis.Analyzer) string {
	var n []string
	for _, a := range as {
		n = append(n, a.Name)
	}
	return strings.Join(n, ", ")
}

// discover returns the deployment files under the patterns' folders: a
// pattern dir/... is searched recursively, a plain dir pattern in itself;
// import paths are not searched.
func discover(dir string, patterns []string) []string {
	var files []string
	for _, p := range patterns {
		root, recursive := strings.CutSuffix(p, "/...")
		if p == "..." {
			root, recursive = ".", true
		}
		if !strings.HasPrefix(root, ".") && !filepath.IsAbs(root) {
			continue
		}
		if dir != "" && !filepath.IsAbs(root) {
			root = filepath.Join(dir, root)
		}
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				name := d.Name()
				if path != root && (!recursive || name == "testdata" || name == "node_modules" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					return filepath.SkipDir
				}
				return nil
			}
			if isDeployment(path) {
				files = append(files, path)
			}
			return nil
		})
	}
	return files
}

// isDeployment reports whether path is a file the deployment rules read.
func isDeployment(path string) bool {
	switch filepath.Base(path) {
	case "wrangler.toml", "serverless.yml", "serverless.yaml":
		return true
	case "template.yaml", "template.yml":
		b, err := os.ReadFile(path)
		return err == nil && (bytes.Contains(b, []byte("AWS::Serverless")) || bytes.Contains(b, []byte("AWSTemplateFormatVersion")))
	}
	return false
}

func dedupe(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range l {
		c := filepath.Clean(f)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// code answers awsrules' questions from the loaded packages.
type code struct {
	mains []*packages.Package // the main packages (not their tests)
}

func newCode(pkgs []*packages.Package) *code {
	c := &code{}
	for _, p := range pkgs {
		if p.Name == "main" && !strings.Contains(p.ID, "[") && !strings.HasSuffix(p.ID, ".test") {
			c.mains = append(c.mains, p)
		}
	}
	return c
}

// PartialBatch finds the main package an artifact is built from (a CodeUri
// folder, or an artifact named after the command's folder, as
// dist/thumbnailer.zip is built from cmd/thumbnailer), and reports whether
// the module's packages it imports use a function that returns
// events.SQSEventResponse.
func (c *code) PartialBatch(file, artifact string) (partial, known bool) {
	if artifact == "" {
		return false, false
	}
	dir := filepath.Join(filepath.Dir(file), artifact)
	name := strings.TrimSuffix(filepath.Base(artifact), filepath.Ext(artifact))
	var match []*packages.Package
	for _, p := range c.mains {
		if len(p.GoFiles) == 0 {
			continue
		}
		pdir := filepath.Dir(p.GoFiles[0])
		if abs(pdir) == abs(dir) || filepath.Base(pdir) == name {
			match = append(match, p)
		}
	}
	if len(match) != 1 {
		return false, false
	}
	return returnsPartial(match[0]), true
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// returnsPartial reports whether p, or a package of its module that it
// imports, uses (calls or refers to) a function with an
// events.SQSEventResponse result.
func returnsPartial(p *packages.Package) bool {
	mod := ""
	if p.Module != nil {
		mod = p.Module.Path
	}
	seen := map[*packages.Package]bool{}
	var visit func(q *packages.Package) bool
	visit = func(q *packages.Package) bool {
		if seen[q] {
			return false
		}
		seen[q] = true
		if q != p && (q.Module == nil || q.Module.Path != mod) {
			return false
		}
		if q.TypesInfo != nil {
			for _, o := range q.TypesInfo.Uses {
				if f, ok := o.(*types.Func); ok && resultsPartial(f) {
					return true
				}
			}
		} else if q.Types != nil {
			// Loaded from export data: what the package declares.
			scope := q.Types.Scope()
			for _, n := range scope.Names() {
				switch o := scope.Lookup(n).(type) {
				case *types.Func:
					if resultsPartial(o) {
						return true
					}
				case *types.TypeName:
					if nt, ok := o.Type().(*types.Named); ok {
						for m := range nt.Methods() {
							if resultsPartial(m) {
								return true
							}
						}
					}
				}
			}
		}
		for _, imp := range q.Imports {
			if visit(imp) {
				return true
			}
		}
		return false
	}
	return visit(p)
}

func resultsPartial(f *types.Func) bool {
	sig, ok := f.Type().(*types.Signature)
	if !ok {
		return false
	}
	for i := range sig.Results().Len() {
		t := sig.Results().At(i).Type()
		if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil &&
			n.Obj().Pkg().Path() == "github.com/aws/aws-lambda-go/events" && n.Obj().Name() == "SQSEventResponse" {
			return true
		}
	}
	return false
}

// Count returns the number of distinct findings: diagnostics (a file in a
// package and its test variant counts once) and deployment findings.
func (r *Result) Count() int {
	n := len(r.Findings)
	if r.Graph == nil {
		return n
	}
	seen := map[string]bool{}
	for act := range r.Graph.All() {
		if !act.IsRoot {
			continue
		}
		for _, d := range act.Diagnostics {
			k := act.Package.Fset.Position(d.Pos).String() + d.Message
			if !seen[k] {
				seen[k] = true
				n++
			}
		}
	}
	return n
}

// AnalysisErrors returns the analyzers' own failures.
func (r *Result) AnalysisErrors() []string {
	var errs []string
	if r.Graph == nil {
		return nil
	}
	for act := range r.Graph.All() {
		if act.Err != nil {
			errs = append(errs, act.String()+": "+act.Err.Error())
		}
	}
	return errs
}

// PrintText writes the findings as go vet does: file:line:col: message.
func (r *Result) PrintText(w io.Writer) error {
	if r.Graph != nil {
		if err := r.Graph.PrintText(w, -1); err != nil {
			return err
		}
	}
	for _, f := range r.Findings {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
	}
	return nil
}

// PrintJSON writes the findings in go/analysis's JSON form: an object keyed
// by package ID, then analyzer name, of lists of {posn, message, ...}. The
// deployment findings are keyed by file, then rule, in the same shape.
func (r *Result) PrintJSON(w io.Writer) error {
	tree := map[string]map[string]any{}
	if r.Graph != nil {
		var buf bytes.Buffer
		if err := r.Graph.PrintJSON(&buf); err != nil {
			return err
		}
		if err := json.Unmarshal(buf.Bytes(), &tree); err != nil {
			return err
		}
	}
	type diag struct {
		Posn     string `json:"posn"`
		Message  string `json:"message"`
		Category string `json:"category,omitempty"`
		URL      string `json:"url,omitempty"`
	}
	byFile := map[string]map[string][]diag{}
	for _, f := range r.Findings {
		if byFile[f.File] == nil {
			byFile[f.File] = map[string][]diag{}
		}
		posn := f.File
		if f.Line > 0 {
			posn = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		byFile[f.File][f.Rule] = append(byFile[f.File][f.Rule], diag{posn, f.Rule + ": " + f.Message + " (" + f.URL + ")", f.Rule, f.URL})
	}
	for file, rules := range byFile {
		tree[file] = map[string]any{}
		for rule, ds := range rules {
			tree[file][rule] = ds
		}
	}
	b, err := json.MarshalIndent(tree, "", "\t")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Positions is for tests: the distinct "file:line: rule" of every finding,
// sorted, with file relative to dir.
func (r *Result) Positions(dir string) []string {
	var out []string
	rel := func(f string) string {
		if x, err := filepath.Rel(dir, f); err == nil {
			return x
		}
		return f
	}
	seen := map[string]bool{}
	if r.Graph != nil {
		for act := range r.Graph.All() {
			if !act.IsRoot {
				continue
			}
			for _, d := range act.Diagnostics {
				p := act.Package.Fset.Position(d.Pos)
				k := fmt.Sprintf("%s:%d: %s", rel(p.Filename), p.Line, act.Analyzer.Name)
				if !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
	}
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s:%d: %s", rel(abs(f.File)), f.Line, f.Rule))
	}
	sort.Strings(out)
	return out
}
