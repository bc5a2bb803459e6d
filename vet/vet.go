package vet

import (
	"fmt"
	"go/ast"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// DocBase is where the README explains every rule: a rule's section is
// DocBase + "#" + its name.
const DocBase = "https://github.com/rampartdev/rampart/blob/main/README.md"

// URL returns the link to the README section of rule.
func URL(rule string) string { return DocBase + "#" + strings.ToLower(rule) }

// Analyzers returns the analyzers, each wrapped so that its findings carry
// the rule name and README link and honour //rampart:ignore. The slice is
// new on each call; the analyzers are shared.
func Analyzers() []*analysis.Analyzer {
	return []*analysis.Analyzer{Dedupe, Swallowed, S3Key, WholeBatch, Deadline, InitClient}
}

// Select returns the analyzers named, in the order given; no names selects
// them all. An unknown name is an error that lists the known ones.
func Select(names []string) ([]*analysis.Analyzer, error) {
	all := Analyzers()
	if len(names) == 0 {
		return all, nil
	}
	var out []*analysis.Analyzer
	for _, n := range names {
		i := slices.IndexFunc(all, func(a *analysis.Analyzer) bool { return a.Name == n })
		if i < 0 {
			known := make([]string, len(all))
			for j, a := range all {
				known[j] = a.Name
			}
			return nil, fmt.Errorf("no analyzer %q (have %s)", n, strings.Join(known, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// newAnalyzer builds an analyzer whose diagnostics are decorated and
// filtered by the suppression directives.
func newAnalyzer(name, doc string, requires []*analysis.Analyzer, run func(*analysis.Pass) error) *analysis.Analyzer {
	return &analysis.Analyzer{
		Name:     name,
		Doc:      doc,
		URL:      URL(name),
		Requires: requires,
		Run: func(pass *analysis.Pass) (any, error) {
			p := *pass
			readFile := pass.ReadFile
			if readFile == nil {
				readFile = os.ReadFile
			}
			ig := newIgnores(pass.Fset, pass.Files, readFile)
			p.Report = func(d analysis.Diagnostic) {
				switch ig.match(name, d.Pos) {
				case suppressed:
					return
				case unjustified:
					d.Message += " (a //rampart:ignore " + name + " without a reason suppresses nothing)"
				}
				d.Category = name
				d.URL = URL(name)
				d.Message = name + ": " + d.Message + " (" + URL(name) + ")"
				pass.Report(d)
			}
			return nil, run(&p)
		},
	}
}

// Directive is the suppression comment's prefix.
const Directive = "rampart:ignore"

var directiveRE = regexp.MustCompile(`^\s*(?://|#)\s*rampart:ignore\s+([A-Za-z0-9_-]+)\s*(.*)$`)

// ParseDirective parses one comment (with its // or # marker) as a
// suppression directive: the rule it names and the reason given.
func ParseDirective(comment string) (rule, reason string, ok bool) {
	m := directiveRE.FindStringSubmatch(comment)
	if m == nil {
		return "", "", false
	}
	reason = " " + m[2]
	for _, marker := range []string{" //", " # "} { // a further comment is no reason
		if i := strings.Index(reason, marker); i >= 0 {
			reason = reason[:i]
		}
	}
	return m[1], strings.TrimSpace(reason), true
}

type match int

const (
	none match = iota
	unjustified
	suppressed
)

// ignores indexes the directives of a package's files by file and line.
type ignores struct {
	fset  *token.FileSet
	lines map[string]map[int][]directive // file -> line -> directives
}

type directive struct {
	rule, reason string
	alone        bool // the comment is the only thing on its line
}

func newIgnores(fset *token.FileSet, files []*ast.File, readFile func(string) ([]byte, error)) *ignores {
	ig := &ignores{fset: fset, lines: map[string]map[int][]directive{}}
	for _, f := range files {
		var src []byte
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if !strings.Contains(c.Text, Directive) {
					continue
				}
				rule, reason, ok := ParseDirective(c.Text)
				if !ok {
					continue
				}
				p := fset.Position(c.Slash)
				if src == nil && readFile != nil {
					src, _ = readFile(p.Filename)
				}
				m := ig.lines[p.Filename]
				if m == nil {
					m = map[int][]directive{}
					ig.lines[p.Filename] = m
				}
				m[p.Line] = append(m[p.Line], directive{rule, reason, alone(src, p.Offset)})
			}
		}
	}
	return ig
}

// alone reports whether only blanks precede offset on its line of src.
func alone(src []byte, offset int) bool {
	if offset > len(src) {
		return false
	}
	for i := offset - 1; i >= 0 && src[i] != '\n'; i-- {
		if src[i] != ' ' && src[i] != '\t' {
			return false
		}
	}
	return true
}

// match reports whether a directive for rule covers pos: one on its line,
// or one alone on the line above.
func (ig *ignores) match(rule string, pos token.Pos) match {
	p := ig.fset.Position(pos)
	m := ig.lines[p.Filename]
	result := none
	for _, d := range m[p.Line] {
		result = max(result, d.covers(rule))
	}
	for _, d := range m[p.Line-1] {
		if d.alone {
			result = max(result, d.covers(rule))
		}
	}
	return result
}

func (d directive) covers(rule string) match {
	if d.rule != rule {
		return none
	}
	if d.reason == "" {
		return unjustified
	}
	return suppressed
}

// Finding is one result of a rule that is not an analyzer: the deployment
// rules of vet/awsrules and vet/wrangler.
type Finding struct {
	Rule    string `json:"rule"`
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"` // 0: the file as a whole
	Message string `json:"message"`
	URL     string `json:"url"`
}

// NewFinding returns a finding of rule with its README link.
func NewFinding(rule, file string, line int, format string, args ...any) Finding {
	return Finding{Rule: rule, File: file, Line: line, Message: fmt.Sprintf(format, args...), URL: URL(rule)}
}

func (f Finding) String() string {
	pos := f.File
	if f.Line > 0 {
		pos += ":" + strconv.Itoa(f.Line)
	}
	return pos + ": " + f.Rule + ": " + f.Message + " (" + f.URL + ")"
}

// Suppress drops the findings that a `# rampart:ignore RULE reason` (or
// `//` form) on their line, or alone on the line above, covers in src, the
// text of their file. A directive without a reason suppresses nothing and
// the finding says so.
func Suppress(fs []Finding, src []byte) []Finding {
	lines := strings.Split(string(src), "\n")
	at := func(n int) (rule, reason string, alone, ok bool) {
		if n < 1 || n > len(lines) {
			return "", "", false, false
		}
		l := lines[n-1]
		i := strings.Index(l, Directive)
		if i < 0 {
			return "", "", false, false
		}
		j := strings.LastIndexAny(l[:i], "#/")
		if j < 0 {
			return "", "", false, false
		}
		if l[j] == '/' && j > 0 && l[j-1] == '/' {
			j--
		}
		rule, reason, ok = ParseDirective(l[j:])
		return rule, reason, strings.TrimSpace(l[:j]) == "", ok
	}
	var out []Finding
	for _, f := range fs {
		m := none
		if rule, reason, _, ok := at(f.Line); ok && rule == f.Rule {
			m = max(m, directive{rule, reason, false}.covers(f.Rule))
		}
		if rule, reason, alone, ok := at(f.Line - 1); ok && alone && rule == f.Rule {
			m = max(m, directive{rule, reason, true}.covers(f.Rule))
		}
		switch m {
		case suppressed:
			continue
		case unjustified:
			f.Message += " (a rampart:ignore " + f.Rule + " without a reason suppresses nothing)"
		}
		out = append(out, f)
	}
	return out
}
