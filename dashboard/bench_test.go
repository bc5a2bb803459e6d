package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampartdev/rampart/dashboard"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/inspect/local/localtest"
)

// BenchmarkPages measures the server-side render of each page with 100,000
// media records and 100,000 idempotency records in the store.
func BenchmarkPages(b *testing.B) {
	dir, f := localtest.MustFixture(b)
	localtest.SeedLarge(b, dir, 100_000)
	src, err := local.Open(context.Background(), dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	h := dashboard.New(src, nil)
	for _, path := range []string{"/ui/", "/ui/?status=rejected", "/ui/fragment/grid", "/ui/media/" + f.Rejected,
		"/ui/idempotency", "/ui/idempotency?stuck=1", "/ui/queue", "/ui/coldstart"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodGet, path, nil)
				r.Host = "127.0.0.1" // the dashboard refuses other names
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, w.Code, w.Body)
				}
			}
		})
	}
}
