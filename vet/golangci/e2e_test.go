package golangci_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGolangciLint builds a golangci-lint with this plugin the way
// `golangci-lint custom` does (its source, a plugins.go importing the
// plugin, a replace directive to this checkout, go mod tidy, go build) and
// runs it on the recipe's handler. `golangci-lint custom` itself starts
// with a git clone from GitHub, which this machine cannot reach; the
// source here is the same release from the Go module proxy. It downloads
// golangci-lint's modules and takes minutes, so it runs only with
// RAMPART_E2E_GOLANGCI=1:
//
//	RAMPART_E2E_GOLANGCI=1 go test -run TestGolangciLint -v ./vet/golangci/
func TestGolangciLint(t *testing.T) {
	if os.Getenv("RAMPART_E2E_GOLANGCI") == "" {
		t.Skip("set RAMPART_E2E_GOLANGCI=1 to build golangci-lint with the plugin (minutes, downloads its modules)")
	}
	const version = "v2.15.0" // the version .custom-gcl.yml names in the README
	repo, _ := filepath.Abs(filepath.Join("..", ".."))
	work := t.TempDir()
	run := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal([]byte(run(work, "go", "mod", "download", "-json", "github.com/golangci/golangci-lint/v2@"+version)), &mod); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(work, "golangci-lint")
	run(work, "cp", "-r", mod.Dir, src)
	run(work, "chmod", "-R", "u+w", src)
	plugins := "package main\n\nimport (\n\t_ \"github.com/rampartdev/rampart/vet/golangci\"\n)\n"
	if err := os.WriteFile(filepath.Join(src, "cmd", "golangci-lint", "plugins.go"), []byte(plugins), 0o644); err != nil {
		t.Fatal(err)
	}
	run(src, "go", "mod", "edit", "-replace", "github.com/rampartdev/rampart="+repo)
	run(src, "go", "mod", "tidy")
	bin := filepath.Join(work, "custom-gcl")
	run(src, "go", "build", "-o", bin, "./cmd/golangci-lint")

	// The testdata module, pointed at this checkout, with the README's
	// .golangci.yml.
	proj := filepath.Join(work, "proj")
	run(work, "cp", "-r", filepath.Join(repo, "vet", "testdata"), proj)
	run(proj, "go", "mod", "edit", "-replace", "github.com/rampartdev/rampart="+repo)
	// The README's two files, copied as a user copies them.
	custom, golangci := readmeConfigs(t, filepath.Join(repo, "README.md"))
	if !strings.Contains(custom, "version: "+version+"\n") || !strings.Contains(custom, "import: github.com/rampartdev/rampart/vet/golangci\n") {
		t.Fatalf("the README's .custom-gcl.yml does not name golangci-lint %s and the plugin's import path:\n%s", version, custom)
	}
	if err := os.WriteFile(filepath.Join(proj, ".golangci.yml"), []byte(golangci), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "./recipe/...")
	cmd.Dir = proj
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "recipe/recipe.go:26:24: dedupe: PutItem with attribute_not_exists writes a dedupe marker") ||
		strings.Count(string(out), ": swallowed: the error err is dropped") != 2 || !strings.Contains(string(out), "(rampart)") {
		t.Fatalf("custom-gcl run ./recipe/...: %v\n%s", err, out)
	}
	// The README's config keeps golangci-lint's standard linters, and
	// unused reports the testdata's func main outside package main: only
	// rampart's findings count here.
	cmd = exec.Command(bin, "run", "./recipefixed/...")
	cmd.Dir = proj
	if out, err := cmd.CombinedOutput(); strings.Contains(string(out), "(rampart)") || err != nil && !strings.Contains(string(out), " issues:") {
		t.Fatalf("custom-gcl run ./recipefixed/...: %v\n%s", err, out)
	}
}

// readmeConfigs returns the README's .custom-gcl.yml and .golangci.yml
// blocks (the yaml blocks with plugins: and with linters:).
func readmeConfigs(t *testing.T, readme string) (custom, golangci string) {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.Split(string(b), "```yaml\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		switch {
		case strings.Contains(block, "\nplugins:\n"):
			custom = block
		case strings.Contains(block, "\nlinters:\n") && strings.Contains(block, "rampart:"):
			golangci = block
		}
	}
	if custom == "" || golangci == "" {
		t.Fatalf("%s: no .custom-gcl.yml or .golangci.yml block for the plugin", readme)
	}
	return custom, golangci
}
