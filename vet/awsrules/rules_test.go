package awsrules_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/vet"
	"github.com/rampartdev/rampart/vet/awsrules"
)

// code is a stand-in for the analysis of the handlers: which artifacts
// return partial batch responses.
type code map[string]bool

func (c code) PartialBatch(_, artifact string) (bool, bool) {
	p, ok := c[filepath.Base(artifact)]
	return p, ok
}

var wantRE = regexp.MustCompile(`# want ([a-z0-9-]+)`)

// wants reads the `# want RULE` markers of a fixture as "line rule".
func wants(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w []string
	for i, l := range strings.Split(string(b), "\n") {
		for _, m := range wantRE.FindAllStringSubmatch(l, -1) {
			w = append(w, fmt.Sprintf("%d %s", i+1, m[1]))
		}
	}
	return w
}

func got(fs []vet.Finding) []string {
	var g []string
	for _, f := range fs {
		g = append(g, fmt.Sprintf("%d %s", f.Line, f.Rule))
	}
	return g
}

func TestCheckFile_Fixtures(t *testing.T) {
	c := code{"worker.zip": true, "direct.zip": false}
	for _, name := range []string{"sam-bugs.yaml", "sam-fixed.yaml", "serverless-bugs.yml", "suppressed.yaml", "params.yaml", "serverless-params.yml"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			fs, err := awsrules.CheckFile(path, c)
			if err != nil {
				t.Fatal(err)
			}
			g, w := got(fs), wants(t, path)
			slices.Sort(g)
			slices.Sort(w)
			if !slices.Equal(g, w) {
				t.Errorf("findings (line rule):\n got %q\nwant %q", g, w)
				for _, f := range fs {
					t.Log(f)
				}
			}
			for _, f := range fs {
				if !strings.HasPrefix(f.String(), path+":") || !strings.Contains(f.String(), vet.URL(f.Rule)) {
					t.Errorf("finding %q does not name its place and link %s", f, vet.URL(f.Rule))
				}
			}
		})
	}
}

// The reverse of a missing ReportBatchItemFailures: the setting on code
// that never returns a partial response.
func TestCheckFile_ReportFailuresWithoutPartialCode(t *testing.T) {
	fs, err := awsrules.CheckFile(filepath.Join("testdata", "sam-fixed.yaml"), code{"worker.zip": false})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Rule != "sqs-batch-failures" || !strings.Contains(fs[0].Message, "never returns a partial batch response") {
		t.Fatalf("findings %v, want one sqs-batch-failures for code without partial responses", fs)
	}
	// Unknown code: no join, no finding.
	if fs, _ := awsrules.CheckFile(filepath.Join("testdata", "sam-fixed.yaml"), code{}); len(fs) != 0 {
		t.Fatalf("findings %v for unknown code", fs)
	}
}

// The repository's own deployment files pass, joined with a thumbnailer
// that returns partial batch responses (as cmd/thumbnailer does; the
// rampart vet test joins the real code).
func TestCheckFile_Repository(t *testing.T) {
	for _, f := range []string{"template.yaml", "serverless.yml"} {
		fs, err := awsrules.CheckFile(filepath.Join("..", "..", "deploy", "aws", f), code{"thumbnailer.zip": true, "health.zip": false})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range fs {
			t.Errorf("%v", x)
		}
	}
}

func TestDecode_Intrinsics(t *testing.T) {
	doc, _, err := awsrules.Decode([]byte("a: !Ref X\nb: !GetAtt Q.Arn\nc: !GetAtt [Q, Arn]\nd: !Sub \"x-${Y}\"\ne: !If [Cond, 1, 2]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "map[Ref:X]", "b": "map[Fn::GetAtt:Q.Arn]", "c": "map[Fn::GetAtt:Q.Arn]", "d": "map[Fn::Sub:x-${Y}]", "e": "map[Fn::If:[Cond 1 2]]"}
	for k, w := range want {
		if g := fmt.Sprint(doc[k]); g != w {
			t.Errorf("%s = %s, want %s", k, g, w)
		}
	}
}

// A "billion laughs" template (each level's list aliases the one above
// nine times) is refused at once instead of being expanded: at eight
// levels `rampart vet` took 53 s and 4.3 GB before finding nothing. A
// template that reuses a block a few times still decodes.
func TestDecode_aliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("AWSTemplateFormatVersion: '2010-09-09'\nl0: &l0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 6; i++ {
		a := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.Repeat(a+", ", 8)+a)
	}
	path := filepath.Join(t.TempDir(), "template.yaml")
	os.WriteFile(path, []byte(b.String()), 0o644)
	if _, err := awsrules.CheckFile(path, code{}); !errors.Is(err, awsrules.ErrAliasing) {
		t.Fatalf("CheckFile of %d bytes expanding to 9^6 scalars: %v, want ErrAliasing", b.Len(), err)
	}
	doc, _, err := awsrules.Decode([]byte("defaults: &d {Timeout: 30, MemorySize: 512}\nf1: *d\nf2: *d\nf3: *d\n"))
	if err != nil || fmt.Sprint(doc["f3"]) != "map[MemorySize:512 Timeout:30]" {
		t.Fatalf("aliases reused three times: %v, %v", doc, err)
	}
}

// A merge key (<<: *defaults, as serverless.yml files share function
// settings) merges the mapping's entries, its own keys winning; it is no
// key "<<" that hides them from the rules.
func TestDecode_mergeKeys(t *testing.T) {
	doc, _, err := awsrules.Decode([]byte("base: &b {timeout: 30, memorySize: 512}\nmore: &m {timeout: 10, reservedConcurrency: 2}\n" +
		"f: {<<: *b, timeout: 60}\ng: {<<: [*b, *m], handler: x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"f": "map[memorySize:512 timeout:60]", "g": "map[handler:x memorySize:512 reservedConcurrency:2 timeout:30]"} {
		if got := fmt.Sprint(doc[k]); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
}
