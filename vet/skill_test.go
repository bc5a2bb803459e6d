package vet_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rampartdev/rampart/vet"
	"github.com/rampartdev/rampart/vet/awsrules"
	"github.com/rampartdev/rampart/vet/wrangler"
)

// The skill is in the Agent Skills format (agentskills.io's specification):
// YAML frontmatter of the specification's fields only, whose name is its
// folder's (lowercase letters, digits and hyphens, at most 64), a
// description of at most 1024 characters; and every rule it names exists.
func TestSkill(t *testing.T) {
	dir := filepath.Join("..", "skills", "rampart")
	b, err := os.ReadFile(filepath.Join(dir, "SKILL.md"))
	if err != nil {
		t.Fatal(err)
	}
	front, body, ok := strings.Cut(strings.TrimPrefix(string(b), "---\n"), "\n---\n")
	if !ok || !strings.HasPrefix(string(b), "---\n") {
		t.Fatal("SKILL.md does not start with a --- frontmatter block")
	}
	// The specification's fields, and only those: metadata maps strings
	// to strings, compatibility is at most 500 characters.
	var meta struct {
		Name          string            `yaml:"name"`
		Description   string            `yaml:"description"`
		License       string            `yaml:"license"`
		Compatibility string            `yaml:"compatibility"`
		Metadata      map[string]string `yaml:"metadata"`
		AllowedTools  string            `yaml:"allowed-tools"`
	}
	dec := yaml.NewDecoder(strings.NewReader(front))
	dec.KnownFields(true)
	if err := dec.Decode(&meta); err != nil {
		t.Fatalf("frontmatter: %v", err)
	}
	if len(meta.Compatibility) > 500 {
		t.Errorf("compatibility of %d characters, want at most 500", len(meta.Compatibility))
	}
	if meta.Name != filepath.Base(dir) || !regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`).MatchString(meta.Name) || len(meta.Name) > 64 {
		t.Errorf("name %q: want the folder's name, lowercase and hyphens", meta.Name)
	}
	if n := len(meta.Description); n == 0 || n > 1024 {
		t.Errorf("description of %d characters, want 1 to 1024", n)
	}
	known := map[string]bool{}
	for _, a := range vet.Analyzers() {
		known[a.Name] = true
	}
	for _, r := range append(awsrules.Rules, wrangler.Rules...) {
		known[r] = true
	}
	for _, m := range regexp.MustCompile("rule `([a-z0-9-]+)`").FindAllStringSubmatch(body, -1) {
		if !known[m[1]] {
			t.Errorf("the skill names rule %q, which does not exist", m[1])
		}
	}
	for _, want := range []string{"rampart vet ./...", "rampart gateway check", "go test", "idempotency.Handler", "batch.SQSHandler", "ReportBatchItemFailures", "apigw.HTTPHandler", "ErrNotRecorded"} {
		if !strings.Contains(body, want) {
			t.Errorf("the skill does not mention %s", want)
		}
	}
}
