package loadgen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway/loadgen"
)

func TestRun_boundedByCount(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test") != "1" {
			w.WriteHeader(400)
			return
		}
		n.Add(1)
	}))
	defer srv.Close()
	res, err := loadgen.Run(context.Background(), loadgen.Options{
		URL: srv.URL, Header: http.Header{"X-Test": {"1"}}, Requests: 200, Concurrency: 4, Duration: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 200 || res.Statuses[200] != 200 || n.Load() != 200 || res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Fatalf("%v", res)
	}
}

func TestRun_fixedRate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	res, err := loadgen.Run(context.Background(), loadgen.Options{URL: srv.URL, Rate: 200, Requests: 40, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	// 40 requests at 200/s are due over 195ms.
	if res.Sent != 40 || res.Elapsed < 190*time.Millisecond {
		t.Fatalf("%v", res)
	}
}

func TestRun_unbounded(t *testing.T) {
	if _, err := loadgen.Run(context.Background(), loadgen.Options{URL: "http://127.0.0.1:1"}); err == nil {
		t.Fatal("unbounded run accepted")
	}
}

func TestPercentile(t *testing.T) {
	s := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if loadgen.Percentile(s, 50) != 5 || loadgen.Percentile(s, 99) != 10 || loadgen.Percentile(s, 10) != 1 {
		t.Fatal("percentiles")
	}
}
