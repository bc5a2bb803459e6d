package devserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/imaging"
	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/mediatest"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

// MustOpen opens a server on dir with small sizes, redelivery after 2 s
// and a write reserve of at least 250 ms (small images write in
// milliseconds). Invocations get 30 s: on the real clock, a short one is a
// margin a loaded machine running -race eats (tests of timeouts set their
// own, in a synctest bubble where only waiting moves the clock).
func MustOpen(tb testing.TB, dir string, logs io.Writer, mod func(*devserver.Options)) *devserver.Server {
	tb.Helper()
	opts := &devserver.Options{
		Thumbnailer: thumbnailer.Options{
			Imaging:         imaging.Options{Sizes: []int{256, 128, 64}},
			MinWriteReserve: 250 * time.Millisecond,
		},
		Workers:           2,
		VisibilityTimeout: 2 * time.Second,
		InvocationTimeout: 30 * time.Second,
		MaxReceiveCount:   3,
		Version:           "test",
		Logger:            slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(opts)
	}
	s, err := devserver.Open(context.Background(), dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// start runs the workers until the test ends.
func start(tb testing.TB, s *devserver.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
}

func testJPEG(tb testing.TB, w, h int, shade uint8) []byte {
	return mediatest.MustJPEG(tb, w, h, shade)
}

// waitFor polls cond until it holds or the timeout ends.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func do(t *testing.T, method, url string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestServer_UploadToThumbnailsOverHTTP(t *testing.T) {
	t.Parallel() // waits on sleeps more than it computes
	logs := &testingutil.Buffer{}
	s := MustOpen(t, t.TempDir(), logs, nil)
	defer s.Close()
	start(t, s)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	resp, body := do(t, "PUT", srv.URL+"/objects/uploads/my cat.jpg", testJPEG(t, 640, 480, 9),
		map[string]string{"Content-Type": "image/jpeg", "X-Request-Id": "TRACE123"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	var up devserver.UploadResponse
	if err := json.Unmarshal(body, &up); err != nil || !up.Queued || up.RequestID != "TRACE123" || up.ID == "" {
		t.Fatalf("PUT response %s: %v", body, err)
	}
	var rec media.Record
	waitFor(t, 20*time.Second, "the record", func() bool {
		resp, body := do(t, "GET", srv.URL+"/media/"+up.ID, nil, nil)
		return resp.StatusCode == 200 && json.Unmarshal(body, &rec) == nil && rec.Status == media.StatusProcessed
	})
	if rec.Width != 640 || len(rec.Thumbnails) != 3 || rec.CorrelationID != "TRACE123" {
		t.Fatalf("record %+v", rec)
	}
	resp, thumb := do(t, "GET", srv.URL+"/objects/derived/256/uploads/my cat.jpg", nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("thumbnail: %d %v", resp.StatusCode, resp.Header)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb)); err != nil || cfg.Width != 256 || cfg.Height != 192 {
		t.Fatalf("thumbnail is %+v, %v", cfg, err)
	}
	resp, body = do(t, "GET", srv.URL+"/media?status=processed", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), up.ID) {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", srv.URL+"/health", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("health: %d %s", resp.StatusCode, body)
	}
	// One object's path, end to end, in the logs under one correlation id.
	for _, msg := range []string{"http request", "object uploaded", "message received", "event received", "thumbnails written"} {
		if !hasLog(logs.String(), "TRACE123", msg) {
			t.Errorf("no %q log record with correlation_id TRACE123", msg)
		}
	}

	resp, _ = do(t, "DELETE", srv.URL+"/objects/uploads/my cat.jpg", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	waitFor(t, 20*time.Second, "the deletion", func() bool {
		_, body := do(t, "GET", srv.URL+"/media/"+up.ID, nil, nil)
		return json.Unmarshal(body, &rec) == nil && rec.Status == media.StatusDeleted
	})
	if resp, _ := do(t, "GET", srv.URL+"/objects/derived/256/uploads/my cat.jpg", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("thumbnail after delete: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", srv.URL+"/media/nope", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("missing record: %d", resp.StatusCode)
	}
}

func hasLog(logs, correlationID, msg string) bool {
	for line := range strings.SplitSeq(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg && rec["correlation_id"] == correlationID {
			return true
		}
	}
	return false
}

func TestServer_EventAcceptedBeforeACrashIsProcessedAfterIt(t *testing.T) {
	t.Parallel() // waits on fsyncs more than it computes
	// In a synctest bubble the invocation timeout counts only time spent
	// waiting, never the CPU a loaded machine takes to make thumbnails
	// under -race (which ran the real 1.5 s out, three times, and
	// dead-lettered the survivor at load ~29).
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		// The message in flight comes back after the visibility timeout.
		short := func(o *devserver.Options) { o.VisibilityTimeout = 300 * time.Millisecond }
		s := MustOpen(t, dir, io.Discard, short)
		if _, queued, err := s.Upload(t.Context(), "uploads/survivor.jpg", bytes.NewReader(testJPEG(t, 300, 200, 1)), "image/jpeg", "REQ1"); err != nil || !queued {
			t.Fatalf("Upload: %v %v", queued, err)
		}
		// A message received but never settled: the process dies mid-batch.
		if msgs, err := s.Queue().Receive(t.Context(), 10, 0); err != nil || len(msgs) != 1 {
			t.Fatalf("Receive: %d, %v", len(msgs), err)
		}
		crashed := time.Now()
		s.Close()

		s = MustOpen(t, dir, io.Discard, short)
		defer s.Close()
		start(t, s)
		id := media.ID(devserver.DefaultBucket, "uploads/survivor.jpg")
		waitFor(t, 20*time.Second, "the record after the restart", func() bool {
			rec, err := s.Records().Get(t.Context(), id)
			return err == nil && rec.Status == media.StatusProcessed
		})
		if took := time.Since(crashed); took < 300*time.Millisecond {
			t.Fatalf("processed %s after the crash, before its visibility timeout ended", took)
		}
	})
}

func TestServer_PoisonMessageGoesToTheDeadLetterQueueAndBack(t *testing.T) {
	t.Parallel() // waits on sleeps more than it computes
	s := MustOpen(t, t.TempDir(), io.Discard, func(o *devserver.Options) {
		o.VisibilityTimeout = 200 * time.Millisecond
		o.InvocationTimeout = 150 * time.Millisecond
		o.Thumbnailer.MinWriteReserve = 100 * time.Millisecond
		o.MaxReceiveCount = 2
		o.AllowWrites = true
	})
	defer s.Close()
	start(t, s)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	if _, err := s.Queue().Send(t.Context(), []byte(`{"not":"an S3 event"}`), nil); err != nil {
		t.Fatal(err)
	}
	var dl struct {
		DeadLetters []struct{ ID, Reason, LastError string }
	}
	waitFor(t, 20*time.Second, "the dead letter", func() bool {
		_, body := do(t, "GET", srv.URL+"/queue/dead", nil, nil)
		return json.Unmarshal(body, &dl) == nil && len(dl.DeadLetters) == 1
	})
	if dl.DeadLetters[0].LastError == "" {
		t.Fatalf("dead letter without its last error: %+v", dl.DeadLetters[0])
	}
	resp, body := do(t, "POST", srv.URL+"/queue/redrive", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"redriven": 1`) {
		t.Fatalf("redrive: %d %s", resp.StatusCode, body)
	}
	// It fails again and comes back to the dead letters.
	waitFor(t, 20*time.Second, "the dead letter again", func() bool {
		_, body := do(t, "GET", srv.URL+"/queue/dead", nil, nil)
		return json.Unmarshal(body, &dl) == nil && len(dl.DeadLetters) == 1
	})
}

func TestServer_KeysOutsideTheSourcePrefixAreNotQueued(t *testing.T) {
	s := MustOpen(t, t.TempDir(), io.Discard, nil)
	defer s.Close()
	_, queued, err := s.Upload(t.Context(), "derived/256/uploads/x.jpg", bytes.NewReader(testJPEG(t, 10, 10, 0)), "image/jpeg", "R")
	if err != nil || queued {
		t.Fatalf("queued=%v err=%v", queued, err)
	}
	st, err := s.Queue().Stats(t.Context())
	if err != nil || st.Visible != 0 {
		t.Fatalf("stats %+v, %v", st, err)
	}
}

// deadlineObjects records the time each read had left before its context's
// deadline.
type deadlineObjects struct {
	blob.Store
	mu   sync.Mutex
	left []time.Duration
}

func (d *deadlineObjects) GetWithOptions(ctx context.Context, key string, opts blob.GetOptions) ([]byte, blob.Object, error) {
	if dl, ok := ctx.Deadline(); ok {
		d.mu.Lock()
		d.left = append(d.left, time.Until(dl))
		d.mu.Unlock()
	}
	return d.Store.GetWithOptions(ctx, key, opts)
}

func (d *deadlineObjects) reads() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.left)
}

func TestServer_InvocationDeadline(t *testing.T) {
	t.Parallel() // waits on fsyncs more than it computes
	for _, tc := range []struct {
		name       string
		invocation time.Duration // zero: the default
		want       time.Duration
	}{
		{"default", 0, devserver.DefaultInvocationTimeout},
		{"configured", 4 * time.Second, 4 * time.Second},
	} {
		// In a synctest bubble the deadline counts only waiting: the time
		// a loaded machine takes to reach the read cannot eat the margin.
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				objs := &deadlineObjects{}
				s := MustOpen(t, t.TempDir(), io.Discard, func(o *devserver.Options) {
					o.VisibilityTimeout = 12 * time.Second
					o.InvocationTimeout = tc.invocation
					o.WrapObjects = func(b blob.Store) blob.Store { objs.Store = b; return objs }
				})
				defer s.Close()
				start(t, s)
				if _, _, err := s.Upload(t.Context(), "uploads/d.jpg", bytes.NewReader(testJPEG(t, 64, 64, 0)), "image/jpeg", "R"); err != nil {
					t.Fatal(err)
				}
				if got := s.Options().InvocationTimeout; got != tc.want {
					t.Fatalf("Options().InvocationTimeout = %s, want %s", got, tc.want)
				}
				waitFor(t, 20*time.Second, "the read", func() bool { return len(objs.reads()) > 0 })
				if left := objs.reads()[0]; left > tc.want || left < tc.want-time.Second {
					t.Fatalf("the invocation had %s left at its read, want at most the invocation timeout %s", left, tc.want)
				}
			})
		})
	}
}

// TestOpen_RefusesInvalidOptions: timeouts that cannot work and negative
// values (zero is the default; a negative flag is a mistake) are refused.
func TestOpen_RefusesInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		visibility, invocation time.Duration
		minReserve             time.Duration
		more                   devserver.Options
	}{
		{name: "visibility above SQS's maximum", visibility: 13 * time.Hour, invocation: time.Minute},
		{name: "negative", visibility: 10 * time.Second, invocation: -time.Second},
		{name: "within the default write reserve", visibility: 10 * time.Second, invocation: time.Second},
		{name: "default, within the configured write reserve", visibility: 30 * time.Second, minReserve: 90 * time.Second},
		// A negative value is refused, not taken for the default.
		{name: "negative visibility", visibility: -time.Second},
		{name: "negative workers", more: devserver.Options{Workers: -1}},
		{name: "negative batch size", more: devserver.Options{BatchSize: -10}},
		{name: "negative max receive count", more: devserver.Options{MaxReceiveCount: -1}},
		{name: "negative max upload", more: devserver.Options{MaxUploadBytes: -1}},
		{name: "negative concurrent uploads", more: devserver.Options{MaxConcurrentUploads: -4}},
		{name: "negative body read timeout", more: devserver.Options{BodyReadTimeout: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.more
			o.VisibilityTimeout, o.InvocationTimeout = tc.visibility, tc.invocation
			o.Thumbnailer, o.Logger = thumbnailer.Options{MinWriteReserve: tc.minReserve}, slog.New(slog.DiscardHandler)
			s, err := devserver.Open(t.Context(), t.TempDir(), &o)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted the options")
			}
			if !errors.Is(err, devserver.ErrInvalidOptions) {
				t.Fatalf("Open: %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestServer_RedriveIsGated(t *testing.T) {
	t.Parallel() // waits on sleeps more than it computes
	for _, tc := range []struct {
		name        string
		allowWrites bool
		headers     map[string]string
		want        int
	}{
		{"writes not allowed", false, nil, http.StatusForbidden},
		{"writes not allowed, same origin", false, map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusForbidden},
		{"non-browser client", true, nil, http.StatusOK},
		{"same origin", true, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "SELF"}, http.StatusOK},
		{"cross-site form", true, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, http.StatusForbidden},
		{"cross-origin, old browser", true, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := MustOpen(t, t.TempDir(), io.Discard, func(o *devserver.Options) { o.AllowWrites = tc.allowWrites })
			defer s.Close()
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			if _, err := s.Queue().Send(t.Context(), []byte(`{"not":"an S3 event"}`), nil); err != nil {
				t.Fatal(err)
			}
			h := map[string]string{}
			for k, v := range tc.headers {
				h[k] = strings.ReplaceAll(v, "SELF", srv.URL)
			}
			resp, body := do(t, "POST", srv.URL+"/queue/redrive", nil, h)
			if resp.StatusCode != tc.want {
				t.Fatalf("redrive: %d %s, want %d", resp.StatusCode, body, tc.want)
			}
		})
	}
}

// TestServer_ForeignOriginRefused: a page on another origin cannot write
// objects even if a browser sent the request without a preflight (the
// preflight is never answered; this does not rely on it), and a page on
// the server's own origin can.
func TestServer_ForeignOriginRefused(t *testing.T) {
	s := MustOpen(t, t.TempDir(), io.Discard, nil)
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, tc := range []struct {
		method, origin string
		want           int
	}{
		{"PUT", "http://evil.example", http.StatusForbidden},
		{"DELETE", "http://evil.example", http.StatusForbidden},
		{"GET", "http://evil.example", http.StatusForbidden},
		{"PUT", "null", http.StatusForbidden},
		{"PUT", "SELF", http.StatusCreated},
		{"PUT", "", http.StatusCreated},
	} {
		t.Run(tc.method+" "+tc.origin, func(t *testing.T) {
			h := map[string]string{}
			if tc.origin != "" {
				h["Origin"] = strings.ReplaceAll(tc.origin, "SELF", srv.URL)
			}
			var body []byte
			if tc.method == "PUT" {
				body = []byte("not an image")
			}
			resp, b := do(t, tc.method, srv.URL+"/objects/uploads/origin.txt", body, h)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s with Origin %q: %d %s, want %d", tc.method, tc.origin, resp.StatusCode, b, tc.want)
			}
		})
	}
}

func TestServer_RunStopsDuringTheRetryPause(t *testing.T) {
	// In a synctest bubble an hour's pause would pass the 10 s wait at once.
	synctest.Test(t, func(t *testing.T) {
		logs := &testingutil.Buffer{}
		s := MustOpen(t, t.TempDir(), logs, nil)
		defer s.Close()
		devserver.SetReceiveRetry(s, time.Hour)
		s.Queue().Close() // every receive fails
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		waitFor(t, 10*time.Second, "a failed receive", func() bool { return strings.Contains(logs.String(), "receive failed") })
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return when its context ended: the workers sleep through the retry pause")
		}
	})
}
