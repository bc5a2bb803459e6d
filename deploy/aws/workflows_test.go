package aws

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

var workflowsDir = filepath.Join("..", "..", ".github", "workflows")

// TestWorkflows_Actionlint checks the GitHub Actions workflows with
// actionlint (a tool dependency of the module: go tool actionlint).
func TestWorkflows_Actionlint(t *testing.T) {
	goTool := testenv.Command(t, "go")
	files, _ := filepath.Glob(filepath.Join(workflowsDir, "*.yml"))
	if len(files) == 0 {
		t.Fatal("no workflows in .github/workflows")
	}
	cmd := exec.Command(goTool, append([]string{"tool", "actionlint", "-no-color", "-oneline"}, files...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

// TestWorkflows_Pipeline: pull requests run the README's test command; main
// deploys to dev and version tags to prod (behind the protected
// environment), both after the tests, with `make lambda` and `sam deploy
// --config-env`, credentials only from GitHub's OIDC provider.
func TestWorkflows_Pipeline(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil || !strings.Contains(string(readme), "make test   #") {
		t.Fatalf("the README's test command is not make test: %v", err)
	}
	ci := mustYAML(t, filepath.Join(workflowsDir, "ci.yml"))
	if on := get(ci, "on"); on == nil || !hasKey(on, "pull_request") || !hasKey(on, "workflow_call") {
		t.Errorf("ci.yml runs on %v, want pull_request and workflow_call", on)
	}
	if !runs(get(ci, "jobs", "test"), "make test") {
		t.Error("ci.yml does not run make test")
	}

	dep := mustYAML(t, filepath.Join(workflowsDir, "deploy.yml"))
	if branches := strs(get(dep, "on", "push", "branches")); len(branches) != 1 || branches[0] != "main" {
		t.Errorf("deploy.yml runs on pushes to %v, want main", branches)
	}
	if get(dep, "jobs", "test", "uses") != "./.github/workflows/ci.yml" {
		t.Error("deploy.yml does not run the tests first")
	}
	for stage, want := range map[string]struct{ cond, role, env string }{
		"dev":  {"github.ref == 'refs/heads/main'", "${{ vars.AWS_DEV_ROLE_ARN }}", ""},
		"prod": {"startsWith(github.ref, 'refs/tags/v')", "${{ vars.AWS_PROD_ROLE_ARN }}", "prod"},
	} {
		job := get(dep, "jobs", stage)
		if get(job, "if") != want.cond || get(job, "needs") != "test" {
			t.Errorf("job %s: if %v, needs %v", stage, get(job, "if"), get(job, "needs"))
		}
		// The roles of github-oidc.yaml trust the token's subject: the
		// branch for dev, the environment for prod.
		if env, _ := get(job, "environment").(string); env != want.env {
			t.Errorf("job %s: environment %q, want %q", stage, env, want.env)
		}
		if get(job, "permissions", "id-token") != "write" {
			t.Errorf("job %s cannot request an OIDC token", stage)
		}
		var creds any
		for _, s := range list(get(job, "steps")) {
			if u, _ := get(s, "uses").(string); strings.HasPrefix(u, "aws-actions/configure-aws-credentials@") {
				creds = get(s, "with")
			}
		}
		if get(creds, "role-to-assume") != want.role || get(creds, "aws-region") == nil {
			t.Errorf("job %s: credentials %v, want the role %s", stage, creds, want.role)
		}
		if !runs(job, "make lambda") || !runs(job, "sam deploy --config-env "+stage) {
			t.Errorf("job %s does not run make lambda and sam deploy --config-env %s", stage, stage)
		}
	}
	if get(dep, "permissions", "id-token") != nil {
		t.Error("every job of deploy.yml may request an OIDC token: only the deploy jobs need it")
	}
	for _, f := range []string{"ci.yml", "deploy.yml"} {
		b, _ := os.ReadFile(filepath.Join(workflowsDir, f))
		for _, bad := range []string{"aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s uses %s: credentials come only from the OIDC provider", f, bad)
			}
		}
	}
}

func hasKey(v any, k string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[k]
	return ok
}

// runs reports whether a step of job runs a command containing cmd.
func runs(job any, cmd string) bool {
	for _, s := range list(get(job, "steps")) {
		if r, _ := get(s, "run").(string); strings.Contains(r, cmd) {
			return true
		}
	}
	return false
}
