package sqlitestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
	"github.com/rampartdev/rampart/idempotency/sqlitestore"
)

// crashEnv names the database file a re-executed test binary works on
// before it dies with SIGKILL.
const crashEnv = "RAMPART_IDEMPOTENCY_CRASH_HELPER"

// crashLease is the helper's invocation deadline, hence its lease (plus the
// skew margin).
const crashLease = 30 * time.Second

// TestStore_CrashHelper is not a test: TestStore_crash runs the test binary
// again with crashEnv set, to be a process that completes one delivery, then
// dies with SIGKILL inside the function of another.
func TestStore_CrashHelper(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestStore_crash")
	}
	fail := func(args ...any) { fmt.Fprintln(os.Stderr, args...); os.Exit(2) }
	ctx, cancel := context.WithTimeout(context.Background(), crashLease)
	defer cancel()
	s, err := sqlitestore.Open(ctx, path, nil)
	if err != nil {
		fail(err)
	}
	g := idempotency.New(s, &idempotency.Options{Namespace: "crash", Logger: slog.New(slog.DiscardHandler)})
	res, err := g.Do(ctx, "completed", []byte("p"), func(context.Context) ([]byte, error) { return []byte("the helper's result"), nil })
	if err != nil || string(res) != "the helper's result" {
		fail("Do:", string(res), err)
	}
	fmt.Println("completed")
	_, err = g.Do(ctx, "running", []byte("p"), func(context.Context) ([]byte, error) {
		fmt.Println("running")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	})
	fail("Do returned after SIGKILL:", err)
}

// A process killed (SIGKILL) after a delivery completed, and another killed
// while its function ran: when the file is opened again, the first is
// replayed, the second is in progress until the dead holder's lease ends,
// then taken over and run once.
func TestStore_crash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idempotency.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestStore_CrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || string(out) != "completed\nrunning\n" {
		t.Fatalf("helper did not crash as planned: %v\n%s%s", err, out, stderr.Bytes())
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want SIGKILL", err)
	}

	s, err := sqlitestore.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clock := idempotencytest.NewClock()
	g := idempotency.New(s, &idempotency.Options{Namespace: "crash", Now: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	var runs atomic.Int64
	fn := func(context.Context) ([]byte, error) { runs.Add(1); return []byte("ours"), nil }

	if res, err := g.Do(t.Context(), "completed", []byte("p"), fn); err != nil || string(res) != "the helper's result" {
		t.Errorf("the completed delivery after the crash: %q, %v; want the helper's result replayed", res, err)
	}
	_, err = g.Do(t.Context(), "running", []byte("p"), fn)
	ipe, ok := errors.AsType[*idempotency.InProgressError](err)
	if !ok || ipe.RetryAfter > crashLease+idempotency.DefaultSkewMargin || ipe.RetryAfter < crashLease/2 {
		t.Fatalf("the dead holder's delivery: %v; want *InProgressError until its lease ends", err)
	}
	clock.Advance(ipe.RetryAfter + time.Millisecond)
	if res, err := g.Do(t.Context(), "running", []byte("p"), fn); err != nil || string(res) != "ours" {
		t.Errorf("after the dead holder's lease: %q, %v; want a takeover", res, err)
	}
	if res, err := g.Do(t.Context(), "running", []byte("p"), fn); err != nil || string(res) != "ours" || runs.Load() != 1 {
		t.Errorf("a later duplicate: %q, %v after %d runs; want the replay after 1 run", res, err, runs.Load())
	}
}
