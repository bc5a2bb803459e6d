// Package driver runs all of Rampart's checks over a Go module: the
// analyzers of package vet on the packages matched, through go vet (so
// results are cached per package as go vet's are), and the deployment rules on the SAM templates, serverless.yml
// files and wrangler configurations (wrangler.toml, .json, .jsonc) found under them, joined with the code the
// templates deploy. It is `rampart vet`.
package driver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis/unitchecker"
	"golang.org/x/tools/go/packages"

	"github.com/rampartdev/rampart/vet"
	"github.com/rampartdev/rampart/vet/awsrules"
	"github.com/rampartdev/rampart/vet/wrangler"
)

// Options configure a run. The zero value runs every analyzer on the
// packages (and their tests, as go vet does) and every deployment rule on
// the files found.
type Options struct {
	Dir       string   // where patterns are resolved; "" is the current directory
	Analyzers []string // analyzer names to run; nil runs all
	NoDeploy  bool     // skip the deployment rules
	// NoAnalyzers skips go vet: only the deployment rules run (with the
	// code they join loaded as always).
	NoAnalyzers bool
	Files       []string // deployment files to check besides those found (SAM, serverless.yml, wrangler.toml)
	Wrangler    wrangler.Options
	// JSON asks go vet for go/analysis's JSON (Result.PrintJSON); text
	// output is cached by go vet per package, JSON is not.
	JSON bool
	// Tool is the go vet tool to run: a binary whose main calls
	// [VetToolMain] when [IsVetTool] (rampart and rampart-vet do). ""
	// means this executable.
	Tool string
}

// Diagnostic is one analyzer finding.
type Diagnostic struct {
	Analyzer string
	Posn     string // file:line:col, the file relative to Options.Dir or absolute
	Message  string // with the rule name first and the README link last
}

// Result is what a run found.
type Result struct {
	Diagnostics []Diagnostic  // the analyzers' findings
	Findings    []vet.Finding // the deployment rules' findings
	Files       []string      // the deployment files checked
	Errors      []string      // what go vet printed that is not a finding (build errors)
	json        []map[string]json.RawMessage
	dir         string
}

// IsVetTool reports whether args (os.Args[1:]) are go vet calling its
// -vettool: -V=full, -flags, or a vet.cfg file last.
func IsVetTool(args []string) bool {
	if len(args) == 1 && (args[0] == "-V=full" || args[0] == "-flags") {
		return true
	}
	if len(args) == 0 || !strings.HasSuffix(args[len(args)-1], string(filepath.Separator)+"vet.cfg") {
		return false
	}
	for _, a := range args[:len(args)-1] {
		if !strings.HasPrefix(a, "-") {
			return false
		}
	}
	return true
}

// VetToolMain runs the analyzers as go vet's tool; it does not return.
func VetToolMain() { unitchecker.Main(vet.Analyzers()...) }

// Run runs go vet with Rampart's analyzers (as its -vettool) on the
// packages matched by patterns, then the deployment rules on the files
// found under them.
func Run(patterns []string, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	analyzers, err := vet.Select(opts.Analyzers)
	if err != nil {
		return nil, err
	}
	tool := opts.Tool
	if tool == "" {
		if tool, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	args := []string{"vet", "-vettool=" + tool}
	if opts.Analyzers != nil {
		for _, a := range analyzers {
			args = append(args, "-"+a.Name)
		}
	}
	if opts.JSON {
		args = append(args, "-json")
	}
	res := &Result{dir: opts.Dir}
	if noGo := !opts.NoAnalyzers && !inModule(opts.Dir); opts.NoAnalyzers || noGo {
		// Only the deployment rules: asked for, or a folder without Go
		// (a Worker's, a template's), where go vet could only fail.
		if !opts.NoDeploy {
			res.Files, res.Findings, res.Errors = checkFiles(opts, patterns)
		}
		if noGo && len(res.Files) == 0 && len(res.Errors) == 0 {
			return nil, errors.New("no Go module here (go.mod) and no deployment files (template.yaml, serverless.yml, wrangler.toml/.json/.jsonc): nothing to check")
		}
		return res, nil
	}
	cmd := exec.Command("go", append(args, patterns...)...)
	cmd.Dir = opts.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("go vet: %w", err)
	}
	// The deployment rules run while go vet does.
	if !opts.NoDeploy {
		res.Files, res.Findings, res.Errors = checkFiles(opts, patterns)
	}
	runErr := cmd.Wait()
	names := map[string]bool{}
	for _, a := range vet.Analyzers() {
		names[a.Name] = true
	}
	var vetErrors []string
	noPackages := false // a folder of the module without Go (a Worker's, a template's)
	for _, l := range strings.Split(stderr.String(), "\n") {
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		if l == "no packages to vet" {
			noPackages = true
			continue
		}
		if strings.HasPrefix(l, "go: warning: ") && strings.HasSuffix(l, "matched no packages") {
			continue // a warning, as go vet means it
		}
		if d, ok := parseDiagnostic(l, names); ok {
			res.Diagnostics = append(res.Diagnostics, d)
			continue
		}
		vetErrors = append(vetErrors, l)
	}
	if opts.JSON {
		dec := json.NewDecoder(&stdout)
		for {
			var tree map[string]json.RawMessage
			if err := dec.Decode(&tree); err == io.EOF {
				break
			} else if err != nil {
				return nil, fmt.Errorf("go vet -json: %w", err)
			}
			res.json = append(res.json, tree)
		}
		ds, errs := jsonDiagnostics(res.json)
		res.Diagnostics = append(res.Diagnostics, ds...)
		vetErrors = append(vetErrors, errs...)
	}
	var exit *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exit) {
		return nil, fmt.Errorf("go vet: %w", runErr)
	}
	if noPackages && len(vetErrors) == 0 {
		if len(res.Files) == 0 && len(res.Errors) == 0 {
			return nil, fmt.Errorf("no Go packages and no deployment files (template.yaml, serverless.yml, wrangler.toml/.json/.jsonc) match %s: nothing to check", strings.Join(patterns, " "))
		}
		runErr = nil
	}
	if runErr != nil && len(res.Diagnostics) == 0 && len(vetErrors) == 0 {
		vetErrors = append(vetErrors, "go vet: "+runErr.Error())
	}
	res.Errors = append(vetErrors, res.Errors...)
	return res, nil
}

// inModule reports whether dir is inside a Go module or workspace.
func inModule(dir string) bool {
	cmd := exec.Command("go", "env", "GOMOD", "GOWORK")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return true // let go vet say what is wrong
	}
	mod, work, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return mod != "" && mod != os.DevNull || work != "" && work != "off"
}

// checkFiles runs the deployment rules on the files found under the
// patterns and those named in opts.
func checkFiles(opts *Options, patterns []string) (files []string, findings []vet.Finding, errs []string) {
	// A file named in opts is checked even where wrangler would read
	// another; among the files found, only those wrangler reads.
	found := dedupe(append(shadowed(discover(opts.Dir, patterns)), opts.Files...))
	if len(found) == 0 {
		return nil, nil, nil
	}
	code, err := loadCode(opts.Dir, patterns)
	if err != nil {
		return nil, nil, []string{err.Error()}
	}
	for _, f := range found {
		var fs []vet.Finding
		var err error
		if slices.Contains(wrangler.Names, filepath.Base(f)) {
			fs, err = wrangler.CheckFile(f, &opts.Wrangler)
		} else {
			fs, err = awsrules.CheckFile(f, code)
		}
		if err != nil { // a file that does not parse: say so, check the others
			errs = append(errs, err.Error())
			continue
		}
		files = append(files, f)
		findings = append(findings, fs...)
	}
	return files, findings, errs
}

var diagRE = regexp.MustCompile(`^(.+?:\d+:\d+): ([a-z0-9]+): (.*)$`)

// parseDiagnostic parses a line of go vet's text output.
func parseDiagnostic(l string, names map[string]bool) (Diagnostic, bool) {
	m := diagRE.FindStringSubmatch(l)
	if m == nil || !names[m[2]] {
		return Diagnostic{}, false
	}
	return Diagnostic{Analyzer: m[2], Posn: m[1], Message: m[2] + ": " + m[3]}, true
}

// jsonDiagnostics lists the diagnostics of go vet -json's objects,
// {package: {analyzer: [{posn, message}] or {error}}}, and the errors (an
// analyzer that failed on a package), which text output prints as lines.
func jsonDiagnostics(trees []map[string]json.RawMessage) (ds []Diagnostic, errs []string) {
	seen := map[string]bool{}
	for _, tree := range trees {
		for pkg, raw := range tree {
			var byAnalyzer map[string]json.RawMessage
			if json.Unmarshal(raw, &byAnalyzer) != nil {
				continue
			}
			for name, list := range byAnalyzer {
				var l []struct{ Posn, Message string }
				if json.Unmarshal(list, &l) != nil {
					var e struct{ Error string }
					if json.Unmarshal(list, &e) == nil && e.Error != "" {
						errs = append(errs, fmt.Sprintf("%s: %s: %s", pkg, name, e.Error))
					}
					continue
				}
				for _, d := range l {
					if k := d.Posn + d.Message; !seen[k] {
						seen[k] = true
						ds = append(ds, Diagnostic{Analyzer: name, Posn: d.Posn, Message: d.Message})
					}
				}
			}
		}
	}
	return ds, errs
}

// loadCode lists the packages (names and files only, no types) for the
// rules that join a template with its code; the main package a template
// deploys is loaded with its dependencies' types when a rule asks.
func loadCode(dir string, patterns []string) (*code, error) {
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedModule, Dir: dir}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, err
	}
	c := newCode(pkgs)
	c.dir = dir
	return c, nil
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
	case "wrangler.toml", "wrangler.json", "wrangler.jsonc", "serverless.yml", "serverless.yaml":
		return true
	case "template.yaml", "template.yml":
		b, err := os.ReadFile(path)
		return err == nil && (bytes.Contains(b, []byte("AWS::Serverless")) || bytes.Contains(b, []byte("AWSTemplateFormatVersion")))
	}
	return false
}

// shadowed returns l without the wrangler configurations that wrangler
// ignores: of several in one folder, it reads the first of wrangler.Names.
func shadowed(l []string) []string {
	rank := func(f string) int { return slices.Index(wrangler.Names, filepath.Base(f)) }
	best := map[string]int{} // folder -> rank of the configuration wrangler reads
	for _, f := range l {
		if r := rank(f); r >= 0 {
			if b, ok := best[filepath.Dir(f)]; !ok || r < b {
				best[filepath.Dir(f)] = r
			}
		}
	}
	var out []string
	for _, f := range l {
		if r := rank(f); r < 0 || r == best[filepath.Dir(f)] {
			out = append(out, f)
		}
	}
	return out
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
	dir     string
	mains   []*packages.Package // the main packages (not their tests)
	partial map[string]bool     // by package path, once loaded
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
	p := match[0]
	if p.Imports == nil { // listed only: load its imports
		if v, ok := c.partial[p.PkgPath]; ok {
			return v, true
		}
		cfg := &packages.Config{
			Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedDeps | packages.NeedModule,
			Dir:  c.dir,
		}
		loaded, err := packages.Load(cfg, p.PkgPath)
		if err != nil || len(loaded) != 1 {
			return false, false
		}
		if c.partial == nil {
			c.partial = map[string]bool{}
		}
		c.partial[p.PkgPath] = returnsPartial(loaded[0])
		return c.partial[p.PkgPath], true
	}
	return returnsPartial(p), true
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// returnsPartial reports whether p, or a package of its module that it
// imports, declares a function or method with an events.SQSEventResponse
// result. Only the module's own files are read (parsed, not type-checked):
// its dependencies cannot be what the template's code returns.
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
		for _, f := range q.GoFiles {
			if declaresPartial(f) {
				return true
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

// declaresPartial reports whether the Go file declares a function with an
// events.SQSEventResponse result, events being aws-lambda-go's package.
func declaresPartial(path string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return false
	}
	name := ""
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) == "github.com/aws/aws-lambda-go/events" {
			name = "events"
			if imp.Name != nil {
				name = imp.Name.Name
			}
		}
	}
	if name == "" {
		return false
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Type.Results == nil {
			continue
		}
		for _, r := range fd.Type.Results.List {
			if sel, ok := r.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "SQSEventResponse" {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// Count returns the number of findings.
func (r *Result) Count() int { return len(r.Diagnostics) + len(r.Findings) }

// PrintText writes the findings as go vet does: file:line:col: message.
func (r *Result) PrintText(w io.Writer) error {
	for _, d := range r.Diagnostics {
		if _, err := fmt.Fprintf(w, "%s: %s\n", d.Posn, d.Message); err != nil {
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

// PrintJSON writes the findings in go/analysis's JSON form, one object: by
// package ID, then analyzer name, lists of {posn, message, ...}, as go vet
// -json prints them (merged); the deployment findings are keyed by file,
// then rule, in the same shape. The run must have had Options.JSON.
func (r *Result) PrintJSON(w io.Writer) error {
	tree := map[string]any{}
	for _, t := range r.json {
		for pkg, v := range t {
			if string(v) != "{}" {
				tree[pkg] = v
			}
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
		tree[file] = rules
	}
	b, err := json.MarshalIndent(tree, "", "\t")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Positions is for tests: the "file:line: rule" of every finding, sorted,
// with file relative to dir.
func (r *Result) Positions(dir string) []string {
	var out []string
	rel := func(f string) string {
		if !filepath.IsAbs(f) && r.dir != "" {
			f = filepath.Join(r.dir, f)
		}
		if x, err := filepath.Rel(dir, abs(f)); err == nil {
			return x
		}
		return f
	}
	for _, d := range r.Diagnostics {
		file, line := d.Posn, ""
		if i := strings.LastIndex(file, ":"); i > 0 {
			file = file[:i] // drop the column
		}
		if i := strings.LastIndex(file, ":"); i > 0 {
			file, line = file[:i], file[i+1:]
		}
		out = append(out, fmt.Sprintf("%s:%s: %s", rel(file), line, d.Analyzer))
	}
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s:%d: %s", rel(f.File), f.Line, f.Rule))
	}
	sort.Strings(out)
	return out
}
