package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rampartdev/rampart/internal/testenv"
)

const root = "../.."

func TestNotes(t *testing.T) {
	const good = `# Changelog

Intro.

## [Unreleased]

- coming

## [1.0.0-rc.1] - 2027-02-01

- candidate

## [0.2.0] - 2027-01-01

### Fixed

- a thing

## [0.1.0] - 2026-12-02

- first

[Unreleased]: https://example.com/compare/v0.2.0...HEAD
[0.2.0]: https://example.com/v0.2.0
`
	rels, err := parse(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]string{
		"v0.2.0":      "### Fixed\n\n- a thing\n",
		"v0.1.0":      "- first\n",
		"v1.0.0-rc.1": "- candidate\n",
	} {
		if got, err := notesOf(rels, tag); err != nil || got != want {
			t.Errorf("notes of %s = %q, %v; want %q", tag, got, err, want)
		}
	}
	for _, tag := range []string{"v0.3.0", "0.2.0", "v0.2", "vX", "Unreleased", "v01.2.3"} {
		if _, err := notesOf(rels, tag); err == nil {
			t.Errorf("notes of %q: no error", tag)
		}
	}
	for name, bad := range map[string]string{
		"no date":          "## [0.1.0]\n- x\n",
		"not semver":       "## [0.1] - 2026-12-02\n- x\n",
		"bad date":         "## [0.1.0] - 2026-13-02\n- x\n",
		"other heading":    "## 0.1.0\n- x\n",
		"unreleased later": "## [0.1.0] - 2026-12-02\n- x\n## [Unreleased]\n",
		"twice":            "## [0.1.0] - 2026-12-02\n- x\n## [0.1.0] - 2026-12-01\n- y\n",
		"oldest first":     "## [0.1.0] - 2026-12-01\n- x\n## [0.2.0] - 2026-12-02\n- y\n",
		"dated unreleased": "## [Unreleased] - 2026-12-02\n",
	} {
		if _, err := parse(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: parsed %q", name, bad)
		}
	}
	rels, _ = parse(strings.NewReader("## [0.1.0] - 2026-12-02\n\n## [0.0.1] - 2026-12-01\n- x\n"))
	if _, err := notesOf(rels, "v0.1.0"); err == nil {
		t.Error("an empty section gave notes")
	}
}

// TestRepository_changelog: CHANGELOG.md parses, starts with Unreleased,
// has a link per version, and its newest release is the one the README's
// install line names, with the minimum Go of go.mod.
func TestRepository_changelog(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	rels, err := parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) < 2 || rels[0].Version != "Unreleased" {
		t.Fatalf("sections %v: want Unreleased, then the releases", rels)
	}
	latest := rels[1].Version
	for _, r := range rels[1:] {
		link := "[" + r.Version + "]: https://github.com/rampartdev/rampart/releases/tag/v" + r.Version
		if !bytes.Contains(b, []byte(link)) {
			t.Errorf("no link %q", link)
		}
	}
	if !bytes.Contains(b, []byte("[Unreleased]: https://github.com/rampartdev/rampart/compare/v"+latest+"...HEAD")) {
		t.Errorf("the Unreleased link does not compare with v%s", latest)
	}
	var out bytes.Buffer
	if err := run([]string{"v" + latest, filepath.Join(root, "CHANGELOG.md")}, &out); err != nil || out.Len() < 200 {
		t.Errorf("notes of v%s: %v (%d bytes)", latest, err, out.Len())
	}

	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	gomod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	if !bytes.HasPrefix(gomod, []byte("module github.com/rampartdev/rampart\n")) {
		t.Errorf("go.mod's module path is not github.com/rampartdev/rampart: go get would not find it")
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goVersion == nil {
		t.Fatal("no go line in go.mod")
	}
	for _, want := range []string{
		"go get github.com/rampartdev/rampart@v" + latest + "\n",
		"Go " + string(goVersion[1]) + " or later",
	} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README.md lacks %q (the newest release and go.mod's go version)", want)
		}
	}
}

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	On struct {
		Push struct {
			Tags     []string `yaml:"tags"`
			Branches []string `yaml:"branches"`
		} `yaml:"push"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Uses        string            `yaml:"uses"`
		If          string            `yaml:"if"`
		Needs       any               `yaml:"needs"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestRepository_releaseWorkflow: a version tag runs the tests once (the
// deploy workflow's test job), then publishes the notes and the Lambda
// zips; only that job may write. The
// publishing script itself is run, with a stand-in gh, for a release and a
// pre-release. (actionlint checks the file with the other workflows, in
// deploy/aws.)
func TestRepository_releaseWorkflow(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.On.Push.Tags, []string{"v*"}) {
		t.Errorf("runs on %+v, want version tags", w.On.Push)
	}
	if _, err := os.Stat(filepath.Join(root, ".github", "workflows", "release.yml")); err == nil {
		t.Error("release.yml is back: a tag would run the tests twice")
	}
	if w.Permissions["contents"] != "read" || len(w.Permissions) != 1 {
		t.Errorf("workflow permissions %v, want contents: read", w.Permissions)
	}
	if w.Jobs["test"].Uses != "./.github/workflows/ci.yml" {
		t.Errorf("the test job is %q, want the CI workflow", w.Jobs["test"].Uses)
	}
	rel := w.Jobs["release"]
	if rel.If != "startsWith(github.ref, 'refs/tags/v')" {
		t.Errorf("release job runs if %q, want on version tags only", rel.If)
	}
	if rel.Needs != "test" || rel.Permissions["contents"] != "write" {
		t.Errorf("release job: needs %v, permissions %v; want the tests first and contents: write", rel.Needs, rel.Permissions)
	}
	var script string
	steps := ""
	for _, s := range rel.Steps {
		steps += s.Uses + " " + s.Run + "\n"
		if strings.Contains(s.Run, "gh release create") {
			script = s.Run
		}
	}
	for _, want := range []string{"actions/checkout@", "go run ./tools/relnotes \"$GITHUB_REF_NAME\"", "make lambda", "gh release create"} {
		if !strings.Contains(steps, want) {
			t.Errorf("release steps lack %q:\n%s", want, steps)
		}
	}
	if strings.Index(steps, "relnotes") > strings.Index(steps, "gh release create") {
		t.Error("the notes are made after publishing")
	}

	bash := testenv.Command(t, "bash")
	for tag, prerelease := range map[string]bool{"v0.1.0": false, "v0.2.0-rc.1": true} {
		dir := t.TempDir()
		bin := filepath.Join(dir, "bin")
		_ = os.MkdirAll(filepath.Join(dir, "dist"), 0o755)
		_ = os.MkdirAll(bin, 0o755)
		for _, z := range []string{"thumbnailer.zip", "health.zip"} {
			_ = os.WriteFile(filepath.Join(dir, "dist", z), []byte("zip"), 0o644)
		}
		_ = os.WriteFile(filepath.Join(bin, "gh"), []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$GH_ARGS\"\n"), 0o755)
		cmd := exec.Command(bash, "-e", "-c", script)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "GITHUB_REF_NAME=" + tag, "RUNNER_TEMP=" + dir, "GH_ARGS=" + filepath.Join(dir, "args"), "GH_TOKEN=x"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", tag, err, out)
		}
		args, _ := os.ReadFile(filepath.Join(dir, "args"))
		got := strings.Fields(string(args))
		want := []string{"release", "create", tag, "--verify-tag", "--title", tag, "--notes-file", filepath.Join(dir, "notes.md")}
		if prerelease {
			want = append(want, "--prerelease")
		}
		want = append(want, "dist/health.zip", "dist/thumbnailer.zip")
		if !slices.Equal(got, want) {
			t.Errorf("%s: gh %q\nwant %q", tag, got, want)
		}
	}
}
