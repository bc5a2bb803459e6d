package writegate_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampartdev/rampart/inspect/writegate"
)

func TestGate_Check(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allow   bool
		headers map[string]string
		want    error
	}{
		{"writes not allowed", false, nil, writegate.ErrWritesDisabled},
		{"writes not allowed, same origin", false, map[string]string{"Sec-Fetch-Site": "same-origin"}, writegate.ErrWritesDisabled},
		{"non-browser client", true, nil, nil},
		{"same origin", true, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://dev.local:8080"}, nil},
		{"typed in the address bar", true, map[string]string{"Sec-Fetch-Site": "none"}, nil},
		{"origin matches host", true, map[string]string{"Origin": "http://dev.local:8080"}, nil},
		{"cross-site", true, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, writegate.ErrCrossOrigin},
		{"same-site, other origin", true, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://other.dev.local"}, writegate.ErrCrossOrigin},
		{"cross-origin, no Sec-Fetch-Site", true, map[string]string{"Origin": "http://evil.example"}, writegate.ErrCrossOrigin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://dev.local:8080/queue/redrive", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			err := writegate.New(tc.allow).Check(r)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Check: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestGate_zeroValueRefuses(t *testing.T) {
	var g *writegate.Gate
	if err := g.Check(httptest.NewRequest("POST", "/", nil)); !errors.Is(err, writegate.ErrWritesDisabled) {
		t.Fatalf("nil Gate: %v", err)
	}
	if err := (&writegate.Gate{}).Check(httptest.NewRequest("POST", "/", nil)); !errors.Is(err, writegate.ErrWritesDisabled) {
		t.Fatalf("zero Gate: %v", err)
	}
}

func TestGate_Wrap(t *testing.T) {
	ran := false
	h := writegate.New(true).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
	r := httptest.NewRequest("POST", "http://dev.local/x", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || ran {
		t.Fatalf("cross-site: %d, ran=%v", w.Code, ran)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "http://dev.local/x", nil))
	if w.Code != http.StatusOK || !ran {
		t.Fatalf("non-browser: %d, ran=%v", w.Code, ran)
	}
}
