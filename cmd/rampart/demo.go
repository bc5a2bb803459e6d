package main

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/sqlitestore"
)

// demoCommand delivers real-shaped S3 events to a guarded handler the way S3
// and Lambda do (more than once, concurrently, with failures and crashes)
// against the embedded SQLite store, and prints what happened.
type demoCommand struct {
	stdout, stderr io.Writer
	dataDir        string
	workers        int
	logJSON        bool
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := &demoCommand{stdout: stdout, stderr: stderr}
	fs := newFlags("demo", "usage: rampart demo [-data DIR] [-workers N] [-log]\n\n"+
		"Delivers the same S3 events several times, concurrently, with a failure,\n"+
		"a crash and a payload mismatch, to a handler guarded by the idempotency\n"+
		"engine on the embedded SQLite store, and prints what happened.\n\nflags:\n", stderr)
	fs.StringVar(&c.dataDir, "data", "", "data folder for the SQLite store (default: a temporary folder, removed afterwards)")
	fs.IntVar(&c.workers, "workers", 16, "concurrent deliveries in the burst scenario")
	fs.BoolVar(&c.logJSON, "log", false, "write the engine's slog decisions as JSON lines to stderr")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if c.workers < 2 {
		return usageError{"-workers must be at least 2"}
	}
	return c.run(ctx)
}

// thumbnail is the handler's output, stored and replayed by the engine.
type thumbnail struct {
	Source string `json:"source"`
	Thumb  string `json:"thumb"`
	Run    int64  `json:"run"` // which execution of the work produced it
}

// demoWorker is the guarded Lambda handler: "make a thumbnail". Its side
// effects are counted so the demo can show they happen once per upload.
type demoWorker struct {
	runs atomic.Int64 // executions of the work, including failed ones

	mu     sync.Mutex
	failN  map[string]int                // object key -> executions still to fail
	freeze map[string]chan chan struct{} // object key -> hands a "resume" channel to the demo
}

func (w *demoWorker) handle(ctx context.Context, e events.S3Event) (thumbnail, error) {
	n := w.runs.Add(1)
	obj := e.Records[0].S3.Object
	w.mu.Lock()
	fail := w.failN[obj.Key] > 0
	if fail {
		w.failN[obj.Key]--
	}
	freeze := w.freeze[obj.Key]
	delete(w.freeze, obj.Key)
	w.mu.Unlock()
	if fail {
		return thumbnail{}, errors.New("transient: S3 GetObject timed out")
	}
	if freeze != nil { // simulate a holder that stalls (GC pause, frozen sandbox)
		resume := make(chan struct{})
		freeze <- resume
		<-resume
	}
	time.Sleep(5 * time.Millisecond) // the work takes a moment, so a burst overlaps it
	return thumbnail{Source: obj.URLDecodedKey, Thumb: "thumbs/" + obj.URLDecodedKey, Run: n}, nil
}

// demoEvent returns an S3 ObjectCreated:Put event for one upload. Its
// sequencer, S3's per-upload order token (part of the idempotency key), is
// taken from the random eTag, so every upload has its own and a redelivery
// repeats it.
func demoEvent(key, eTag string) events.S3Event {
	return events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: "eu-west-1",
		EventTime: time.Date(2025, 11, 26, 19, 35, 0, 123e6, time.UTC), EventName: "ObjectCreated:Put",
		PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:AIDAEXAMPLE"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: "203.0.113.7"},
		ResponseElements:  map[string]string{"x-amz-request-id": "C3D13FE58DE4C810"},
		S3: events.S3Entity{
			SchemaVersion: "1.0", ConfigurationID: "thumbnails",
			Bucket: events.S3Bucket{Name: "rampart-uploads", Arn: "arn:aws:s3:::rampart-uploads"},
			Object: events.S3Object{Key: key, URLDecodedKey: key, Size: 2480139, ETag: eTag,
				VersionID: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", Sequencer: strings.ToUpper(eTag[:18])},
		},
	}}}
}

func (c *demoCommand) run(ctx context.Context) error {
	dir := c.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rampart-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	path := filepath.Join(dir, "idempotency.db")
	store, err := sqlitestore.Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer func() {
		if store != nil {
			store.Close()
		}
	}()
	logger := slog.New(slog.DiscardHandler)
	if c.logJSON {
		logger = slog.New(slog.NewJSONHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// One process, one clock: no skew margin, so a lease ends at its
	// deadline and the takeover below comes right after it.
	opts := &idempotency.Options{Namespace: "demo-thumbnailer", Logger: logger, SkewMargin: -1}
	w := &demoWorker{failN: map[string]int{}, freeze: map[string]chan chan struct{}{}}
	g := idempotency.New(store, opts)
	h := idempotency.Handler(g, idempotency.S3EventKey, w.handle)
	var deliveries atomic.Int64
	deliver := func(e events.S3Event, timeout time.Duration) (thumbnail, error) {
		deliveries.Add(1)
		ctx, cancel := context.WithTimeout(ctx, timeout) // Lambda's invocation deadline
		defer cancel()
		return h(ctx, e)
	}
	out := c.stdout
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	outcome := func(t thumbnail, err error) string {
		var ipe *idempotency.InProgressError
		switch {
		case errors.As(err, &ipe):
			return fmt.Sprintf("in progress elsewhere: retryable error (lease ends in %s)", ipe.RetryAfter.Round(time.Millisecond))
		case errors.Is(err, idempotency.ErrPayloadMismatch):
			return "rejected: same key, different payload (" + err.Error() + ")"
		case err != nil:
			return "error returned to Lambda: " + err.Error()
		}
		return fmt.Sprintf("ok: %s (made by run %d)", t.Thumb, t.Run)
	}

	say("rampart demo: the idempotency engine guarding an S3-triggered thumbnailer")
	say("store: SQLite %s", path)
	say("")

	// Each run of the demo is a new set of uploads (new eTags), so that a
	// kept data folder replays nothing from an earlier run.
	etag := func() string { return fmt.Sprintf("%x", md5.Sum([]byte(rand.Text()))) }

	// 1. A failure in the middle: the first attempt fails after acquiring.
	e1 := demoEvent("photos/IMG_0042.jpg", etag())
	w.failN[e1.Records[0].S3.Object.Key] = 1
	say("1. failure in the middle (s3://rampart-uploads/photos/IMG_0042.jpg)")
	r, err := deliver(e1, 30*time.Second)
	say("   delivery 1: %s", outcome(r, err))
	say("               -> the record was released, so Lambda's retry will do the work")
	r, err = deliver(e1, 30*time.Second)
	say("   delivery 2 (Lambda retry): %s", outcome(r, err))
	r, err = deliver(e1, 30*time.Second)
	say("   delivery 3 (S3 duplicate): %s", outcome(r, err))
	if err != nil || r.Run != 2 {
		return fmt.Errorf("demo: the duplicate did not replay the retry's result (%+v, %v)", r, err)
	}
	say("")

	// 2. A burst of concurrent deliveries of one event.
	e2 := demoEvent("photos/IMG_0043.jpg", etag())
	say("2. %d concurrent deliveries of s3://rampart-uploads/photos/IMG_0043.jpg", c.workers)
	var inProgress, gotResult atomic.Int64
	before := w.runs.Load()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range c.workers {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			t, err := h(ctx, e2)
			switch {
			case errors.Is(err, idempotency.ErrInProgress):
				inProgress.Add(1)
			case err != nil:
				fmt.Fprintf(out, "   unexpected: %v\n", err)
			case t.Run == before+1:
				gotResult.Add(1)
			default:
				fmt.Fprintf(out, "   unexpected result: %+v\n", t)
			}
		})
	}
	deliveries.Add(int64(c.workers))
	close(start)
	wg.Wait()
	say("   the work ran %d time(s); %d deliveries got the thumbnail, %d a retryable in-progress error",
		w.runs.Load()-before, gotResult.Load(), inProgress.Load())
	retriedOK := 0
	for range inProgress.Load() {
		if t, err := deliver(e2, 30*time.Second); err == nil && t.Run == before+1 {
			retriedOK++
		}
	}
	say("   their retries: %d of %d replayed the stored thumbnail", retriedOK, inProgress.Load())
	if w.runs.Load()-before != 1 {
		return fmt.Errorf("demo: the burst ran the work %d times", w.runs.Load()-before)
	}
	say("")

	// 3. A crashed holder: its lease (its deadline) ends, the next delivery
	// takes over, and the stale holder's late completion is fenced.
	e3 := demoEvent("photos/IMG_0044.jpg", etag())
	frozen := make(chan chan struct{})
	w.freeze[e3.Records[0].S3.Object.Key] = frozen
	// Long enough that delivery 2 lands inside the lease on a loaded machine.
	const lease = time.Second
	say("3. crash and takeover (s3://rampart-uploads/photos/IMG_0044.jpg, invocation deadline %s)", lease)
	staleDone := make(chan error, 1)
	var stale thumbnail
	go func() {
		// The engine's own answer, through Guard.Do: Handler reports a
		// success whose completion was refused as a success (the work
		// was done, so Lambda must not retry it), which would hide the
		// fencing this step shows.
		deliveries.Add(1)
		ctx, cancel := context.WithTimeout(ctx, lease)
		defer cancel()
		k, err := idempotency.S3EventKey(e3)
		if err != nil {
			staleDone <- err
			return
		}
		p, err := idempotency.Payload(e3)
		if err != nil {
			staleDone <- err
			return
		}
		_, err = g.Do(ctx, k, p, func(ctx context.Context) ([]byte, error) {
			t, err := w.handle(ctx, e3)
			if err != nil {
				return nil, err
			}
			stale = t
			return json.Marshal(t)
		})
		staleDone <- err
	}()
	resume := <-frozen // the first holder acquired and stalls inside the work
	r, err = deliver(e3, 30*time.Second)
	say("   delivery 2 during the lease: %s", outcome(r, err))
	time.Sleep(lease + 50*time.Millisecond)
	r, err = deliver(e3, 30*time.Second)
	say("   delivery 3 after the lease ended: %s  (took over)", outcome(r, err))
	takeover := r
	close(resume) // the stalled holder wakes up and tries to record its result
	err = <-staleDone
	switch {
	case errors.Is(err, idempotency.ErrFenced):
		say("   the stalled holder woke up (run %d) and tried to complete: fenced, its write was refused", stale.Run)
		say("               -> Handler reports it as done (the work ran), so Lambda does not retry it")
	default:
		return fmt.Errorf("demo: the stale holder was not fenced: %v", err)
	}
	r, err = deliver(e3, 30*time.Second)
	say("   delivery 4: %s", outcome(r, err))
	if err != nil || r.Run != takeover.Run {
		return fmt.Errorf("demo: the stored result is not the new holder's (%+v, %v)", r, err)
	}
	say("")

	// 4. A key reused with a different payload.
	e4 := demoEvent("photos/IMG_0042.jpg", e1.Records[0].S3.Object.ETag)
	e4.Records[0].S3.Object.Size = 1 // same bucket, key, eTag and version; other content
	say("4. same key, different payload")
	r, err = deliver(e4, 30*time.Second)
	say("   %s", outcome(r, err))
	say("")

	// 5. A restart: the records are in the SQLite file.
	if err := store.Close(); err != nil {
		return err
	}
	store = nil
	store2, err := sqlitestore.Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer store2.Close()
	h = idempotency.Handler(idempotency.New(store2, opts), idempotency.S3EventKey, w.handle)
	say("5. restart: store closed and reopened")
	r, err = deliver(e1, 30*time.Second)
	say("   delivery of IMG_0042.jpg again: %s", outcome(r, err))
	say("")

	say("summary: %d deliveries of 3 uploads ran the work %d times: once per upload, plus 1 failed attempt",
		deliveries.Load(), w.runs.Load())
	say("         (released and retried) and 1 stalled holder whose late result was fenced; every other delivery replayed or waited")
	if c.dataDir == "" {
		say("(run with -data DIR to keep the database, -log for the engine's JSON log lines)")
	}
	return nil
}
