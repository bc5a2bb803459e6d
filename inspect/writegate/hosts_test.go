package writegate_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampartdev/rampart/inspect/writegate"
)

// onListener returns r as if it arrived on a connection to local.
func onListener(r *http.Request, local string) *http.Request {
	addr, err := net.ResolveTCPAddr("tcp", local)
	if err != nil {
		panic(err)
	}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, addr))
}

func TestHosts_Check(t *testing.T) {
	h := writegate.NewHosts("dev.example", "box.lan:9000")
	for _, tc := range []struct {
		local, host string
		ok          bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"127.0.0.1:8080", "localhost:8080", true},
		{"127.0.0.1:8080", "LocalHost:8080", true},
		{"[::1]:8080", "[::1]:8080", true},
		{"127.0.0.1:8080", "dev.example:8080", true},
		{"127.0.0.1:9000", "box.lan:9000", true},
		{"192.168.1.5:8080", "192.168.1.5:8080", true}, // an IP literal of the listener
		{"127.0.0.1:80", "localhost", true},
		{"127.0.0.1:8080", "evil.example:8080", false}, // DNS rebinding
		{"127.0.0.1:8080", "evil.example", false},
		{"127.0.0.1:8080", "localhost:9999", false}, // another port: another server
		{"127.0.0.1:8080", "localhost", false},
		{"127.0.0.1:8080", "box.lan:8080", false},
		{"127.0.0.1:8080", "localhost.evil.example:8080", false},
		{"127.0.0.1:8080", "127.0.0.2:8080", false},
		{"127.0.0.1:8080", "", false},
	} {
		r := onListener(httptest.NewRequest("GET", "/queue", nil), tc.local)
		r.Host = tc.host
		err := h.Check(r)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, writegate.ErrForeignHost) {
			t.Errorf("Host %q on %s: %v, want ok=%v", tc.host, tc.local, err, tc.ok)
		}
	}
}

func TestHosts_CheckOrigin(t *testing.T) {
	h := writegate.NewHosts()
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://127.0.0.1:8765", true},
		{"http://localhost:8765", true},
		{"http://evil.example", false},
		{"http://evil.example:8765", false},
		{"http://localhost:1234", false},
		{"null", false},
		{"file://", false},
		{"http://localhost:8765/path", false},
	} {
		r := onListener(httptest.NewRequest("POST", "/mcp", nil), "127.0.0.1:8765")
		r.Host = "127.0.0.1:8765"
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		err := h.CheckOrigin(r)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, writegate.ErrForeignOrigin) {
			t.Errorf("Origin %q: %v, want ok=%v", tc.origin, err, tc.ok)
		}
	}
}

// TestHosts_Wrap checks through a real listener that a foreign Host gets a
// JSON 403 and never reaches the handler.
func TestHosts_Wrap(t *testing.T) {
	ran := 0
	srv := httptest.NewServer(writegate.NewHosts().WrapOrigin(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran++ })))
	defer srv.Close()
	for _, tc := range []struct {
		host, origin string
		code         int
	}{
		{"", "", 200},
		{"evil.example", "", 403},
		{"", "http://evil.example", 403},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/mcp", nil)
		if tc.host != "" {
			req.Host = tc.host
		}
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != tc.code || tc.code == 403 && (body.Error == "" || res.Header.Get("Content-Type") != "application/json") {
			t.Errorf("Host %q Origin %q: %d %q, want %d with a JSON error", tc.host, tc.origin, res.StatusCode, body.Error, tc.code)
		}
	}
	if ran != 1 {
		t.Errorf("handler ran %d times, want 1", ran)
	}
}

func TestObjectHeaders(t *testing.T) {
	for _, tc := range []struct{ ct, wantType, wantDisp string }{
		{"image/jpeg", "image/jpeg", "inline"},
		{"image/png", "image/png", "inline"},
		{"text/html", "text/html", `attachment; filename=x.html`},
		{"image/svg+xml", "image/svg+xml", `attachment; filename=x.html`},
		{"", "application/octet-stream", `attachment; filename=x.html`},
		{"garbage;;", "application/octet-stream", `attachment; filename=x.html`},
	} {
		h := http.Header{}
		writegate.ObjectHeaders(h, "uploads/x.html", tc.ct)
		if h.Get("Content-Type") != tc.wantType || h.Get("Content-Disposition") != tc.wantDisp ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != writegate.ObjectCSP {
			t.Errorf("%q: %v", tc.ct, h)
		}
	}
}
