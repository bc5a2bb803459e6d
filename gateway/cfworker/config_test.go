package cfworker_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/gateway/cfworker"
)

func TestCheck_repositoryConfig(t *testing.T) {
	cfg, err := cfworker.Load(filepath.Join(repoRoot(t), "deploy", "cloudflare", "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if ps := cfworker.Check(cfg); len(ps) != 0 {
		t.Fatalf("deploy/cloudflare/wrangler.toml: %v", ps)
	}
}

// MustWrangler writes the repository's wrangler.toml with edit applied into
// a temporary file and loads it.
func MustWrangler(tb testing.TB, edit func(string) string) *cfworker.Config {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(tb), "deploy", "cloudflare", "wrangler.toml"))
	if err != nil {
		tb.Fatal(err)
	}
	s := edit(string(b))
	if s == string(b) {
		tb.Fatal("edit changed nothing")
	}
	p := filepath.Join(tb.TempDir(), "wrangler.toml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg, err := cfworker.Load(p)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func TestCheck_problems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(string) string
		field string
		want  string
	}{
		{"missing KV binding", replace(`binding = "TOKENS"`, `binding = "TOKEN"`), "kv_namespaces", "missing KV binding TOKENS"},
		{"missing Durable Object binding", replace(`name = "RATE_LIMITER"`, `name = "LIMITER"`), "durable_objects.bindings", "missing Durable Object binding RATE_LIMITER"},
		{"wrong class name", replace(`class_name = "RateLimiter"`, `class_name = "RateLimiterV2"`), "durable_objects.bindings", `class_name "RateLimiterV2"`},
		{"class in another script", replace(`class_name = "RateLimiter"`, `class_name = "RateLimiter"`+"\n"+`script_name = "other"`), "durable_objects.bindings", `names script "other"`},
		{"missing migration", replace(`new_sqlite_classes = ["RateLimiter"]`, `new_sqlite_classes = ["Other"]`), "migrations", "no migration creates RateLimiter"},
		{"key-value class instead of SQLite", replace(`new_sqlite_classes = ["RateLimiter"]`, `new_classes = ["RateLimiter"]`), "migrations", "needs new_sqlite_classes"},
		{"class deleted later", replace(`new_sqlite_classes = ["RateLimiter"]`, `new_sqlite_classes = ["RateLimiter"]`+"\n\n[[migrations]]\ntag = \"v2\"\ndeleted_classes = [\"RateLimiter\"]"), "migrations", "deletes or renames"},
		{"missing origin", replace(`ORIGIN = "https://origin.example.com"`, `ORIGINS = "https://origin.example.com"`), "vars", "missing ORIGIN"},
		{"origin not a URL", replace(`ORIGIN = "https://origin.example.com"`, `ORIGIN = "origin.example.com"`), "vars", "not an http(s) URL"},
		{"bad gateway config", replace(`"timeout": "30s"}`, `"timeout": "30s", "rutes": []}`), "vars", "GATEWAY_CONFIG is not a gateway configuration"},
		{"route prefix without slash", replace(`"prefix": "/health"`, `"prefix": "health"`), "vars", "must start with /"},
		{"old compatibility date", replace(`compatibility_date = "2026-04-01"`, `compatibility_date = "2023-01-01"`), "compatibility_date", "Durable Object RPC"},
		{"no wasm rule", replace(`type = "CompiledWasm"`, `type = "Data"`), "rules", "CompiledWasm"},
		{"no main", replace(`main = "dist/worker.mjs"`, `# no main`), "main", "missing"},
		{"warm-up count not a number", replace(`ORIGIN = "https://origin.example.com"`, `ORIGIN = "https://origin.example.com"`+"\nGATEWAY_WARMUP = \"2k\""), "vars", "GATEWAY_WARMUP = \"2k\" is not a count"},
		{"warm-up count too high", replace(`ORIGIN = "https://origin.example.com"`, `ORIGIN = "https://origin.example.com"`+"\nGATEWAY_WARMUP = \"+5000\""), "vars", "from 0 to 4000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := cfworker.Check(MustWrangler(t, tc.edit))
			if len(ps) != 1 || ps[0].Field != tc.field || !strings.Contains(ps[0].Message, tc.want) {
				t.Fatalf("problems %v, want one in %s containing %q", ps, tc.field, tc.want)
			}
		})
	}
}

func TestConfig_Validate(t *testing.T) {
	err := MustWrangler(t, replace(`binding = "TOKENS"`, `binding = "X"`)).Validate()
	var pe *cfworker.ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || !strings.Contains(err.Error(), "TOKENS") {
		t.Fatalf("Validate() = %v", err)
	}
}

func TestLoad_invalidTOML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wrangler.toml")
	os.WriteFile(p, []byte("name = \n"), 0o644)
	if _, err := cfworker.Load(p); err == nil {
		t.Fatal("invalid TOML accepted")
	}
}
