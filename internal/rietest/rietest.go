// Package rietest runs a Lambda bootstrap as it is deployed (built for
// Linux with -tags lambda.norpc and CGO off) under the Lambda Runtime
// Interface Emulator (aws-lambda-rie, a tool of this module) on 127.0.0.1,
// for tests. The bootstrap's stdout and stderr are kept apart from the
// emulator's own lines, so that a test can check every byte the function
// writes.
package rietest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// Function is a bootstrap running under the emulator.
type Function struct {
	addr           string
	stdout, stderr string // the bootstrap's output files
}

// Start builds the package pkg (a path go build accepts) as a bootstrap and
// aws-lambda-rie, then starts the emulator with the bootstrap and env (PATH
// and HOME are added), and stops it when the test ends, logging all output
// if the test failed. The environment is all the bootstrap sees.
func Start(t *testing.T, pkg string, env []string) *Function {
	t.Helper()
	return Build(t, pkg).Start(t, env)
}

// Bootstrap is a bootstrap and the emulator, built once for several
// functions (each with an environment of its own).
type Bootstrap struct{ dir string }

// Build builds the package pkg as a bootstrap (for Linux, -tags
// lambda.norpc, as deployed) and aws-lambda-rie, in a folder that lasts
// as long as t.
func Build(t *testing.T, pkg string) *Bootstrap {
	t.Helper()
	goTool := testenv.Command(t, "go")
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, b := range [][]string{
		{filepath.Join(dir, "bootstrap.real"), "-tags", "lambda.norpc", "-trimpath", pkg},
		{filepath.Join(dir, "aws-lambda-rie"), "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = build(goTool, b[0], b[1:]...)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &Bootstrap{dir: dir}
}

// Start starts the emulator with the bootstrap and env (PATH and HOME, a
// folder of its own, are added) and stops it when t ends, logging all
// output if t failed.
func (b *Bootstrap) Start(t *testing.T, env []string) *Function {
	t.Helper()
	dir := t.TempDir()
	f := &Function{stdout: filepath.Join(dir, "stdout.log"), stderr: filepath.Join(dir, "stderr.log")}
	// The emulator starts this wrapper as the bootstrap: it runs the real
	// one with its stdout and stderr in files of their own.
	// t.TempDir keeps characters of the test's name such as $, ( and &.
	wrapper := "#!/bin/sh\nexec " + shQuote(filepath.Join(b.dir, "bootstrap.real")) + " >>" + shQuote(f.stdout) + " 2>>" + shQuote(f.stderr) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// The emulator binds the two addresses itself, so a port found free
	// may be taken before it does (another test's emulator, or a
	// connection's local port): an emulator that exits before it answers
	// is started again on other ports.
	for attempt := 1; ; attempt++ {
		f.addr = freeAddr(t)
		rie := exec.Command(filepath.Join(b.dir, "aws-lambda-rie"),
			"--runtime-interface-emulator-address", f.addr, "--runtime-api-address", freeAddr(t), filepath.Join(dir, "bootstrap"))
		rie.Dir = dir
		rie.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
		out := new(testingutil.Buffer)
		rie.Stdout, rie.Stderr = out, out
		if err := rie.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { rie.Wait(); close(exited) }()
		if ready(f.addr, exited) {
			t.Cleanup(func() {
				rie.Process.Kill()
				<-exited
				if t.Failed() {
					for _, p := range []string{f.stdout, f.stderr} {
						b, _ := os.ReadFile(p)
						t.Logf("bootstrap %s:\n%s", filepath.Base(p), b)
					}
					t.Logf("emulator:\n%s", out.String())
				}
			})
			return f
		}
		if attempt == 5 {
			t.Fatalf("the emulator exited before answering, 5 times; the last said:\n%s", out.String())
		}
		t.Logf("the emulator exited before answering (attempt %d), starting it on other ports:\n%s", attempt, out.String())
	}
}

// ready waits until addr accepts connections while the emulator has not
// exited, for up to two minutes (a loaded machine may take seconds to start
// it); it reports false when the emulator exited first, or answered but
// then exited (the answer was another process's, on a port it took first).
func ready(addr string, exited <-chan struct{}) bool {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			select {
			case <-exited:
				return false
			case <-time.After(50 * time.Millisecond): // a bind failure ends it at once
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// Invoke sends one invocation with request id and returns the function's
// response (an error response too).
func (f *Function) Invoke(t *testing.T, requestID string, payload []byte) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+f.addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	req.Header.Set("X-Amzn-RequestId", requestID)
	resp, err := (&http.Client{Timeout: 90 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// Output returns what the bootstrap wrote to stdout so far.
func (f *Function) Output() string {
	b, _ := os.ReadFile(f.stdout)
	return string(b)
}

// Line is one line the bootstrap wrote.
type Line struct {
	Raw    string
	Fields map[string]any
}

// Lines returns every line the bootstrap wrote, stdout's then stderr's,
// and fails t for each that is not exactly one JSON object or that names
// correlation_id more than once.
func (f *Function) Lines(t *testing.T) []Line {
	t.Helper()
	var out []Line
	for _, p := range []string{f.stdout, f.stderr} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s does not end in a newline", filepath.Base(p))
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			dec := json.NewDecoder(strings.NewReader(line))
			var m map[string]any
			if err := dec.Decode(&m); err != nil || dec.More() {
				t.Errorf("%s: not one JSON object: %q", filepath.Base(p), line)
				continue
			}
			if n := strings.Count(line, `"correlation_id":`); n > 1 {
				t.Errorf("%s: correlation_id %d times: %s", filepath.Base(p), n, line)
			}
			out = append(out, Line{line, m})
		}
	}
	return out
}

// WaitFor polls ok for up to two minutes (a bound on a hang: a loaded
// machine may take seconds to start the emulator) and fails t if it never
// holds.
func WaitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !ok(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func build(goTool, out string, args ...string) error {
	cmd := exec.Command(goTool, append([]string{"build", "-o", out}, args...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %v: %v\n%s", args, err, b)
	}
	return nil
}

// shQuote quotes s for sh, as one word taken literally.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Ports handed out by freeAddr in this process.
var ports struct {
	sync.Mutex
	used map[int]bool
}

// freeAddr returns a 127.0.0.1 address whose port is free now, never one
// it returned before in this process, below Linux's ephemeral range
// (32768-60999), from which the kernel picks connections' local ports and
// other processes' ":0" listeners, and above tools/testenv's servers
// (10000-19999).
func freeAddr(t *testing.T) string {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	if ports.used == nil {
		ports.used = map[int]bool{}
	}
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		if ports.used[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		ports.used[port] = true
		return l.Addr().String()
	}
	t.Fatal("no free port between 20000 and 32000")
	return ""
}
