package aws

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

// lintMatch is one finding of cfn-lint --format json.
type lintMatch struct {
	Level    string
	Message  string
	Filename string
	Rule     struct{ Id string }
	Location struct {
		Start struct{ LineNumber int }
	}
}

func (m lintMatch) String() string {
	return m.Level + " " + m.Rule.Id + " " + filepath.Base(m.Filename) + ":" + strconv.Itoa(m.Location.Start.LineNumber) + ": " + m.Message
}

// linted is the result of one cfn-lint run over every template of the
// folder: the findings and, per file, the template as cfn-lint checked it.
type linted struct {
	matches     map[string][]lintMatch    // by base name
	transformed map[string]map[string]any // by base name
	sources     map[string]string         // rendered files, by base name, to show with findings
}

var lintOnce struct {
	sync.Once
	res linted
	err string
}

// lintTemplates lints, in one run of cfn-lint (it starts in seconds, most
// of it loading the SAM translator): template.yaml, serverless.yml rendered
// for dev and prod (serverless-dev.json, serverless-prod.json) and
// github-oidc.yaml. Every rule class is on (errors, warnings and
// informational findings), plus the rule in testdata/cfnlint, which writes
// each template as cfn-lint checks it, after its transforms
// (AWS::LanguageExtensions, then the SAM translator), for the other tests.
// cfn-lint must be installed (it is on the project's machines; with CI=true
// its absence fails the test).
func lintTemplates(t *testing.T) linted {
	t.Helper()
	bin := testenv.Command(t, "cfn-lint")
	lintOnce.Do(func() {
		res := linted{matches: map[string][]lintMatch{}, transformed: map[string]map[string]any{}, sources: map[string]string{}}
		dir, err := os.MkdirTemp("", "rampart-cfnlint-")
		if err != nil {
			lintOnce.err = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		files := []string{"template.yaml", oidcTemplate}
		for _, stage := range []string{"dev", "prod"} {
			b, err := json.MarshalIndent(serverlessTemplate(t, stage), "", " ")
			if err != nil {
				lintOnce.err = err.Error()
				return
			}
			name := "serverless-" + stage + ".json"
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				lintOnce.err = err.Error()
				return
			}
			files = append(files, filepath.Join(dir, name))
			res.sources[name] = string(b)
		}
		rules, err := filepath.Abs(filepath.Join("testdata", "cfnlint"))
		if err != nil {
			lintOnce.err = err.Error()
			return
		}
		dumps := filepath.Join(dir, "transformed")
		if err := os.Mkdir(dumps, 0o755); err != nil {
			lintOnce.err = err.Error()
			return
		}
		cmd := exec.Command(bin, append([]string{"--format", "json", "--include-checks", "I", "--append-rules", rules, "--"}, files...)...)
		cmd.Env = append(os.Environ(), "RAMPART_CFN_DUMP="+dumps)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		// cfn-lint's exit status is a bit set of the levels it found: the
		// findings themselves are what the tests judge.
		if err := cmd.Run(); err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				lintOnce.err = "cfn-lint: " + err.Error()
				return
			}
		}
		var ms []lintMatch
		if err := json.Unmarshal(stdout.Bytes(), &ms); err != nil {
			lintOnce.err = "cfn-lint output is not its JSON format: " + err.Error() + "\nstdout: " + stdout.String() + "\nstderr: " + stderr.String()
			return
		}
		for _, m := range ms {
			res.matches[filepath.Base(m.Filename)] = append(res.matches[filepath.Base(m.Filename)], m)
		}
		for _, f := range files {
			base := filepath.Base(f)
			b, err := os.ReadFile(filepath.Join(dumps, base+".json"))
			if err != nil {
				lintOnce.err = "cfn-lint wrote no transformed template for " + base + " (is testdata/cfnlint/dump_transformed.py loaded?): " + err.Error() + "\n" + stderr.String()
				return
			}
			var tmpl map[string]any
			if err := json.Unmarshal(b, &tmpl); err != nil {
				lintOnce.err = base + ": " + err.Error()
				return
			}
			res.transformed[base] = tmpl
		}
		lintOnce.res = res
	})
	if lintOnce.err != "" {
		t.Fatal(lintOnce.err)
	}
	if lintOnce.res.transformed == nil {
		t.Fatal("cfn-lint did not run")
	}
	return lintOnce.res
}

// TestCFNLint: every template passes cfn-lint without a single finding
// (errors, warnings or informational), serverless.yml as rendered for each
// stage.
func TestCFNLint(t *testing.T) {
	res := lintTemplates(t)
	for _, name := range []string{"template.yaml", "serverless-dev.json", "serverless-prod.json", oidcTemplate} {
		if _, ok := res.transformed[name]; !ok {
			t.Errorf("%s was not linted", name)
		}
		for _, m := range res.matches[name] {
			t.Errorf("cfn-lint: %s", m)
		}
		if len(res.matches[name]) > 0 && res.sources[name] != "" {
			t.Logf("%s:\n%s", name, numbered(res.sources[name]))
		}
	}
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		b.WriteString(strconv.Itoa(i+1) + "\t" + l + "\n")
	}
	return b.String()
}
