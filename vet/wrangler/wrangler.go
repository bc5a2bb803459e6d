// Package wrangler checks a Cloudflare Worker's wrangler configuration
// (wrangler.toml, wrangler.json or wrangler.jsonc) where the
// recipe says its bugs live, in the binding values:
//
//   - wrangler-id: a placeholder ("<your-kv-id>"), all-zero or malformed
//     resource id (a KV namespace or Hyperdrive id is 32 hex characters, a
//     D1 database id a UUID);
//   - wrangler-main: a main that does not exist and that no [build] command
//     produces;
//   - wrangler-bindings: bindings the Worker's code uses that the file does
//     not declare, and declared ones the code never uses;
//   - wrangler-preview-id: a KV, R2 or D1 binding without its preview id
//     where `wrangler dev --remote` is used (it refuses to start without);
//   - wrangler-kv-account: KV ids that are not in the account, given the
//     JSON that `wrangler kv namespace list` prints.
//
// A binding without an id is accepted: wrangler 4.45 and later create the
// resource on the first deploy and write its id back.
package wrangler

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/rampartdev/rampart/internal/jsonc"
	"github.com/rampartdev/rampart/vet"
)

// Rules names the rules this package checks.
var Rules = []string{"wrangler-id", "wrangler-main", "wrangler-bindings", "wrangler-preview-id", "wrangler-kv-account"}

// Options are the inputs beyond the file. The zero value checks the file
// and the code it names.
type Options struct {
	// KVList is the path of a file holding what `wrangler kv namespace
	// list` prints (JSON); "" skips wrangler-kv-account.
	KVList string
	// Remote says that `wrangler dev --remote` is used. It is also true
	// when a package.json beside the file runs it.
	Remote bool
}

// config is the part of a wrangler configuration the rules read (the same
// keys in TOML and JSON); environments ([env.NAME], "env": {NAME: ...})
// repeat the binding tables.
type config struct {
	Main  string `toml:"main" json:"main"`
	Build struct {
		Command  string `toml:"command" json:"command"`
		WatchDir any    `toml:"watch_dir" json:"watch_dir"`
	} `toml:"build" json:"build"`
	bindings `toml:",inline"`
	Env      map[string]bindings `toml:"env" json:"env"`
}

type bindings struct {
	Vars         map[string]any `toml:"vars" json:"vars"`
	KVNamespaces []struct {
		Binding   string `toml:"binding" json:"binding"`
		ID        string `toml:"id" json:"id"`
		PreviewID string `toml:"preview_id" json:"preview_id"`
	} `toml:"kv_namespaces" json:"kv_namespaces"`
	R2Buckets []struct {
		Binding           string `toml:"binding" json:"binding"`
		BucketName        string `toml:"bucket_name" json:"bucket_name"`
		PreviewBucketName string `toml:"preview_bucket_name" json:"preview_bucket_name"`
	} `toml:"r2_buckets" json:"r2_buckets"`
	D1Databases []struct {
		Binding           string `toml:"binding" json:"binding"`
		DatabaseID        string `toml:"database_id" json:"database_id"`
		PreviewDatabaseID string `toml:"preview_database_id" json:"preview_database_id"`
	} `toml:"d1_databases" json:"d1_databases"`
	Hyperdrive []struct {
		Binding string `toml:"binding" json:"binding"`
		ID      string `toml:"id" json:"id"`
	} `toml:"hyperdrive" json:"hyperdrive"`
	DurableObjects struct {
		Bindings []struct {
			Name string `toml:"name" json:"name"`
		} `toml:"bindings" json:"bindings"`
	} `toml:"durable_objects" json:"durable_objects"`
	Services []struct {
		Binding string `toml:"binding" json:"binding"`
	} `toml:"services" json:"services"`
	Queues struct {
		Producers []struct {
			Binding string `toml:"binding" json:"binding"`
		} `toml:"producers" json:"producers"`
	} `toml:"queues" json:"queues"`
	AnalyticsEngine []struct {
		Binding string `toml:"binding" json:"binding"`
	} `toml:"analytics_engine_datasets" json:"analytics_engine_datasets"`
	Vectorize []struct {
		Binding string `toml:"binding" json:"binding"`
	} `toml:"vectorize" json:"vectorize"`
	AI struct {
		Binding string `toml:"binding" json:"binding"`
	} `toml:"ai" json:"ai"`
	Browser struct {
		Binding string `toml:"binding" json:"binding"`
	} `toml:"browser" json:"browser"`
	Assets struct {
		Binding string `toml:"binding" json:"binding"`
	} `toml:"assets" json:"assets"`
}

// names returns every binding name b declares.
func (b bindings) names() []string {
	var n []string
	for k := range b.Vars {
		n = append(n, k)
	}
	for _, x := range b.KVNamespaces {
		n = append(n, x.Binding)
	}
	for _, x := range b.R2Buckets {
		n = append(n, x.Binding)
	}
	for _, x := range b.D1Databases {
		n = append(n, x.Binding)
	}
	for _, x := range b.Hyperdrive {
		n = append(n, x.Binding)
	}
	for _, x := range b.DurableObjects.Bindings {
		n = append(n, x.Name)
	}
	for _, x := range b.Services {
		n = append(n, x.Binding)
	}
	for _, x := range b.Queues.Producers {
		n = append(n, x.Binding)
	}
	for _, x := range b.AnalyticsEngine {
		n = append(n, x.Binding)
	}
	for _, x := range b.Vectorize {
		n = append(n, x.Binding)
	}
	for _, s := range []string{b.AI.Binding, b.Browser.Binding, b.Assets.Binding} {
		if s != "" {
			n = append(n, s)
		}
	}
	return n
}

var (
	hex32       = regexp.MustCompile(`^[0-9a-f]{32}$`)
	uuid        = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	placeholder = regexp.MustCompile(`(?i)[<>{}$]|your|xxx|todo|replace|change.?me|placeholder|example|^id$|\.\.\.`)
	zeros       = regexp.MustCompile(`^[0-]+$`)
)

// Names are the names of wrangler's configuration file, in the order
// wrangler prefers them when a folder holds several.
var Names = []string{"wrangler.json", "wrangler.jsonc", "wrangler.toml"}

// CheckFile checks the wrangler configuration at path: wrangler.toml, or
// wrangler.json / wrangler.jsonc (JSON with comments and trailing commas),
// chosen by the file's extension.
func CheckFile(path string, opts *Options) ([]vet.Finding, error) {
	if opts == nil {
		opts = &Options{}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c config
	if ext := filepath.Ext(path); ext == ".json" || ext == ".jsonc" {
		err = json.Unmarshal(jsonc.ToJSON(src), &c)
	} else {
		_, err = toml.Decode(string(src), &c)
	}
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	var fs []vet.Finding
	add := func(rule, needle, format string, args ...any) {
		fs = append(fs, vet.NewFinding(rule, path, lineOf(src, needle), format, args...))
	}

	envs := map[string]bindings{"": c.bindings}
	for name, e := range c.Env {
		envs[name] = e
	}
	var account map[string]string // id -> title
	if opts.KVList != "" {
		if account, err = readKVList(opts.KVList); err != nil {
			return nil, err
		}
	}
	remote := opts.Remote || usesRemoteDev(dir)
	for _, env := range sortedKeys(envs) {
		b := envs[env]
		where := ""
		if env != "" {
			where = " in [env." + env + "]"
		}
		for _, kv := range b.KVNamespaces {
			checkID(add, "KV namespace "+kv.Binding+where, "id", kv.ID, hex32, "32 hexadecimal characters", "wrangler kv namespace list", true)
			checkID(add, "KV namespace "+kv.Binding+where, "preview_id", kv.PreviewID, hex32, "32 hexadecimal characters", "wrangler kv namespace list", false)
			if remote && kv.ID != "" && kv.PreviewID == "" {
				add("wrangler-preview-id", `"`+kv.Binding+`"`, "KV namespace %s%s has no preview_id, which `wrangler dev --remote` requires (it will not use the production namespace); create one with `wrangler kv namespace create %s --preview` and set preview_id", kv.Binding, where, kv.Binding)
			}
			if account != nil {
				for _, id := range []string{kv.ID, kv.PreviewID} {
					if id != "" && hex32.MatchString(id) && account[id] == "" {
						add("wrangler-kv-account", id, "KV namespace %s%s: id %s is not among the account's namespaces in %s: a deploy fails (or binds another account's id); take the id from `wrangler kv namespace list`", kv.Binding, where, id, opts.KVList)
					}
				}
			}
		}
		for _, d := range b.D1Databases {
			checkID(add, "D1 database "+d.Binding+where, "database_id", d.DatabaseID, uuid, "a UUID", "wrangler d1 list", true)
			checkID(add, "D1 database "+d.Binding+where, "preview_database_id", d.PreviewDatabaseID, uuid, "a UUID", "wrangler d1 list", false)
			if remote && d.DatabaseID != "" && d.PreviewDatabaseID == "" {
				add("wrangler-preview-id", `"`+d.Binding+`"`, "D1 database %s%s has no preview_database_id, which `wrangler dev --remote` requires", d.Binding, where)
			}
		}
		for _, h := range b.Hyperdrive {
			checkID(add, "Hyperdrive "+h.Binding+where, "id", h.ID, hex32, "32 hexadecimal characters", "wrangler hyperdrive list", false)
		}
		for _, r := range b.R2Buckets {
			if r.BucketName != "" && placeholder.MatchString(r.BucketName) {
				add("wrangler-id", r.BucketName, "R2 bucket %s%s: bucket_name %q is a placeholder", r.Binding, where, r.BucketName)
			}
			if remote && r.PreviewBucketName == "" {
				add("wrangler-preview-id", `"`+r.Binding+`"`, "R2 bucket %s%s has no preview_bucket_name, which `wrangler dev --remote` requires", r.Binding, where)
			}
		}
	}

	// main, and the code it names.
	code, codeNote := "", ""
	switch {
	case c.Main == "":
		if c.Assets.Binding == "" {
			add("wrangler-main", "name", "no main: wrangler has no Worker entry point to deploy")
		}
	default:
		m := filepath.Join(dir, c.Main)
		fi, err := os.Stat(m)
		switch {
		case err == nil && !fi.IsDir():
			code = m
		case c.Build.Command != "":
			code = filepath.Join(dir, watchDir(c.Build.WatchDir))
			codeNote = " (main is built by [build]; its sources in " + watchDir(c.Build.WatchDir) + " were read)"
		case err == nil: // a folder (main = ".." would have every file under it read)
			add("wrangler-main", "main", "main %q is a folder (relative to %s), not the Worker's entry file: `wrangler deploy` fails; name the file", c.Main, dir)
		default:
			add("wrangler-main", "main", "main %q does not exist (relative to %s) and no [build] command produces it: `wrangler deploy` fails; build it first or add [build] command", c.Main, dir)
		}
	}
	if _, err := os.Stat(code); code != "" && err != nil {
		code = "" // no sources to read: the binding checks are skipped
	}
	if code != "" {
		used, opaque, err := envUses(code)
		if err != nil {
			return nil, err
		}
		declared := map[string]bool{}
		for _, n := range c.bindings.names() {
			declared[n] = true
		}
		for _, n := range devVars(dir) {
			declared[n] = true // secrets: set with wrangler secret put, listed in .dev.vars
		}
		for _, n := range sortedKeys(used) {
			if !declared[n] {
				add("wrangler-bindings", "main", "the code uses env.%s, which the file does not declare: it is undefined at run time; add the binding (or the var, or list the secret in .dev.vars)%s", n, codeNote)
			}
		}
		if !opaque {
			for _, n := range c.bindings.names() {
				if !used[n] {
					add("wrangler-bindings", n, "binding %s is declared but the code never uses env.%s: a stale or misspelt name%s", n, n, codeNote)
				}
			}
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Line < fs[j].Line })
	return vet.Suppress(fs, src), nil
}

// checkID checks one id of a binding: list is the wrangler command that
// lists the account's real ids, provisioned says wrangler creates the
// resource when the id is left out.
func checkID(add func(rule, needle, format string, args ...any), what, key, id string, valid *regexp.Regexp, form, list string, provisioned bool) {
	fix := "put the real id (`" + list + "`)"
	if provisioned {
		fix += ", or remove the line and let wrangler >= 4.45 create it"
	}
	switch {
	case id == "":
	case placeholder.MatchString(id):
		add("wrangler-id", id, "%s: %s %q is a placeholder: `wrangler deploy` fails, or binds nothing; %s", what, key, id, fix)
	case zeros.MatchString(id):
		add("wrangler-id", id, "%s: %s %q is all zeros, a stand-in that no account has; %s", what, key, id, fix)
	case !valid.MatchString(id):
		add("wrangler-id", id, "%s: %s %q is malformed: it must be %s", what, key, id, form)
	}
}

func watchDir(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		if len(v) > 0 {
			if s, ok := v[0].(string); ok {
				return s
			}
		}
	}
	return "src" // wrangler's default
}

// envImport finds the module-scope env of `import { env } from
// "cloudflare:workers"` (possibly renamed: env as moduleEnv), which code
// reads as it reads the fetch handler's env.
var envImport = regexp.MustCompile(`import\s*\{([^{}]*)\}\s*from\s*["']cloudflare:workers["']`)

// envNames returns the names the source s imports cloudflare:workers' env
// as, besides env itself.
func envNames(s string) []string {
	var names []string
	for _, m := range envImport.FindAllStringSubmatch(s, -1) {
		for _, f := range strings.Split(m[1], ",") {
			if name, alias, ok := strings.Cut(strings.TrimSpace(f), " as "); ok && strings.TrimSpace(name) == "env" {
				names = append(names, strings.TrimSpace(alias))
			}
		}
	}
	return names
}

// envPatterns are the ways code reads a binding through one of names:
// name.X and name?.X, name["X"] and name?.["X"], { X } = name, and
// name[expr] (opaque).
type envPatterns struct{ dot, index, destr, dynamic *regexp.Regexp }

// plainEnv are the patterns of code that reads only env (no import of
// cloudflare:workers' env under another name): most files.
var plainEnv = newEnvPatterns(nil)

// newEnvPatterns returns the patterns for env and the aliases.
func newEnvPatterns(aliases []string) envPatterns {
	q := []string{"env"}
	for _, n := range aliases {
		q = append(q, regexp.QuoteMeta(n))
	}
	id := `(?:` + strings.Join(q, "|") + `)`
	return envPatterns{
		dot:     regexp.MustCompile(`\b` + id + `(?:\?)?\.([A-Za-z_$][A-Za-z0-9_$]*)`),
		index:   regexp.MustCompile(`\b` + id + `(?:\?\.)?\[\s*["'` + "`" + `]([A-Za-z_$][A-Za-z0-9_$]*)["'` + "`" + `]\s*\]`),
		destr:   regexp.MustCompile(`\{([^{}]*)\}\s*=\s*` + id + `\b`),
		dynamic: regexp.MustCompile(`\b` + id + `(?:\?\.)?\[\s*[^"'` + "`" + `\s]`),
	}
}

// envUses returns the binding names the JavaScript or TypeScript code at
// path (a file or a folder) reads from env, and whether it reads env in a
// way names cannot be told from (env[expr]).
func envUses(path string) (map[string]bool, bool, error) {
	used := map[string]bool{}
	opaque := false
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".js", ".mjs", ".cjs", ".ts", ".mts", ".jsx", ".tsx":
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(b)
		pat := plainEnv
		if aliases := envNames(s); len(aliases) > 0 {
			pat = newEnvPatterns(aliases)
		}
		for _, m := range pat.dot.FindAllStringSubmatch(s, -1) {
			used[m[1]] = true
		}
		for _, m := range pat.index.FindAllStringSubmatch(s, -1) {
			used[m[1]] = true
		}
		for _, m := range pat.destr.FindAllStringSubmatch(s, -1) {
			for _, f := range strings.Split(m[1], ",") {
				name, _, _ := strings.Cut(strings.TrimSpace(f), ":")
				if name = strings.TrimSpace(name); name != "" {
					used[name] = true
				}
			}
		}
		if pat.dynamic.MatchString(s) {
			opaque = true
		}
		return nil
	})
	return used, opaque, err
}

// devVars returns the names in .dev.vars (and .dev.vars.example) beside the
// file: the secrets the Worker reads.
func devVars(dir string) []string {
	var names []string
	for _, f := range []string{".dev.vars", ".dev.vars.example"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if k, _, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
				names = append(names, strings.TrimSpace(k))
			}
		}
	}
	return names
}

// usesRemoteDev reports whether a package.json in dir runs `wrangler dev
// --remote`.
func usesRemoteDev(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return false
	}
	var p struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(b, &p) != nil {
		return false
	}
	for _, s := range p.Scripts {
		if strings.Contains(s, "wrangler dev") && (strings.Contains(s, "--remote") || regexp.MustCompile(`\s-r\b`).MatchString(s)) {
			return true
		}
	}
	return false
}

// readKVList reads `wrangler kv namespace list` output: [{id, title}].
func readKVList(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var l []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: not the JSON of `wrangler kv namespace list`: %w", path, err)
	}
	m := map[string]string{}
	for _, x := range l {
		m[x.ID] = x.Title
		if x.Title == "" {
			m[x.ID] = x.ID
		}
	}
	return m, nil
}

// lineOf returns the first line of src that contains needle, or 0.
func lineOf(src []byte, needle string) int {
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, needle) && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			return i + 1
		}
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}
