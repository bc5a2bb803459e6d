package queue_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/queue"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// mustOpen opens a queue in a new file and closes it when the test ends.
func mustOpen(tb testing.TB, opts *queue.Options) *queue.Queue {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "queue.db"), opts)
}

func mustOpenPath(tb testing.TB, path string, opts *queue.Options) *queue.Queue {
	tb.Helper()
	q, err := queue.Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { q.Close() })
	return q
}

func mustSend(tb testing.TB, q *queue.Queue, body string) string {
	tb.Helper()
	id, err := q.Send(context.Background(), []byte(body), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

func mustReceive(tb testing.TB, q *queue.Queue, max int) []queue.Message {
	tb.Helper()
	msgs, err := q.Receive(context.Background(), max, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return msgs
}

func mustStats(tb testing.TB, q *queue.Queue, want queue.Stats) {
	tb.Helper()
	got, err := q.Stats(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	got.OldestSentAt = time.Time{}
	if got != want {
		tb.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

func TestQueue_SendReceiveDelete(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	q := mustOpen(t, &queue.Options{Now: clk.Now})
	attrs := map[string]string{"bucket": "uploads", "key": "a/b.jpg"}
	id, err := q.Send(ctx, []byte("hello"), attrs)
	if err != nil {
		t.Fatal(err)
	}
	id2 := mustSend(t, q, "second")
	mustStats(t, q, queue.Stats{Visible: 2})

	msgs := mustReceive(t, q, 1)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.ID != id || string(m.Body) != "hello" || m.ReceiveCount != 1 || !m.SentAt.Equal(clk.Now()) ||
		m.Attributes["key"] != "a/b.jpg" || len(m.Attributes) != 2 || m.ReceiptHandle == "" {
		t.Fatalf("received %+v", m)
	}
	mustStats(t, q, queue.Stats{Visible: 1, InFlight: 1})

	msgs = mustReceive(t, q, 10)
	if len(msgs) != 1 || msgs[0].ID != id2 || msgs[0].Attributes != nil {
		t.Fatalf("second receive = %+v, want only %s", msgs, id2)
	}
	if msgs := mustReceive(t, q, 10); len(msgs) != 0 {
		t.Fatalf("third receive = %+v, want none (all in flight)", msgs)
	}
	if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
		t.Fatalf("deleting a deleted message = %v, want nil", err)
	}
	if err := q.Delete(ctx, msgs[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	mustStats(t, q, queue.Stats{})
	// Nothing comes back after the visibility timeout.
	clk.Advance(time.Hour)
	if msgs := mustReceive(t, q, 10); len(msgs) != 0 {
		t.Fatalf("deleted messages came back: %+v", msgs)
	}
}

func TestQueue_RedeliveryAfterVisibilityTimeout(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	q := mustOpen(t, &queue.Options{Now: clk.Now, VisibilityTimeout: 30 * time.Second})
	id := mustSend(t, q, "work")
	first := mustReceive(t, q, 1)[0]

	clk.Advance(29 * time.Second)
	if msgs := mustReceive(t, q, 1); len(msgs) != 0 {
		t.Fatalf("message visible before its timeout: %+v", msgs)
	}
	clk.Advance(time.Second)
	msgs := mustReceive(t, q, 1)
	if len(msgs) != 1 || msgs[0].ID != id || msgs[0].ReceiveCount != 2 || msgs[0].ReceiptHandle == first.ReceiptHandle {
		t.Fatalf("redelivery = %+v", msgs)
	}
	second := msgs[0]

	// The first consumer's handle is stale: it must not delete the copy
	// the second consumer is working on, nor change its visibility.
	for name, err := range map[string]error{
		"Delete":           q.Delete(ctx, first.ReceiptHandle),
		"ChangeVisibility": q.ChangeVisibility(ctx, first.ReceiptHandle, 0),
		"Fail":             q.Fail(ctx, first.ReceiptHandle, "boom", 0),
	} {
		if !errors.Is(err, queue.ErrStaleReceipt) {
			t.Errorf("%s with a stale handle = %v, want ErrStaleReceipt", name, err)
		}
	}
	mustStats(t, q, queue.Stats{InFlight: 1})
	if err := q.Delete(ctx, second.ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	mustStats(t, q, queue.Stats{})
}

func TestQueue_ChangeVisibility(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	q := mustOpen(t, &queue.Options{Now: clk.Now, VisibilityTimeout: 10 * time.Second})
	mustSend(t, q, "x")
	m := mustReceive(t, q, 1)[0]

	// Extend: still invisible after the original timeout.
	if err := q.ChangeVisibility(ctx, m.ReceiptHandle, time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	if msgs := mustReceive(t, q, 1); len(msgs) != 0 {
		t.Fatal("extended message became visible early")
	}
	// The handle stays valid after ChangeVisibility; zero releases at once.
	if err := q.ChangeVisibility(ctx, m.ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	msgs := mustReceive(t, q, 1)
	if len(msgs) != 1 || msgs[0].ReceiveCount != 2 || msgs[0].LastError != "" {
		t.Fatalf("after ChangeVisibility(0): %+v", msgs)
	}
	for _, d := range []time.Duration{-time.Second, queue.MaxVisibilityTimeout + time.Second} {
		if err := q.ChangeVisibility(ctx, msgs[0].ReceiptHandle, d); !errors.Is(err, queue.ErrInvalidVisibility) {
			t.Errorf("ChangeVisibility(%v) = %v, want ErrInvalidVisibility", d, err)
		}
	}
}

func TestQueue_DeadLetterAfterMaxReceives(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	q := mustOpen(t, &queue.Options{Now: clk.Now, MaxReceiveCount: 3, Logger: discard()})
	id := mustSend(t, q, "poison")
	keep := mustSend(t, q, "fine")
	if err := q.Delete(ctx, mustReceive(t, q, 2)[1].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	// The first receive above counted as attempt 1 of "poison"; the
	// consumer fails it each time.
	clk.Advance(time.Minute)
	var last queue.Message
	for attempt := 2; attempt <= 3; attempt++ {
		msgs := mustReceive(t, q, 10)
		if len(msgs) != 1 || msgs[0].ID != id || msgs[0].ReceiveCount != attempt {
			t.Fatalf("attempt %d: %+v", attempt, msgs)
		}
		if attempt == 3 && msgs[0].LastError != "decode failed 2" {
			t.Fatalf("LastError = %q, want the previous Fail reason", msgs[0].LastError)
		}
		last = msgs[0]
		if err := q.Fail(ctx, last.ReceiptHandle, fmt.Sprintf("decode failed %d", attempt), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if msgs := mustReceive(t, q, 1); len(msgs) != 0 {
			t.Fatal("failed message visible before retryAfter")
		}
		clk.Advance(5 * time.Second)
	}
	// The fourth receive would exceed MaxReceiveCount: it dead-letters.
	if msgs := mustReceive(t, q, 10); len(msgs) != 0 {
		t.Fatalf("message past MaxReceiveCount was delivered: %+v", msgs)
	}
	mustStats(t, q, queue.Stats{DeadLetters: 1})
	if err := q.Delete(ctx, last.ReceiptHandle); !errors.Is(err, queue.ErrStaleReceipt) {
		t.Fatalf("Delete of a dead-lettered message = %v, want ErrStaleReceipt", err)
	}
	dls, next, err := q.DeadLetters(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || next != "" {
		t.Fatalf("DeadLetters = %+v, %q", dls, next)
	}
	d := dls[0]
	if d.ID != id || string(d.Body) != "poison" || d.ReceiveCount != 3 || d.Reason != queue.ReasonMaxReceives ||
		d.LastError != "decode failed 3" || !d.DeadAt.Equal(clk.Now()) || d.SentAt.After(d.DeadAt) {
		t.Fatalf("dead letter = %+v", d)
	}

	// Redrive puts it back with a fresh receive count.
	if n, err := q.Redrive(ctx, "no-such-id", id); err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1", n, err)
	}
	msgs := mustReceive(t, q, 10)
	if len(msgs) != 1 || msgs[0].ID != id || msgs[0].ReceiveCount != 1 || msgs[0].LastError != "" {
		t.Fatalf("after redrive: %+v", msgs)
	}
	if err := q.Delete(ctx, msgs[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	_ = keep
	mustStats(t, q, queue.Stats{})
}

func TestQueue_DeadLettersPagesAndRedriveAll(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	q := mustOpen(t, &queue.Options{Now: clk.Now, MaxReceiveCount: 1, Logger: discard()})
	var ids []string
	for i := range 7 {
		ids = append(ids, mustSend(t, q, strconv.Itoa(i)))
	}
	if got := len(mustReceive(t, q, 10)); got != 7 {
		t.Fatalf("received %d, want 7", got)
	}
	clk.Advance(time.Hour)
	if msgs := mustReceive(t, q, 10); len(msgs) != 0 {
		t.Fatalf("got %d messages, want all dead-lettered", len(msgs))
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		dls, next, err := q.DeadLetters(ctx, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(dls) > 3 || pages > 3 {
			t.Fatalf("page %d has %d dead letters", pages, len(dls))
		}
		for _, d := range dls {
			got = append(got, d.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("dead letters in order %v, want %v", got, ids)
	}
	if _, _, err := q.DeadLetters(ctx, "bogus", 3); err == nil {
		t.Fatal("DeadLetters accepted a bogus cursor")
	}
	n, err := q.Redrive(ctx)
	if err != nil || n != 7 {
		t.Fatalf("Redrive() = %d, %v; want 7", n, err)
	}
	mustStats(t, q, queue.Stats{Visible: 7})
	if got := len(mustReceive(t, q, 100)); got != 7 {
		t.Fatalf("received %d after redrive, want 7", got)
	}
}

// Every message is processed to deletion exactly once by N concurrent
// consumers when no one fails.
func TestQueue_ConcurrentConsumers(t *testing.T) {
	ctx := context.Background()
	q := mustOpen(t, &queue.Options{VisibilityTimeout: time.Hour})
	const n, consumers = 400, 8
	for i := range n {
		mustSend(t, q, strconv.Itoa(i))
	}
	var mu sync.Mutex
	seen := make(map[string]int)
	var wg sync.WaitGroup
	errs := make(chan error, consumers)
	for range consumers {
		wg.Go(func() {
			for {
				msgs, err := q.Receive(ctx, 3, 0)
				if err != nil {
					errs <- err
					return
				}
				if len(msgs) == 0 {
					return
				}
				for _, m := range msgs {
					mu.Lock()
					seen[string(m.Body)]++
					mu.Unlock()
					if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("processed %d distinct messages, want %d", len(seen), n)
	}
	for body, c := range seen {
		if c != 1 {
			t.Fatalf("message %s processed %d times", body, c)
		}
	}
	mustStats(t, q, queue.Stats{})
}

// Concurrent producers and long-polling consumers, some of which fail
// messages: every message is eventually deleted, none is lost.
func TestQueue_ConcurrentProducersAndFailingConsumers(t *testing.T) {
	ctx := context.Background()
	q := mustOpen(t, &queue.Options{VisibilityTimeout: time.Hour, MaxReceiveCount: 100})
	const producers, each, consumers = 4, 50, 4
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				if _, err := q.Send(ctx, fmt.Appendf(nil, "%d-%d", p, i), nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var mu sync.Mutex
	deleted := make(map[string]bool)
	done := make(chan struct{})
	var cwg sync.WaitGroup
	for c := range consumers {
		cwg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				msgs, err := q.Receive(ctx, 5, 20*time.Millisecond)
				if err != nil {
					t.Error(err)
					return
				}
				for i, m := range msgs {
					if (c+i)%3 == 0 && m.ReceiveCount == 1 {
						if err := q.Fail(ctx, m.ReceiptHandle, "transient", 0); err != nil {
							t.Error(err)
						}
						continue
					}
					if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
						t.Error(err)
						continue
					}
					mu.Lock()
					if deleted[string(m.Body)] {
						t.Errorf("message %s deleted twice", m.Body)
					}
					deleted[string(m.Body)] = true
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Minute) // a bound on a hang: ~650 synchronous commits under -race on a loaded disk
	for {
		mu.Lock()
		n := len(deleted)
		mu.Unlock()
		if n == producers*each || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(done)
	cwg.Wait()
	if len(deleted) != producers*each {
		t.Fatalf("deleted %d messages, want %d", len(deleted), producers*each)
	}
	mustStats(t, q, queue.Stats{})
}

func TestQueue_LongPoll(t *testing.T) {
	ctx := context.Background()
	q := mustOpen(t, nil)

	// In a synctest bubble the receiver is seen waiting (synctest.Wait)
	// before the Send, and the fake clock shows it woke at once: a poll
	// timer firing instead would move the clock.
	t.Run("wakes on send", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			q := mustOpen(t, nil)
			got := make(chan []queue.Message, 1)
			go func() {
				msgs, err := q.Receive(ctx, 1, time.Minute)
				if err != nil {
					t.Error(err)
				}
				got <- msgs
			}()
			synctest.Wait()
			sent := time.Now()
			mustSend(t, q, "late")
			msgs := <-got
			if len(msgs) != 1 || string(msgs[0].Body) != "late" {
				t.Fatalf("long poll got %+v", msgs)
			}
			if d := time.Since(sent); d != 0 {
				t.Fatalf("long poll returned %v after the Send, by its poll timer: Send did not wake it", d)
			}
		})
	})

	t.Run("times out empty", func(t *testing.T) {
		msgs, err := q.Receive(ctx, 1, 30*time.Millisecond)
		if err != nil || msgs == nil || len(msgs) != 0 {
			t.Fatalf("Receive on empty queue = %#v, %v; want empty slice", msgs, err)
		}
	})

	t.Run("honours context", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		if _, err := q.Receive(cctx, 1, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Receive = %v, want DeadlineExceeded", err)
		}
	})

	t.Run("finds messages sent through another handle", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "shared.db")
		a := mustOpenPath(t, path, nil)
		b := mustOpenPath(t, path, nil)
		got := make(chan []queue.Message, 1)
		go func() {
			msgs, err := a.Receive(ctx, 1, time.Minute)
			if err != nil {
				t.Error(err)
			}
			got <- msgs
		}()
		time.Sleep(20 * time.Millisecond)
		mustSend(t, b, "from b")
		select {
		case msgs := <-got:
			if len(msgs) != 1 || string(msgs[0].Body) != "from b" {
				t.Fatalf("got %+v", msgs)
			}
		case <-time.After(time.Minute):
			t.Fatal("long poll did not see the other handle's message")
		}
	})

	t.Run("wakes when visibility ends", func(t *testing.T) {
		q := mustOpen(t, &queue.Options{VisibilityTimeout: 50 * time.Millisecond})
		mustSend(t, q, "again")
		first := mustReceive(t, q, 1)
		msgs, err := q.Receive(ctx, 1, 10*time.Second)
		if err != nil || len(msgs) != 1 || msgs[0].ID != first[0].ID || msgs[0].ReceiveCount != 2 {
			t.Fatalf("Receive = %+v, %v; want the redelivery", msgs, err)
		}
	})

	t.Run("returns on close", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() {
				_, err := q.Receive(ctx, 1, time.Minute)
				errc <- err
			}()
			synctest.Wait()
			closed := time.Now()
			if err := q.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; !errors.Is(err, queue.ErrClosed) {
				t.Fatalf("Receive after Close = %v, want ErrClosed", err)
			}
			if d := time.Since(closed); d != 0 {
				t.Fatalf("Receive returned %v after Close, by its poll timer: Close did not wake it", d)
			}
		})
	})
}

func TestQueue_Errors(t *testing.T) {
	ctx := context.Background()
	q := mustOpen(t, &queue.Options{MaxMessageBytes: 16})
	if _, err := q.Send(ctx, nil, nil); !errors.Is(err, queue.ErrEmptyMessage) {
		t.Errorf("Send(empty) = %v", err)
	}
	if _, err := q.Send(ctx, bytes.Repeat([]byte("x"), 17), nil); !errors.Is(err, queue.ErrMessageTooLarge) {
		t.Errorf("Send(17 bytes) = %v", err)
	}
	if _, err := q.Send(ctx, []byte("0123456789"), map[string]string{"key": "value"}); !errors.Is(err, queue.ErrMessageTooLarge) {
		t.Errorf("Send(10 bytes + 8 bytes of attributes) = %v", err)
	}
	for _, h := range []string{"", "nodot", ".x", "x."} {
		if err := q.Delete(ctx, h); !errors.Is(err, queue.ErrInvalidReceipt) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidReceipt", h, err)
		}
	}
	if err := q.ChangeVisibility(ctx, "gone.nonce", time.Second); !errors.Is(err, queue.ErrStaleReceipt) {
		t.Errorf("ChangeVisibility of a missing message = %v, want ErrStaleReceipt", err)
	}
	for _, opts := range []*queue.Options{
		{VisibilityTimeout: -time.Second},
		{VisibilityTimeout: queue.MaxVisibilityTimeout + 1},
		{MaxReceiveCount: -1},
		{MaxMessageBytes: -1},
	} {
		if q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), opts); err == nil {
			q.Close()
			t.Errorf("Open(%+v) succeeded", opts)
		}
	}
	if _, err := queue.Open(filepath.Join(t.TempDir(), "missing", "dir", "q.db"), nil); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}

// crashEnv names the queue file a re-executed test binary works on before
// killing itself.
const crashEnv = "RAMPART_QUEUE_CRASH_HELPER"

// TestQueue_CrashHelper is not a test: TestQueue_SurvivesCrash runs the
// test binary again with crashEnv set to make it a process that dies with
// SIGKILL in the middle of its work.
func TestQueue_CrashHelper(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestQueue_SurvivesCrash")
	}
	ctx := context.Background()
	q, err := queue.Open(path, &queue.Options{VisibilityTimeout: time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, b := range []string{"received", "waiting"} {
		if _, err := q.Send(ctx, []byte(b), nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if msgs, err := q.Receive(ctx, 1, 0); err != nil || len(msgs) != 1 {
		fmt.Fprintln(os.Stderr, "receive:", msgs, err)
		os.Exit(2)
	}
	fmt.Println("ready")
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// A message received but not deleted by a process that dies reappears
// after its visibility timeout when the file is opened again; a message
// sent but not received is there at once.
func TestQueue_SurvivesCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestQueue_CrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !bytes.Contains(out, []byte("ready")) {
		t.Fatalf("helper did not crash as planned: %v\n%s", err, out)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want SIGKILL", err)
	}

	clk := &clock{now: time.Now()}
	q := mustOpenPath(t, path, &queue.Options{Now: clk.Now, VisibilityTimeout: time.Hour})
	msgs := mustReceive(t, q, 10)
	if len(msgs) != 1 || string(msgs[0].Body) != "waiting" || msgs[0].ReceiveCount != 1 {
		t.Fatalf("after crash: %+v, want only the unreceived message", msgs)
	}
	clk.Advance(2 * time.Minute) // past the helper's visibility timeout
	msgs = mustReceive(t, q, 10)
	if len(msgs) != 1 || string(msgs[0].Body) != "received" || msgs[0].ReceiveCount != 2 {
		t.Fatalf("after the visibility timeout: %+v, want the crashed consumer's message", msgs)
	}
}

func TestQueue_Reopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	clk := newClock()
	q, err := queue.Open(path, &queue.Options{Now: clk.Now, MaxReceiveCount: 1, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	mustSend(t, q, "dies")
	mustReceive(t, q, 1)
	clk.Advance(time.Hour)
	mustReceive(t, q, 1) // dead-letters it
	mustSend(t, q, "stays")
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = mustOpenPath(t, path, &queue.Options{Now: clk.Now})
	mustStats(t, q, queue.Stats{Visible: 1, DeadLetters: 1})
	dls, _, err := q.DeadLetters(ctx, "", 0)
	if err != nil || len(dls) != 1 || string(dls[0].Body) != "dies" {
		t.Fatalf("DeadLetters after reopen = %+v, %v", dls, err)
	}
}

func TestQueue_Stats(t *testing.T) {
	clk := newClock()
	q := mustOpen(t, &queue.Options{Now: clk.Now})
	mustSend(t, q, "a")
	clk.Advance(time.Second)
	mustSend(t, q, "b")
	mustReceive(t, q, 1)
	s, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Visible != 1 || s.InFlight != 1 || !s.OldestSentAt.Equal(clk.Now().Add(-time.Second)) {
		t.Fatalf("Stats = %+v", s)
	}
}
