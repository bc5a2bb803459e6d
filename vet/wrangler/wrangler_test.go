package wrangler_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/vet/wrangler"
)

const goodID = "0f2ac74b498b48028cb68387c421e279"

// project writes a Worker project: wrangler.toml, and files by name.
func project(t *testing.T, toml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["wrangler.toml"] = toml
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "wrangler.toml")
}

const worker = "export default { async fetch(req, env) { return new Response(await env.KV.get('x') ?? env.GREETING); } };\n"

func TestCheckFile(t *testing.T) {
	kv := func(id string) string {
		return "name = \"w\"\nmain = \"src/index.js\"\n[vars]\nGREETING = \"hi\"\n[[kv_namespaces]]\nbinding = \"KV\"\n" + id + "\n"
	}
	for _, tc := range []struct {
		name  string
		toml  string
		files map[string]string
		opts  *wrangler.Options
		want  []string // "rule: message part" ("$" last: the message's end), in order
	}{
		{name: "the recipe's placeholder", toml: kv(`id = "<your-kv-id>"`),
			want: []string{`wrangler-id: KV namespace KV: id "<your-kv-id>" is a placeholder`}},
		{name: "all-zero id", toml: kv(`id = "00000000000000000000000000000000"`),
			want: []string{"wrangler-id: KV namespace KV: id \"00000000000000000000000000000000\" is all zeros"}},
		{name: "malformed id", toml: kv(`id = "0F2AC74B498B"`),
			want: []string{`wrangler-id: KV namespace KV: id "0F2AC74B498B" is malformed: it must be 32 hexadecimal characters`}},
		{name: "a real id", toml: kv(`id = "` + goodID + `"`)},
		{name: "D1 placeholder: its own list command", toml: kv(`id = "`+goodID+`"`) + "[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"prod\"\ndatabase_id = \"your-database-id\"\n",
			files: map[string]string{"src/index.js": worker + "export const f = (env) => env.DB;\n"},
			want:  []string{"wrangler-id: D1 database DB: database_id \"your-database-id\" is a placeholder: `wrangler deploy` fails, or binds nothing; put the real id (`wrangler d1 list`), or remove the line"}},
		{name: "Hyperdrive placeholder: wrangler does not create one", toml: kv(`id = "`+goodID+`"`) + "[[hyperdrive]]\nbinding = \"HD\"\nid = \"<hyperdrive-id>\"\n",
			files: map[string]string{"src/index.js": worker + "export const f = (env) => env.HD;\n"},
			want:  []string{"wrangler-id: Hyperdrive HD: id \"<hyperdrive-id>\" is a placeholder: `wrangler deploy` fails, or binds nothing; put the real id (`wrangler hyperdrive list`)$"}},
		{name: "no id: wrangler provisions it", toml: kv("")},
		{name: "placeholder in an environment", toml: kv(`id = "`+goodID+`"`) + "[env.staging]\n[[env.staging.kv_namespaces]]\nbinding = \"KV\"\nid = \"TODO\"\n",
			want: []string{`wrangler-id: KV namespace KV in [env.staging]: id "TODO" is a placeholder`}},
		{name: "main missing", toml: strings.Replace(kv(""), "src/index.js", "dist/index.js", 1),
			want: []string{`wrangler-main: main "dist/index.js" does not exist`}},
		{name: "main a folder: not read", toml: strings.Replace(kv(""), "src/index.js", "..", 1),
			want: []string{`wrangler-main: main ".." is a folder`}},
		{name: "main built by [build]: its sources are read", toml: strings.Replace(kv(""), "src/index.js", "dist/index.js", 1) + "[build]\ncommand = \"npm run build\"\n",
			files: map[string]string{"src/index.js": worker, "dist/.keep": ""}},
		{name: "a binding the code uses is missing, a declared one unused",
			toml:  kv("") + "[[r2_buckets]]\nbinding = \"OLD_BUCKET\"\nbucket_name = \"media\"\n",
			files: map[string]string{"src/index.js": worker + "export const f = (env) => env.CACHE.get('k');\n"},
			want:  []string{"wrangler-bindings: the code uses env.CACHE, which the file does not declare", "wrangler-bindings: binding OLD_BUCKET is declared but the code never uses env.OLD_BUCKET"}},
		{name: "destructured, indexed and secret bindings", toml: kv(""),
			files: map[string]string{"src/index.js": "export default { fetch(r, env) { const { KV } = env; return env['GREETING'] + env.API_KEY + KV; } };\n", ".dev.vars": "API_KEY=dev-only\n"}},
		{name: "cloudflare:workers' env, renamed, and optional chaining", toml: kv(""),
			files: map[string]string{"src/index.js": "import { DurableObject, env as moduleEnv } from \"cloudflare:workers\";\nconst g = moduleEnv?.GREETING;\nexport default { fetch(r, env) { return env?.[\"KV\"].get(g) ?? myenv.OTHER; } };\n"}},
		{name: "an env that is not cloudflare:workers' is not read", toml: kv(""),
			files: map[string]string{"src/index.js": worker + "import { env as e } from \"./config.js\";\nexport const f = () => e.STALE;\n"}},
		{name: "dynamic env access: unused bindings are not reported", toml: kv("") + "[[r2_buckets]]\nbinding = \"B\"\nbucket_name = \"media\"\n",
			files: map[string]string{"src/index.js": "export default { fetch(r, env) { return env[r.headers.get('x')]; } };\n"}},
		{name: "dev --remote without preview_id", toml: kv(`id = "` + goodID + `"`),
			files: map[string]string{"package.json": `{"scripts": {"dev": "wrangler dev --remote"}}`},
			want:  []string{"wrangler-preview-id: KV namespace KV has no preview_id, which `wrangler dev --remote` requires"}},
		{name: "remote by option, preview_id set", toml: kv(`id = "` + goodID + `"` + "\npreview_id = \"" + strings.Repeat("a", 32) + `"`), opts: &wrangler.Options{Remote: true}},
		{name: "id not in the account", toml: kv(`id = "` + goodID + `"`),
			files: map[string]string{"kv.json": `[{"id": "` + strings.Repeat("b", 32) + `", "title": "w-KV"}]`}, opts: &wrangler.Options{KVList: "kv.json"},
			want: []string{"wrangler-kv-account: KV namespace KV: id " + goodID + " is not among the account's namespaces"}},
		{name: "id in the account", toml: kv(`id = "` + goodID + `"`),
			files: map[string]string{"kv.json": `[{"id": "` + goodID + `", "title": "w-KV"}]`}, opts: &wrangler.Options{KVList: "kv.json"}},
		{name: "suppressed with a reason", toml: kv(`id = "00000000000000000000000000000000" # rampart:ignore wrangler-id a template: the deploy script sets it`)},
		{name: "a directive without a reason", toml: kv(`id = "00000000000000000000000000000000" # rampart:ignore wrangler-id`),
			want: []string{"wrangler-id: KV namespace KV: id \"00000000000000000000000000000000\" is all zeros"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.files == nil {
				tc.files = map[string]string{}
			}
			if _, ok := tc.files["src/index.js"]; !ok {
				tc.files["src/index.js"] = worker
			}
			path := project(t, tc.toml, tc.files)
			if tc.opts != nil && tc.opts.KVList != "" {
				tc.opts.KVList = filepath.Join(filepath.Dir(path), tc.opts.KVList)
			}
			fs, err := wrangler.CheckFile(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != len(tc.want) {
				t.Fatalf("findings %v, want %d: %q", fs, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				got := fs[i].Rule + ": " + fs[i].Message
				if w, end := strings.CutSuffix(w, "$"); !strings.Contains(got, w) || end && !strings.HasSuffix(got, w) {
					t.Errorf("finding %d = %q, want %q", i, got, w)
				}
				if fs[i].Line == 0 {
					t.Errorf("finding %q has no line", fs[i])
				}
			}
		})
	}
}

// The repository's own Worker configuration passes its check.
func TestCheckFile_Repository(t *testing.T) {
	fs, err := wrangler.CheckFile(filepath.Join("..", "..", "deploy", "cloudflare", "wrangler.toml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Error(f)
	}
}

// TestCheckFile_jsonc: wrangler.json and wrangler.jsonc are read with the
// same rules; comments (also "//" inside strings, which are not comments),
// trailing commas and suppression directives work, and findings carry the
// JSON file's line.
func TestCheckFile_jsonc(t *testing.T) {
	const src = `// The Worker.
{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "w", /* a block
  comment */ "main": "src/index.js",
  "routes": [{"pattern": "https://example.com/*", "zone_name": "example.com"},],
  "vars": { "GREETING": "hi // not a comment", },
  "kv_namespaces": [
    {
      "binding": "KV",
      "id": "<your-kv-id>", // the recipe's placeholder
    },
  ],
  "env": {
    "staging": {
      "kv_namespaces": [{ "binding": "KV", "id": "00000000000000000000000000000000" }], // rampart:ignore wrangler-id filled in by the deploy script
    },
  },
}
`
	for _, name := range []string{"wrangler.jsonc", "wrangler.json"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			os.MkdirAll(filepath.Join(dir, "src"), 0o755)
			os.WriteFile(filepath.Join(dir, "src", "index.js"), []byte(worker), 0o644)
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			fs, err := wrangler.CheckFile(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 || fs[0].Rule != "wrangler-id" || fs[0].Line != 11 || !strings.Contains(fs[0].Message, `"<your-kv-id>" is a placeholder`) {
				t.Fatalf("findings %v, want one wrangler-id at line 11", fs)
			}
		})
	}
	// Not JSON at all: a parse error naming the file, not findings.
	dir := t.TempDir()
	bad := filepath.Join(dir, "wrangler.jsonc")
	os.WriteFile(bad, []byte(`{"main": "src/index.js" "name": "w"}`), 0o644)
	if _, err := wrangler.CheckFile(bad, nil); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("malformed wrangler.jsonc: err %v", err)
	}
}
