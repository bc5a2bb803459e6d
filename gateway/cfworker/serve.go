package cfworker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Build builds the Worker bundle (gateway.wasm, wasm_exec.js, worker.mjs)
// into out by running deploy/cloudflare/build.sh of the repository at root.
func Build(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "deploy", "cloudflare", "build.sh"), out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build worker: %w\n%s", err, b)
	}
	return nil
}

// KVPair is one entry of wrangler's bulk KV format (`wrangler kv bulk put`).
type KVPair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ServeOptions configure [Serve].
type ServeOptions struct {
	Node   string            // the node executable; "" means "node"
	Root   string            // the repository root (for deploy/cloudflare)
	Dist   string            // the bundle built by Build
	Config *Config           // the wrangler configuration to emulate
	Vars   map[string]string // override Config.Vars (ORIGIN for a test origin)
	// JSONVars override both with JSON values: a number or an object reaches
	// the Worker as one, as wrangler passes a var written that way.
	JSONVars map[string]json.RawMessage
	Seed     []KVPair  // put into the TOKENS namespace before serving
	Output   io.Writer // receives the Worker's console output; nil discards it
}

// Local is a Worker served by workerd on 127.0.0.1.
type Local struct {
	URL     string        // base URL, without a trailing slash
	Startup time.Duration // from starting Miniflare to ready, including workerd's start
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	done    chan struct{}
	once    sync.Once
}

// Serve starts the Worker in workerd through the Miniflare API
// (deploy/cloudflare/test/serve.mjs), offline: no request.cf fetching, no
// telemetry, KV and Durable Objects in memory.
func Serve(ctx context.Context, opts *ServeOptions) (*Local, error) {
	var o ServeOptions
	if opts != nil {
		o = *opts
	}
	dir := filepath.Join(o.Root, "deploy", "cloudflare")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "miniflare", "package.json")); err != nil {
		return nil, errNoHarness
	}
	node := o.Node
	if node == "" {
		node = "node"
	}
	optsJSON := HarnessOptions(o.Config, o.Vars)
	if len(o.JSONVars) > 0 {
		var h map[string]json.RawMessage
		var vars map[string]json.RawMessage
		if err := json.Unmarshal([]byte(optsJSON), &h); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(h["vars"], &vars); err != nil || vars == nil {
			vars = map[string]json.RawMessage{}
		}
		for k, v := range o.JSONVars {
			vars[k] = v
		}
		h["vars"], _ = json.Marshal(vars)
		b, err := json.Marshal(h)
		if err != nil {
			return nil, fmt.Errorf("cfworker: JSONVars: %w", err)
		}
		optsJSON = string(b)
	}
	env := append(os.Environ(),
		"RAMPART_WORKER_DIST="+o.Dist,
		"RAMPART_WORKER_OPTIONS="+optsJSON,
		"WRANGLER_SEND_METRICS=false",
		"CLOUDFLARE_CF_FETCH_ENABLED=false",
		"MINIFLARE_CF_FETCH_ENABLED=false",
		"DO_NOT_TRACK=1",
	)
	if len(o.Seed) > 0 {
		b, _ := json.Marshal(o.Seed)
		seed := filepath.Join(o.Dist, "kv-seed.json")
		if err := os.WriteFile(seed, b, 0o600); err != nil {
			return nil, err
		}
		env = append(env, "RAMPART_KV_SEED="+seed)
	}
	cmd := exec.Command(node, filepath.Join(dir, "test", "serve.mjs"))
	cmd.Dir = dir
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	l := &Local{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "RAMPART_READY "); ok && !sent {
				var r struct {
					URL     string  `json:"url"`
					ReadyMS float64 `json:"ready_ms"`
				}
				err := json.Unmarshal([]byte(rest), &r)
				l.URL = strings.TrimSuffix(r.URL, "/")
				l.Startup = time.Duration(r.ReadyMS * float64(time.Millisecond))
				ready <- err
				sent = true
				continue
			}
			fmt.Fprintln(out, line)
		}
		if !sent {
			ready <- errors.New("cfworker: the harness exited before it was ready")
		}
		_ = cmd.Wait()
	}()
	select {
	case err := <-ready:
		if err != nil {
			l.Close()
			return nil, err
		}
		return l, nil
	case <-ctx.Done():
		l.Close()
		return nil, ctx.Err()
	case <-time.After(60 * time.Second):
		l.Close()
		return nil, errors.New("cfworker: workerd did not start within 60s")
	}
}

// HarnessOptions returns the JSON the test harnesses in
// deploy/cloudflare/test take (serve.mjs as RAMPART_WORKER_OPTIONS,
// cpuprofile.mjs as an argument): cfg's compatibility date, bindings,
// SQLite classes and variables, with vars overriding cfg's. A variable
// [Load] read is passed as its JSON value (a number stays a number), as
// wrangler deploys it.
func HarnessOptions(cfg *Config, vars map[string]string) string {
	all := map[string]any{}
	for k, v := range cfg.Vars {
		all[k] = v
		if jv, ok := cfg.values[k]; ok {
			all[k] = jv
		}
	}
	for k, v := range vars {
		all[k] = v
	}
	var kv, sqlite []string
	for _, ns := range cfg.KVNamespaces {
		kv = append(kv, ns.Binding)
	}
	dos := map[string]string{}
	for _, b := range cfg.DurableObjects.Bindings {
		dos[b.Name] = b.ClassName
	}
	for _, m := range cfg.Migrations {
		sqlite = append(sqlite, m.NewSQLiteClasses...)
	}
	b, _ := json.Marshal(map[string]any{
		"compatibility_date": cfg.CompatibilityDate,
		"vars":               all,
		"kv_namespaces":      kv,
		"durable_objects":    dos,
		"sqlite_classes":     sqlite,
	})
	return string(b)
}

// Close stops workerd and waits for it.
func (l *Local) Close() error {
	l.once.Do(func() {
		_ = l.stdin.Close()
		select {
		case <-l.done:
		case <-time.After(10 * time.Second):
			_ = l.cmd.Process.Kill()
			<-l.done
		}
	})
	return nil
}
