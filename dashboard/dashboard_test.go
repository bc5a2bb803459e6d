package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/fsblob"
	"github.com/rampartdev/rampart/dashboard"
	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/inspect/local/localtest"
	"github.com/rampartdev/rampart/internal/datadir"
)

// MustServer serves the dashboard over dir at "/ui/".
func MustServer(tb testing.TB, dir string, now time.Time, allowWrites bool) *httptest.Server {
	tb.Helper()
	src, err := local.Open(context.Background(), dir, &local.Options{Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { src.Close() })
	mux := http.NewServeMux()
	mux.Handle("/ui/", dashboard.New(src, &dashboard.Options{AllowWrites: allowWrites, Now: func() time.Time { return now }}))
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

func get(tb testing.TB, url string) (int, string, http.Header) {
	tb.Helper()
	res, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func TestHandler_pages(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	srv := MustServer(t, dir, f.Now, false)
	for _, tc := range []struct {
		path string
		code int
		want []string
	}{
		{"/ui/", 200, []string{"uploads/cat.png", `src="/ui/objects/derived/128/uploads/cat.png"`, f.RejectedReason, "rejected (2)", "setInterval"}},
		{"/ui/?status=rejected", 200, []string{"uploads/notes.txt", "uploads/old.bin"}},
		{"/ui/fragment/grid?status=processing", 200, []string{"uploads/busy.png"}},
		{"/ui/media/" + f.Rejected, 200, []string{"uploads/notes.txt", f.RequestID, "object rejected", "message received"}},
		{"/ui/media/" + f.Processed, 200, []string{`src="/ui/objects/derived/128/uploads/cat.png"`, "128: 2×1"}},
		{"/ui/media/nope", 404, nil},
		{"/ui/?after=junk", 400, nil},
		{"/ui/idempotency?stuck=1", 200, []string{f.Stuck, "stuck"}},
		{"/ui/queue", 200, []string{"1 dead letters", "thumbnailer: decode: unsupported format", "uploads/notes.txt"}},
		{"/ui/coldstart", 200, []string{"no Lambda logs"}},
		{"/ui/objects/uploads/cat.png", 200, []string{"PNG"}},
		{"/ui/objects/missing", 404, nil},
	} {
		code, body, _ := get(t, srv.URL+tc.path)
		if code != tc.code {
			t.Errorf("GET %s: %d, want %d: %.300s", tc.path, code, tc.code, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q in %.3000s", tc.path, w, body)
			}
		}
	}
	if _, body, _ := get(t, srv.URL+"/ui/queue"); strings.Contains(body, "Redrive") {
		t.Error("read-only dashboard shows the redrive button")
	}
	if _, _, h := get(t, srv.URL+"/ui/objects/uploads/notes.txt"); !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("object served without a sandbox CSP: %v", h)
	}
	res, _ := http.PostForm(srv.URL+"/ui/queue/redrive", url.Values{})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("redrive on a read-only dashboard: %d", res.StatusCode)
	}
}

func TestHandler_redrive(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	srv := MustServer(t, dir, f.Now, true)
	if _, body, _ := get(t, srv.URL+"/ui/queue"); !strings.Contains(body, "Redrive all") {
		t.Fatal("no redrive button with writes allowed")
	}
	req, _ := http.NewRequest("POST", srv.URL+"/ui/queue/redrive", nil)
	req.Header.Set("Origin", "http://evil.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin redrive: %v %v", res.StatusCode, err)
	}
	res, err = http.PostForm(srv.URL+"/ui/queue/redrive", url.Values{})
	if err != nil || res.StatusCode != 200 { // redirected to the queue page
		t.Fatalf("redrive: %v %v", res.StatusCode, err)
	}
	if _, body, _ := get(t, srv.URL+"/ui/queue"); !strings.Contains(body, "0 dead letters") || !strings.Contains(body, "1 visible") {
		t.Fatalf("after redrive: %.2000s", body)
	}
}

func TestHandler_coldStartRefreshesWhenALogGrows(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	srv := MustServer(t, dir, f.Now, false)
	sample, err := os.ReadFile("../coldstart/testdata/cloudwatch-export-text.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(sample), "\n")
	half := strings.Join(lines[:len(lines)/2], "")
	path := filepath.Join(dir, datadir.ColdStartDir, "thumbnailer.log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(half), 0o644); err != nil {
		t.Fatal(err)
	}
	_, before, _ := get(t, srv.URL+"/ui/coldstart")
	if _, again, _ := get(t, srv.URL+"/ui/coldstart"); again != before {
		t.Fatal("the report changed although the logs did not")
	}
	// The same file, appended to: same name, new size.
	if err := os.WriteFile(path, sample, 0o644); err != nil {
		t.Fatal(err)
	}
	_, after, _ := get(t, srv.URL+"/ui/coldstart")
	if after == before {
		t.Fatalf("the report was not refreshed after the log grew:\n%.1500s", after)
	}
}

// TestPages_notFramable checks that every dashboard page forbids framing
// (clickjacking of the redrive button) and that a foreign Host is refused.
func TestPages_notFramable(t *testing.T) {
	dir, _ := localtest.MustFixture(t)
	src, err := local.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	srv := httptest.NewServer(dashboard.New(src, nil))
	defer srv.Close()
	for _, p := range []string{"/ui/", "/ui/queue", "/ui/idempotency"} {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if csp := res.Header.Get("Content-Security-Policy"); res.StatusCode != 200 || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: %d, CSP %q", p, res.StatusCode, csp)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/ui/", nil)
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %d, want 403", res.StatusCode)
	}
}

// TestHandler_objectTooLarge: an object over inspect.MaxObjectBody is a 413
// pointing to the API, not read whole into memory.
func TestHandler_objectTooLarge(t *testing.T) {
	dir, f := localtest.MustFixture(t)
	objects, err := fsblob.New(filepath.Join(dir, datadir.ObjectsDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.NewReader(strings.Repeat("x", inspect.MaxObjectBody+1))
	if _, err := objects.PutReader(t.Context(), "uploads/big.bin", big, blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := MustServer(t, dir, f.Now, false)
	if code, body, _ := get(t, srv.URL+"/ui/objects/uploads/big.bin"); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "GET /objects/uploads/big.bin") {
		t.Fatalf("GET of a %d-byte object: %d %.300s", inspect.MaxObjectBody+1, code, body)
	}
}
