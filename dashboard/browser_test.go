package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampartdev/rampart/dashboard"
	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/devserver/devservertest"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/inspect/local/localtest"
	"github.com/rampartdev/rampart/internal/testenv"
)

// TestBrowser drives headless chromium: an image uploaded through the
// devserver's API appears as a thumbnail on the media page, its detail page
// shows every size and its log lines, and a screenshot of it is saved.
func TestBrowser(t *testing.T) {
	chromium := testenv.Command(t, "chromium")
	dir := t.TempDir()
	s := devservertest.MustOpen(t, dir)
	src, err := local.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mux := http.NewServeMux()
	mux.Handle("/ui/", dashboard.New(src, nil))
	mux.Handle("/", s.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := newBrowser(t, chromium)

	// Open the page first: the thumbnail must appear without a reload.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/ui/"), chromedp.WaitVisible("#grid")); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", srv.URL+"/objects/uploads/browser.jpg", bytes.NewReader(localtest.JPEG(t, 640, 400)))
	req.Header.Set("Content-Type", "image/jpeg")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", res, err)
	}
	var up devserver.UploadResponse
	json.NewDecoder(res.Body).Decode(&up)
	res.Body.Close()

	card := `a.card[data-key="uploads/browser.jpg"][data-status="processed"] img`
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(card),
		chromedp.Click(`a.card[data-key="uploads/browser.jpg"]`),
		chromedp.WaitVisible(`.sizes img[alt="64"]`),
	); err != nil {
		t.Fatal(err)
	}
	logs, err := chromedp.Run(ctx, chromedp.Text("#logs"))
	if err != nil {
		t.Fatal(err)
	}
	screenshot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"object uploaded", up.RequestID} {
		if !bytes.Contains([]byte(logs), []byte(want)) {
			t.Errorf("detail page log lines lack %q: %s", want, logs)
		}
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll(".sizes img")].every(i => i.complete && i.naturalWidth > 0)`))
	if err != nil || !loaded {
		t.Errorf("thumbnails did not load in the browser: %v", err)
	}
	out := os.Getenv("RAMPART_ARTIFACTS")
	if out == "" {
		out = t.TempDir()
	}
	path := filepath.Join(out, "dashboard-detail.png")
	if err := os.WriteFile(path, screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the detail page: %s (%d bytes)", path, len(screenshot))
}

// newBrowser starts headless chromium (with the flags this machine's
// closed network needs, see the machine notes) and returns a tab's context,
// cancelled when t ends or after 90 s.
func newBrowser(t *testing.T, chromium string, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	opts = append(opts, flags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}
