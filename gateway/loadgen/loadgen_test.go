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
	res, err := loadgen.Run(context.Background(), &loadgen.Options{
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
	res, err := loadgen.Run(context.Background(), &loadgen.Options{URL: srv.URL, Rate: 200, Requests: 40, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	// 40 requests at 200/s are due over 195ms.
	if res.Sent != 40 || res.Elapsed < 190*time.Millisecond {
		t.Fatalf("%v", res)
	}
}

// TestRun_noCoordinatedOmission stalls the server once for 100 ms under a
// 1000/s schedule with one worker. The ~100 requests due during the stall
// wait for it, and their latency counts from when they were due: p90 shows
// the stall. A generator that timed from the send would report it only as
// one slow request (its max).
func TestRun_noCoordinatedOmission(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if n.Add(1) == 50 {
			time.Sleep(100 * time.Millisecond)
		}
	}))
	defer srv.Close()
	res, err := loadgen.Run(context.Background(), &loadgen.Options{URL: srv.URL, Rate: 1000, Requests: 300, Concurrency: 1, Duration: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 300 || res.Missed != 0 || res.P90 < 50*time.Millisecond {
		t.Fatalf("stall hidden: %v", res)
	}
}

// TestRun_timeBoundEndsTheSchedule checks that requests due before the time
// bound are sent even when the server has fallen behind by then.
func TestRun_timeBoundEndsTheSchedule(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if n.Add(1) == 1 {
			time.Sleep(150 * time.Millisecond) // the whole schedule falls due meanwhile
		}
	}))
	defer srv.Close()
	res, err := loadgen.Run(context.Background(), &loadgen.Options{URL: srv.URL, Rate: 200, Concurrency: 1, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 20 || res.Missed != 0 || res.Statuses[200] != 20 || res.Max < 100*time.Millisecond {
		t.Fatalf("%v", res)
	}
}

func TestRun_unbounded(t *testing.T) {
	if _, err := loadgen.Run(context.Background(), &loadgen.Options{URL: "http://127.0.0.1:1"}); err == nil {
		t.Fatal("unbounded run accepted")
	}
}

func TestPercentile(t *testing.T) {
	s := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if loadgen.Percentile(s, 50) != 5 || loadgen.Percentile(s, 99) != 10 || loadgen.Percentile(s, 10) != 1 {
		t.Fatal("percentiles")
	}
}
