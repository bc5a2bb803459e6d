package awsstate_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/dashboard"
)

// TestDashboard_queue renders the queue page over the AWS source, which
// counts the dead letters but cannot list them: the page says so and why,
// instead of an empty table under "4 dead letters", and still offers the
// redrive SQS can do (the whole queue).
func TestDashboard_queue(t *testing.T) {
	f := mustFixture(t, 0)
	h := dashboard.New(mustSource(t, f), &dashboard.Options{AllowWrites: true, Now: func() time.Time { return f.now }})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/ui/queue", nil))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "4 dead letters") {
		t.Fatalf("queue page: %d %s", w.Code, body)
	}
	if strings.Contains(body, "Empty.") || !strings.Contains(body, "cannot be listed here: SQS cannot list dead letters without receiving them") {
		t.Errorf("the page does not say why the dead letters are not listed:\n%s", body)
	}
	if !strings.Contains(body, "Redrive all") {
		t.Errorf("no redrive button beside 4 dead letters:\n%s", body)
	}
}
