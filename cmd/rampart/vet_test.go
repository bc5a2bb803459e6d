package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/rampartdev/rampart/vet"
	"github.com/rampartdev/rampart/vet/driver"
)

// vetTool is rampart-vet built for the tests: go vet's tool must not be
// this (race-instrumented) test binary, and a binary built the same way
// each time keeps go vet's cache of clean packages across runs.
var vetTool string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rampart-vettool")
	if err != nil {
		panic(err)
	}
	vetTool = filepath.Join(dir, "rampart-vet")
	if out, err := exec.Command("go", "build", "-o", vetTool, "../rampart-vet").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("build rampart-vet: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Rampart passes its own checks: the analyzers over every package of the
// repository (tests included, as go vet sees them) and the deployment rules
// over the files they find (deploy/aws's SAM template and serverless.yml
// joined with cmd/thumbnailer's code, deploy/cloudflare/wrangler.toml with
// the Worker's sources) report nothing. A finding here is either a bug to
// fix in the code that drew it or a false positive to fix in vet/.
//
// The analyzers run in process over one load of the module (dependencies
// from the compiler's export data, which the build cache holds): through
// go vet, an uncached run type-checks every dependency from source for its
// facts, and this test always ran uncached (its rampart-vet is new), about
// a minute on a loaded machine. The go vet path is TestVet_recipe's.
func TestVet_repository(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	for _, d := range analyzeInProcess(t, root, "./...") {
		t.Errorf("finding: %s", d)
	}
	res, err := driver.Run([]string{"./..."}, &driver.Options{Dir: root, NoAnalyzers: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Error(e)
	}
	for _, p := range res.Positions(root) {
		t.Errorf("finding: %s", p)
	}
	want := []string{"deploy/aws/serverless.yml", "deploy/aws/template.yaml", "deploy/cloudflare/wrangler.toml"}
	var got []string
	for _, f := range res.Files {
		rel, _ := filepath.Rel(root, f)
		if abs, err := filepath.Abs(f); err == nil {
			rel, _ = filepath.Rel(root, abs)
		}
		got = append(got, filepath.ToSlash(rel))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("deployment files checked %v, want %v", got, want)
	}
}

// analyzeInProcess runs vet's analyzers on the packages matched in dir as
// go vet would (a package with tests as its test variant, plus its external
// test package) and returns the findings, "file:line:col: message".
func analyzeInProcess(t *testing.T, dir string, patterns ...string) []string {
	t.Helper()
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports |
			packages.NeedTypes | packages.NeedTypesSizes | packages.NeedSyntax | packages.NeedTypesInfo | packages.NeedModule,
		Tests: true,
		Dir:   dir,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	for _, p := range pkgs {
		if p.ForTest != "" && p.PkgPath == p.ForTest {
			tested[p.PkgPath] = true
		}
	}
	var roots []*packages.Package
	for _, p := range pkgs {
		if strings.HasSuffix(p.PkgPath, ".test") || p.ForTest == "" && tested[p.PkgPath] {
			continue // a test main, or a package vetted as its test variant
		}
		for _, e := range p.Errors {
			t.Errorf("%s: %v", p.ID, e)
		}
		roots = append(roots, p)
	}
	if len(roots) == 0 {
		t.Fatalf("no packages matched %v in %s", patterns, dir)
	}
	g, err := checker.Analyze(vet.Analyzers(), roots, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for act := range g.All() {
		if act.Err != nil {
			t.Errorf("%s: %v", act, act.Err)
		}
		for _, d := range act.Diagnostics {
			out = append(out, act.Package.Fset.Position(d.Pos).String()+": "+d.Message)
		}
	}
	return out
}

// The recipe's sample handler draws the dedupe and swallowed findings
// through rampart vet, in text (exit status 3) and in go/analysis's JSON;
// the one written with Rampart draws none.
func TestVet_recipe(t *testing.T) {
	testdata, _ := filepath.Abs(filepath.Join("..", "..", "vet", "testdata"))
	t.Chdir(testdata)
	_, stderr, err := runCmd(t, "vet", "-vettool", vetTool, "./recipe")
	if !errors.As(err, new(findingsError)) {
		t.Fatalf("rampart vet ./recipe: %v, want findings\n%s", err, stderr)
	}
	for _, want := range []string{"recipe.go:26:", "dedupe: PutItem with attribute_not_exists writes a dedupe marker", "swallowed: the error err is dropped", "README.md#dedupe"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	stdout, _, err := runCmd(t, "vet", "-vettool", vetTool, "-json", "./recipe")
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]map[string][]struct{ Posn, Message string }
	if err := json.Unmarshal([]byte(stdout), &tree); err != nil {
		t.Fatalf("-json: %v\n%s", err, stdout)
	}
	pkg := tree["example.com/vettest/recipe"]
	if len(pkg["dedupe"]) != 1 || len(pkg["swallowed"]) != 2 || !strings.Contains(pkg["dedupe"][0].Posn, "recipe.go:26:") {
		t.Errorf("-json: %s", stdout)
	}
	if _, stderr, err := runCmd(t, "vet", "-vettool", vetTool, "./recipefixed"); err != nil {
		t.Errorf("rampart vet ./recipefixed: %v\n%s", err, stderr)
	}
	if _, _, err := runCmd(t, "vet", "-analyzers", "nope", "./recipe"); err == nil {
		t.Error("an unknown analyzer was accepted")
	}
}

// The join of a template with the code it deploys: cmd/thumbnailer returns
// partial batch responses, so its SQS event source without
// ReportBatchItemFailures is a finding (Lambda would delete failed
// messages).
func TestVet_templateJoinedWithCode(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "deploy", "aws", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "FunctionResponseTypes: [ReportBatchItemFailures]", "", 1)
	if s == string(b) {
		t.Fatal("template.yaml has no FunctionResponseTypes line to remove")
	}
	tmpl := filepath.Join(t.TempDir(), "template.yaml")
	os.WriteFile(tmpl, []byte(s), 0o644)
	res, err := driver.Run([]string{"./cmd/thumbnailer"}, &driver.Options{Dir: root, Files: []string{tmpl}, Tool: vetTool})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != "sqs-batch-failures" || !strings.Contains(res.Findings[0].Message, "returns partial batch responses") {
		t.Fatalf("findings %v, want one sqs-batch-failures", res.Findings)
	}
}

// A Worker's folder has no Go, outside a module or in one
// (deploy/cloudflare here): rampart vet checks its wrangler.toml alone (the
// recipe's placeholder id is a finding, neither go vet's "no module" error
// nor its "no packages to vet"), a wrangler.jsonc beside it shadows it as
// it does for wrangler, and with neither says there is nothing to check.
func TestVet_workerFolder(t *testing.T) {
	for _, inModule := range []bool{false, true} {
		t.Run(fmt.Sprintf("in a module %v", inModule), func(t *testing.T) {
			dir := t.TempDir()
			if inModule {
				os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.26\n"), 0o644)
			}
			worker := filepath.Join(dir, "worker")
			os.MkdirAll(filepath.Join(worker, "src"), 0o755)
			os.WriteFile(filepath.Join(worker, "src", "index.js"), []byte("export default { fetch(req, env) { return env.KV.get('k'); } };\n"), 0o644)
			os.WriteFile(filepath.Join(worker, "wrangler.toml"), []byte("name = \"w\"\nmain = \"src/index.js\"\n[[kv_namespaces]]\nbinding = \"KV\"\nid = \"<your-kv-id>\"\n"), 0o644)
			t.Chdir(worker)
			_, stderr, err := runCmd(t, "vet", "-vettool", vetTool, "./...")
			if !errors.As(err, new(findingsError)) || !strings.Contains(stderr, "wrangler.toml:5: wrangler-id:") || strings.Contains(stderr, "main module") || strings.Contains(stderr, "no packages") {
				t.Fatalf("rampart vet in a Worker folder: %v\n%s", err, stderr)
			}
			// A wrangler.jsonc beside it is the one wrangler reads (json,
			// jsonc, toml): only it is checked.
			os.WriteFile(filepath.Join(worker, "wrangler.jsonc"), []byte("{\n  // migrated\n  \"name\": \"w\",\n  \"main\": \"src/index.js\",\n  \"kv_namespaces\": [{\"binding\": \"KV\", \"id\": \"TODO\"},],\n}\n"), 0o644)
			_, stderr, err = runCmd(t, "vet", "-vettool", vetTool, "./...")
			if !errors.As(err, new(findingsError)) || !strings.Contains(stderr, "wrangler.jsonc:5: wrangler-id:") || strings.Contains(stderr, "wrangler.toml") {
				t.Fatalf("rampart vet with wrangler.jsonc and wrangler.toml: %v\n%s", err, stderr)
			}
			// Named with -file, the shadowed one is checked too.
			_, stderr, err = runCmd(t, "vet", "-vettool", vetTool, "-file", "wrangler.toml", "./...")
			if !errors.As(err, new(findingsError)) || !strings.Contains(stderr, "wrangler.jsonc:5: wrangler-id:") || !strings.Contains(stderr, "wrangler.toml:5: wrangler-id:") {
				t.Fatalf("rampart vet -file wrangler.toml beside a wrangler.jsonc: %v\n%s", err, stderr)
			}
			os.Remove(filepath.Join(worker, "wrangler.toml"))
			os.Remove(filepath.Join(worker, "wrangler.jsonc"))
			if _, stderr, err := runCmd(t, "vet", "-vettool", vetTool, "./..."); err == nil || !strings.Contains(err.Error(), "nothing to check") {
				t.Fatalf("rampart vet with nothing to check: %v\n%s", err, stderr)
			}
		})
	}
}
