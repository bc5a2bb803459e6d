package cfworker_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/rampartdev/rampart/gateway/cfworker"
	"github.com/rampartdev/rampart/internal/jsonc"
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
		{"gateway config with data after it", replace(`"timeout": "30s"}`, `"timeout": "30s"} {}`), "vars", "data after the JSON object"},
		{"gateway config of blanks", replace(`GATEWAY_CONFIG = '''`, `GATEWAY_CONFIG = "  "`+"\nUNUSED = '''"), "vars", "GATEWAY_CONFIG is not a gateway configuration"},
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

// wranglerFormats returns the repository's wrangler.toml in each format
// Load reads, with a line (in that format's syntax) added at the top of
// vars: wrangler.toml, wrangler.json (the same document in JSON) and
// wrangler.jsonc (the JSON with a comment and trailing commas).
func wranglerFormats(tb testing.TB, tomlLine, jsonMember string) map[string]string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(tb), "deploy", "cloudflare", "wrangler.toml"))
	if err != nil {
		tb.Fatal(err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(b), &doc); err != nil {
		tb.Fatal(err)
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	add := func(s, after, line string) string {
		if !strings.Contains(s, after) {
			tb.Fatalf("no %q to add %q after", after, line)
		}
		return strings.Replace(s, after, after+"\n"+line, 1)
	}
	jsonDoc := add(string(js), `"vars": {`, jsonMember)
	jsoncDoc := "// wrangler.jsonc\n" + add(strings.TrimSuffix(jsonDoc, "}")+",\n}", `"vars": {`, "    // a comment in vars")
	jsoncDoc = strings.Replace(jsoncDoc, `"ORIGIN": "https://origin.example.com"`, `"ORIGIN": "https://origin.example.com",`, 1)
	return map[string]string{
		"wrangler.toml":  add(string(b), "[vars]", tomlLine),
		"wrangler.json":  jsonDoc,
		"wrangler.jsonc": jsoncDoc,
	}
}

// Wrangler passes a var that is not a string to the Worker as its JSON
// value; Load reads numbers, booleans and objects in [vars] (TOML) and
// "vars" (JSON, JSONC) as the Worker's code reads them, and Check
// validates that: a warm-up count may be a number, GATEWAY_CONFIG an
// object, ORIGIN must be a string, as the Worker reads them.
func TestLoad_nonStringVars(t *testing.T) {
	for _, tc := range []struct {
		name             string
		tomlLine, member string
		text             string // Vars[name], "" to skip
		want             string // the one problem, "" for none
	}{
		{"warm-up count as a number", `GATEWAY_WARMUP = 2000`, `"GATEWAY_WARMUP": 2000,`, "2000", ""},
		{"warm-up count 0", `GATEWAY_WARMUP = 0`, `"GATEWAY_WARMUP": 0,`, "0", ""},
		{"warm-up count as a float", `GATEWAY_WARMUP = 2e3`, `"GATEWAY_WARMUP": 2e3,`, "2000", ""},
		{"warm-up count with a fraction", `GATEWAY_WARMUP = 2000.5`, `"GATEWAY_WARMUP": 2000.5,`, "2000.5", `GATEWAY_WARMUP = "2000.5" is not a count`},
		{"warm-up count too high", `GATEWAY_WARMUP = 5000`, `"GATEWAY_WARMUP": 5000,`, "5000", "from 0 to 4000"},
		{"warm-up count negative", `GATEWAY_WARMUP = -1`, `"GATEWAY_WARMUP": -1,`, "-1", "is not a count"},
		{"warm-up count as a boolean", `GATEWAY_WARMUP = true`, `"GATEWAY_WARMUP": true,`, "true", `GATEWAY_WARMUP = "true" is not a count`},
		{"an unrelated boolean", `DEBUG = false`, `"DEBUG": false,`, "false", ""},
		{"an unrelated array", `REGIONS = ["eu", 1]`, `"REGIONS": ["eu", 1],`, `["eu",1]`, ""},
		{"origin as a number", `ORIGIN2 = 1`, `"ORIGIN2": 1,`, "1", ""},
		{"seed in the clear", `GATEWAY_SEED = "` + strings.Repeat("ab", 32) + `"`, `"GATEWAY_SEED": "` + strings.Repeat("ab", 32) + `",`, strings.Repeat("ab", 32), "GATEWAY_SEED is a plain variable"},
		{"seed as a number", `GATEWAY_SEED = 1234`, `"GATEWAY_SEED": 1234,`, "1234", "GATEWAY_SEED is a number, not a string: the Worker ignores it"},
	} {
		for file, src := range wranglerFormats(t, tc.tomlLine, tc.member) {
			t.Run(tc.name+"/"+file, func(t *testing.T) {
				cfg := loadFile(t, file, src)
				name, _, _ := strings.Cut(strings.TrimPrefix(tc.member, `"`), `"`)
				if tc.text != "" && cfg.Vars[name] != tc.text {
					t.Errorf("Vars[%s] = %q, want %q", name, cfg.Vars[name], tc.text)
				}
				checkOne(t, cfg, tc.want)
			})
		}
	}
}

// ORIGIN and GATEWAY_CONFIG keep their meaning in every format: a number
// for ORIGIN is a problem (the Worker refuses it), GATEWAY_CONFIG may be a
// table or object (the Worker uses it as that JSON), validated as the
// string form is.
func TestLoad_originAndConfigTypes(t *testing.T) {
	const policy = `{"routes": [{"prefix": "/health", "public": true}, {"prefix": "/"}], "timeout": "30s"}`
	const tomlPolicy = `{ routes = [ { prefix = "/health", public = true }, { prefix = "/" } ], timeout = "30s" }`
	for _, tc := range []struct {
		name string
		edit func(string, string) string // the file and its name -> the edited file
		want string
	}{
		{"origin as a number", func(s, file string) string {
			return strings.Replace(strings.Replace(s, `ORIGIN = "https://origin.example.com"`, `ORIGIN = 8080`, 1), `"ORIGIN": "https://origin.example.com"`, `"ORIGIN": 8080`, 1)
		}, "ORIGIN is a number, not a string: the Worker refuses it"},
		{"origin as a boolean", func(s, file string) string {
			return strings.Replace(strings.Replace(s, `ORIGIN = "https://origin.example.com"`, `ORIGIN = true`, 1), `"ORIGIN": "https://origin.example.com"`, `"ORIGIN": true`, 1)
		}, "ORIGIN is a boolean, not a string"},
		{"gateway config as an object", func(s, file string) string { return withConfig(t, s, file, tomlPolicy, policy) }, ""},
		{"gateway config object with an unknown field", func(s, file string) string {
			return withConfig(t, s, file, strings.Replace(tomlPolicy, "timeout", "tiemout", 1), strings.Replace(policy, "timeout", "tiemout", 1))
		}, "GATEWAY_CONFIG is not a gateway configuration"},
		{"gateway config object with a bad route", func(s, file string) string {
			return withConfig(t, s, file, strings.Replace(tomlPolicy, `"/health"`, `"health"`, 1), strings.Replace(policy, `"/health"`, `"health"`, 1))
		}, "must start with /"},
		{"gateway config as a number", func(s, file string) string { return withConfig(t, s, file, "1", "1") }, "GATEWAY_CONFIG is a number, not a string: the Worker wants a JSON object"},
		{"gateway config as an array", func(s, file string) string { return withConfig(t, s, file, "[1]", "[1]") }, "GATEWAY_CONFIG is an array, not a string"},
	} {
		for file, src := range wranglerFormats(t, `DEBUG = false`, `"DEBUG": false,`) {
			t.Run(tc.name+"/"+file, func(t *testing.T) {
				edited := tc.edit(src, file)
				if edited == src {
					t.Fatal("edit changed nothing")
				}
				checkOne(t, loadFile(t, file, edited), tc.want)
			})
		}
	}
}

// withConfig replaces GATEWAY_CONFIG's string value in the file with the
// TOML or JSON value given.
func withConfig(t *testing.T, s, file, tomlValue, jsonValue string) string {
	t.Helper()
	if strings.HasSuffix(file, ".toml") {
		i := strings.Index(s, "GATEWAY_CONFIG = '''")
		j := strings.Index(s[i+20:], "'''")
		if i < 0 || j < 0 {
			t.Fatal("no GATEWAY_CONFIG literal in wrangler.toml")
		}
		return s[:i] + "GATEWAY_CONFIG = " + tomlValue + s[i+20+j+3:]
	}
	var doc map[string]any
	if err := json.Unmarshal(jsonc.ToJSON([]byte(s)), &doc); err != nil {
		t.Fatal(err)
	}
	old, err := json.Marshal(doc["vars"].(map[string]any)["GATEWAY_CONFIG"])
	if err != nil || !strings.Contains(s, string(old)) {
		t.Fatalf("no GATEWAY_CONFIG string %s in %s", old, file)
	}
	return strings.Replace(s, string(old), jsonValue, 1)
}

func loadFile(t *testing.T, name, src string) *cfworker.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := cfworker.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func checkOne(t *testing.T, cfg *cfworker.Config, want string) {
	t.Helper()
	ps := cfworker.Check(cfg)
	switch {
	case want == "" && len(ps) != 0:
		t.Errorf("problems %v, want none", ps)
	case want != "" && (len(ps) != 1 || !strings.Contains(ps[0].Message, want)):
		t.Errorf("problems %v, want one containing %q", ps, want)
	}
}

// HarnessOptions hands Miniflare each var as its own JSON value, as
// wrangler deploys it; an override is a string.
func TestHarnessOptions_varTypes(t *testing.T) {
	cfg := loadFile(t, "wrangler.json", wranglerFormats(t, "", `"GATEWAY_WARMUP": 1500, "DEBUG": true,`)["wrangler.json"])
	var got struct{ Vars map[string]any }
	if err := json.Unmarshal([]byte(cfworker.HarnessOptions(cfg, map[string]string{"ORIGIN": "http://127.0.0.1:9"})), &got); err != nil {
		t.Fatal(err)
	}
	if got.Vars["GATEWAY_WARMUP"] != 1500.0 || got.Vars["DEBUG"] != true || got.Vars["ORIGIN"] != "http://127.0.0.1:9" {
		t.Errorf("vars %v; want GATEWAY_WARMUP 1500 (a number), DEBUG true, ORIGIN the override", got.Vars)
	}
	if _, ok := got.Vars["GATEWAY_CONFIG"].(string); !ok {
		t.Errorf("GATEWAY_CONFIG %T; want the string it is in the file", got.Vars["GATEWAY_CONFIG"])
	}
}
