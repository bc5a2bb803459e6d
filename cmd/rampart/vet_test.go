package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
// repository (tests included) and the deployment rules over the files they
// find (deploy/aws's SAM template and serverless.yml joined with
// cmd/thumbnailer's code, deploy/cloudflare/wrangler.toml with the
// Worker's sources) report nothing. A finding here is either a bug to fix
// in the code that drew it or a false positive to fix in vet/.
func TestVet_repository(t *testing.T) {
	res, err := driver.Run([]string{"./..."}, &driver.Options{Dir: filepath.Join("..", ".."), Tool: vetTool})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Error(e)
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
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
