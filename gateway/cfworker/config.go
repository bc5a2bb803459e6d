// Package cfworker knows the Cloudflare Worker target of the gateway: what
// its wrangler configuration must declare ([Check]), how to build the bundle
// ([Build]) and how to run it locally in workerd through Miniflare
// ([Serve]), offline.
package cfworker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/rampartdev/rampart/gateway"
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

// Config is the part of a wrangler.toml the gateway depends on.
type Config struct {
	Name              string            `toml:"name"`
	Main              string            `toml:"main"`
	CompatibilityDate string            `toml:"compatibility_date"`
	Vars              map[string]string `toml:"vars"`
	KVNamespaces      []struct {
		Binding string `toml:"binding"`
		ID      string `toml:"id"`
	} `toml:"kv_namespaces"`
	DurableObjects struct {
		Bindings []struct {
			Name       string `toml:"name"`
			ClassName  string `toml:"class_name"`
			ScriptName string `toml:"script_name"`
		} `toml:"bindings"`
	} `toml:"durable_objects"`
	Migrations []struct {
		Tag              string   `toml:"tag"`
		NewClasses       []string `toml:"new_classes"`
		NewSQLiteClasses []string `toml:"new_sqlite_classes"`
		DeletedClasses   []string `toml:"deleted_classes"`
		RenamedClasses   []struct {
			From string `toml:"from"`
			To   string `toml:"to"`
		} `toml:"renamed_classes"`
	} `toml:"migrations"`
	Rules []struct {
		Type  string   `toml:"type"`
		Globs []string `toml:"globs"`
	} `toml:"rules"`
}

// Load reads a wrangler.toml. Vars that are not strings are an error: the
// Worker reads ORIGIN and GATEWAY_CONFIG as strings.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	if _, err := toml.Decode(string(b), &c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &c, nil
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
// URL, a valid GATEWAY_CONFIG if set, a compatibility date recent enough for
// Durable Object RPC, and a CompiledWasm rule for gateway.wasm.
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

	if o, ok := c.Vars[OriginVar]; !ok || o == "" {
		add("vars", "missing %s (the origin URL)", OriginVar)
	} else if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		add("vars", "%s = %q is not an http(s) URL without a query", OriginVar, o)
	}
	if s, ok := c.Vars[WarmupVar]; ok && strings.TrimSpace(s) != "" {
		t := strings.TrimSpace(s)
		if n, err := strconv.Atoi(t); err != nil || strings.Trim(t, "0123456789") != "" || n > MaxWarmup {
			add("vars", "%s = %q is not a count from 0 to %d (the Worker would warn and warm up with the default)", WarmupVar, s, MaxWarmup)
		}
	}
	if s, ok := c.Vars[ConfigVar]; ok && strings.TrimSpace(s) != "" {
		var gc gateway.Config
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&gc); err != nil {
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
