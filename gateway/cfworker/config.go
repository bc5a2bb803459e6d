// Package cfworker knows the Cloudflare Worker target of the gateway: what
// its wrangler configuration must declare ([Check]), how to build the bundle
// ([Build]) and how to run it locally in workerd through Miniflare
// ([Serve]), offline.
package cfworker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/internal/jsonc"
)

// What the Worker's code (deploy/cloudflare/src/worker.mjs) expects.
const (
	TokensBinding        = "TOKENS"       // KV namespace of token records by token id
	LimiterBinding       = "RATE_LIMITER" // Durable Object namespace
	LimiterClass         = "RateLimiter"  // the Durable Object class the Worker exports
	OriginVar            = "ORIGIN"       // the origin URL
	ConfigVar            = "GATEWAY_CONFIG"
	SeedVar              = "GATEWAY_SEED"   // secret: 32+ random bytes in hex, to start Go at module scope
	WarmupVar            = "GATEWAY_WARMUP" // requests warmed up at module scope: 0 to MaxWarmup; unset means 2000
	MaxWarmup            = 4000
	minCompatibilityDate = "2024-04-03" // Durable Object RPC (stub.limit) needs it
)

// Config is the part of a wrangler configuration (wrangler.toml,
// wrangler.json or wrangler.jsonc: the same keys) the gateway depends on.
type Config struct {
	Name              string `toml:"name" json:"name"`
	Main              string `toml:"main" json:"main"`
	CompatibilityDate string `toml:"compatibility_date" json:"compatibility_date"`
	// Vars holds each variable as the text the Worker's code reads from it:
	// a string as it is, a number or boolean as JavaScript's String(v)
	// spells it (2000, 2000.5, true), an object or array as its JSON text.
	// Wrangler passes a var that is not a string to the Worker as that JSON
	// value, not as text; [Load] keeps each one's type for [Check] and
	// [HarnessOptions].
	Vars         map[string]string `toml:"-" json:"-"`
	KVNamespaces []struct {
		Binding string `toml:"binding" json:"binding"`
		ID      string `toml:"id" json:"id"`
	} `toml:"kv_namespaces" json:"kv_namespaces"`
	DurableObjects struct {
		Bindings []struct {
			Name       string `toml:"name" json:"name"`
			ClassName  string `toml:"class_name" json:"class_name"`
			ScriptName string `toml:"script_name" json:"script_name"`
		} `toml:"bindings" json:"bindings"`
	} `toml:"durable_objects" json:"durable_objects"`
	Migrations []struct {
		Tag              string   `toml:"tag" json:"tag"`
		NewClasses       []string `toml:"new_classes" json:"new_classes"`
		NewSQLiteClasses []string `toml:"new_sqlite_classes" json:"new_sqlite_classes"`
		DeletedClasses   []string `toml:"deleted_classes" json:"deleted_classes"`
		RenamedClasses   []struct {
			From string `toml:"from" json:"from"`
			To   string `toml:"to" json:"to"`
		} `toml:"renamed_classes" json:"renamed_classes"`
	} `toml:"migrations" json:"migrations"`
	Rules []struct {
		Type  string   `toml:"type" json:"type"`
		Globs []string `toml:"globs" json:"globs"`
	} `toml:"rules" json:"rules"`

	// values holds the vars Load read as JSON values (string, json.Number,
	// bool, nil, map[string]any, []any), as wrangler sends them; nil for a
	// Config built in code, whose Vars are strings.
	values map[string]any
}

// Load reads a wrangler configuration: wrangler.json or wrangler.jsonc
// (JSON with comments and trailing commas) by the file's extension, else
// wrangler.toml. A variable may have any value TOML or JSON can write (a
// string, a number, a boolean, a table or object, an array), as wrangler
// allows: [Config.Vars] holds it as the Worker's code reads it, and
// [Check] validates that.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	var vars struct {
		Vars map[string]any `toml:"vars" json:"vars"`
	}
	if ext := filepath.Ext(path); ext == ".json" || ext == ".jsonc" {
		src := jsonc.ToJSON(b)
		if err := json.Unmarshal(src, &c); err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.UseNumber() // numbers as written, for String(v)
		if err := dec.Decode(&vars); err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
	} else {
		if _, err := toml.Decode(string(b), &c); err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		if _, err := toml.Decode(string(b), &vars); err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
	}
	if len(vars.Vars) > 0 {
		c.Vars = make(map[string]string, len(vars.Vars))
		c.values = make(map[string]any, len(vars.Vars))
	}
	for k, v := range vars.Vars {
		jv, err := jsonValue(v)
		if err != nil {
			return nil, fmt.Errorf("parse %s: vars.%s: %w", path, k, err)
		}
		c.values[k] = jv
		c.Vars[k] = workerText(jv)
	}
	return &c, nil
}

// jsonValue returns v, a TOML or JSON value, as the JSON value wrangler
// sends the Worker: TOML integers and floats become numbers, dates and
// times their RFC 3339 strings (as JSON.stringify writes a Date), and a
// float JSON cannot hold (nan, inf) null.
func jsonValue(v any) (any, error) {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// workerText returns the text the Worker's code reads from a var of JSON
// value v: String(v) for a string, number, boolean or null, the JSON text
// of an object or array.
func workerText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return jsNumber(string(v))
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v) // decoded from JSON: it encodes
	return string(b)
}

// jsNumber spells the JSON number n as JavaScript's Number.prototype.toString
// does: 2e3 is 2000, 2000.50 is 2000.5, -0 is 0, 1e21 is 1e+21, 1e-7 is 1e-7.
func jsNumber(n string) string {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return n // out of float64 range: JavaScript has Infinity; never a valid count or URL
	}
	if f == 0 {
		return "0"
	}
	if a := math.Abs(f); a >= 1e21 || a < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+21, 1e-07
		if m, e, ok := strings.Cut(s, "e"); ok {
			sign, digits := e[:1], strings.TrimLeft(e[1:], "0")
			return m + "e" + sign + digits
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// withArticle returns kind with its indefinite article ("an object").
func withArticle(kind string) string {
	if strings.IndexByte("aeiou", kind[0]) >= 0 {
		return "an " + kind
	}
	return "a " + kind
}

// kind returns the JSON type of var name: "string" (also for a Config
// built in code), "number", "boolean", "null", "object" or "array".
func (c *Config) kind(name string) string {
	v, ok := c.values[name]
	if !ok {
		return "string"
	}
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

// Problem is one way a configuration disagrees with the code.
type Problem struct {
	Field   string // the TOML key concerned, e.g. "durable_objects.bindings"
	Message string
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// ProblemsError is returned by [Config.Validate] when there are problems.
type ProblemsError struct{ Problems []Problem }

func (e *ProblemsError) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s) in the wrangler configuration:\n  %s", len(s), strings.Join(s, "\n  "))
}

// Validate returns a *ProblemsError listing every problem [Check] finds, or
// nil.
func (c *Config) Validate() error {
	if ps := Check(c); len(ps) > 0 {
		return &ProblemsError{ps}
	}
	return nil
}

// Check compares c with what the Worker's code expects: the TOKENS KV
// binding, the RATE_LIMITER Durable Object binding to class RateLimiter in
// this script, a migration that creates RateLimiter as a SQLite-backed
// class (and does not delete it later), the ORIGIN variable as an http(s)
// URL, a valid GATEWAY_CONFIG if set (a JSON string, or an object), a
// GATEWAY_WARMUP count if set (a string or a number: the Worker reads
// String(v)), ORIGIN as a string, no GATEWAY_SEED among the vars (it is
// a secret), a compatibility date recent enough for Durable Object RPC,
// and a CompiledWasm rule for gateway.wasm.
func Check(c *Config) []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{field, fmt.Sprintf(format, args...)})
	}
	if c.Main == "" {
		add("main", "missing: the Worker entry point (dist/worker.mjs)")
	}
	switch d, err := time.Parse(time.DateOnly, c.CompatibilityDate); {
	case c.CompatibilityDate == "":
		add("compatibility_date", "missing")
	case err != nil:
		add("compatibility_date", "%q is not a YYYY-MM-DD date", c.CompatibilityDate)
	case d.Format(time.DateOnly) < minCompatibilityDate:
		add("compatibility_date", "%s is before %s, which Durable Object RPC needs", c.CompatibilityDate, minCompatibilityDate)
	}

	// The binding's id may be absent (wrangler 4.45 and later create the
	// namespace on deploy); its form is checked by vet/wrangler's rules.
	kv := false
	for _, ns := range c.KVNamespaces {
		if ns.Binding == TokensBinding {
			kv = true
		}
	}
	if !kv {
		add("kv_namespaces", "missing KV binding %s (token records by hash)", TokensBinding)
	}

	do := false
	for _, b := range c.DurableObjects.Bindings {
		if b.Name != LimiterBinding {
			continue
		}
		do = true
		if b.ClassName != LimiterClass {
			add("durable_objects.bindings", "binding %s has class_name %q, want %q (the class the Worker exports)", LimiterBinding, b.ClassName, LimiterClass)
		}
		if b.ScriptName != "" {
			add("durable_objects.bindings", "binding %s names script %q; the class is defined in this Worker", LimiterBinding, b.ScriptName)
		}
	}
	if !do {
		add("durable_objects.bindings", "missing Durable Object binding %s (class %s)", LimiterBinding, LimiterClass)
	}

	// Follow the migrations in order: the class must end up existing, and
	// SQLite-backed (the object uses ctx.storage.sql).
	state := "" // "", "sqlite", "kv"
	for _, m := range c.Migrations {
		if slices.Contains(m.NewSQLiteClasses, LimiterClass) {
			state = "sqlite"
		}
		if slices.Contains(m.NewClasses, LimiterClass) {
			state = "kv"
		}
		for _, r := range m.RenamedClasses {
			if r.From == LimiterClass {
				state = ""
			}
		}
		if slices.Contains(m.DeletedClasses, LimiterClass) {
			state = ""
		}
	}
	switch state {
	case "":
		add("migrations", "no migration creates %s with new_sqlite_classes (or a later one deletes or renames it)", LimiterClass)
	case "kv":
		add("migrations", "%s is created with new_classes (key-value storage); it needs new_sqlite_classes", LimiterClass)
	}

	// What the Worker does with these when they are not strings
	// (deploy/cloudflare/src/worker.mjs): ORIGIN is refused, GATEWAY_CONFIG
	// may be an object (used as that JSON), GATEWAY_SEED is ignored.
	for _, v := range []struct{ name, but string }{
		{OriginVar, "the Worker refuses it and answers every request 500"},
		{ConfigVar, "the Worker wants a JSON object, or a string holding one, and starts no gateway"},
		{SeedVar, "the Worker ignores it and starts Go in the first request of each isolate"},
	} {
		if _, ok := c.Vars[v.name]; !ok {
			continue
		}
		if k := c.kind(v.name); k != "string" && (v.name != ConfigVar || k != "object") {
			add("vars", "%s is %s, not a string: %s", v.name, withArticle(k), v.but)
		} else if v.name == SeedVar {
			// The seed is worth something only while clients cannot know it.
			add("vars", "%s is a plain variable, readable by anyone who reads this file or the dashboard: set it with `wrangler secret put %s` instead", SeedVar, SeedVar)
		}
	}
	o, ok := c.Vars[OriginVar]
	switch u, err := url.Parse(o); {
	case c.kind(OriginVar) != "string": // reported above
	case !ok || o == "":
		add("vars", "missing %s (the origin URL)", OriginVar)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "":
		add("vars", "%s = %q is not an http(s) URL without a query", OriginVar, o)
	}
	if s, ok := c.Vars[WarmupVar]; ok && strings.TrimSpace(s) != "" {
		t := strings.TrimSpace(s)
		if n, err := strconv.Atoi(t); err != nil || strings.Trim(t, "0123456789") != "" || n > MaxWarmup {
			add("vars", "%s = %q is not a count from 0 to %d (the Worker would warn and warm up with the default)", WarmupVar, s, MaxWarmup)
		}
	}
	// The Worker takes the defaults only for "": anything else is parsed as
	// the core parses it (gateway.ParseConfig: one JSON object, nothing
	// after it).
	if s, ok := c.Vars[ConfigVar]; ok && s != "" && (c.kind(ConfigVar) == "string" || c.kind(ConfigVar) == "object") {
		if gc, err := gateway.ParseConfig([]byte(s)); err != nil {
			add("vars", "%s is not a gateway configuration: %v", ConfigVar, err)
		} else if err := validRoutes(gc); err != nil {
			add("vars", "%s: %v", ConfigVar, err)
		}
	}

	wasm := false
	for _, r := range c.Rules {
		if r.Type == "CompiledWasm" {
			for _, g := range r.Globs {
				if strings.HasSuffix(g, ".wasm") {
					wasm = true
				}
			}
		}
	}
	if !wasm {
		add("rules", "no CompiledWasm rule matching *.wasm (the Worker imports gateway.wasm)")
	}
	return ps
}

func validRoutes(gc gateway.Config) error {
	// gateway.New checks the routes; a token store stands in for KV.
	gc.Tokens = gateway.TokenStoreFunc(nil)
	_, err := gateway.New(gc)
	return err
}

// errNoHarness is returned when node_modules is missing.
var errNoHarness = errors.New("cfworker: Miniflare is not installed; run npm ci in deploy/cloudflare (make test does)")
