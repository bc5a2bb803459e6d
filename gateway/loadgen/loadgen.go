// Package loadgen is a small HTTP load generator for measuring the gateway
// on loopback: open-loop at a fixed rate, or closed-loop at saturation,
// always bounded by a request count and a duration.
//
// At a fixed rate, latency is measured from the moment each request was due,
// not from when a worker got to send it, so a stalled server shows up as
// latency instead of silently lowering the rate (no coordinated omission).
// For the same reason the time bound ends the schedule, not the sending: the
// requests due before it are still sent when the server has fallen behind,
// for up to another Duration; those that are not are counted as Missed.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Options configure a run. Requests or Duration must bound it.
type Options struct {
	URL         string
	Header      http.Header   // sent with every request
	Rate        float64       // requests per second; 0 means as fast as possible (saturation)
	Concurrency int           // workers; 0 means 64
	Requests    int           // stop after this many; 0 means no count bound
	Duration    time.Duration // stop after this long; 0 means no time bound
	Client      *http.Client  // nil means a client with a pool sized for Concurrency
}

// Result summarises a run.
type Result struct {
	Sent               int
	Missed             int         // at a fixed rate: due within the bounds but never sent (the run's grace ran out)
	Errors             int         // transport errors
	Statuses           map[int]int // responses by status
	Elapsed            time.Duration
	RPS                float64 // completed requests per second
	P50, P90, P99, Max time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("%d requests in %v (%.0f req/s), p50 %v p90 %v p99 %v max %v, statuses %v, errors %d, missed %d",
		r.Sent, r.Elapsed.Round(time.Millisecond), r.RPS, r.P50, r.P90, r.P99, r.Max, r.Statuses, r.Errors, r.Missed)
}

// NewClient returns a client whose idle pool holds n connections to one
// host, so a run does not measure connection set-up.
func NewClient(n int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        n,
			MaxIdleConnsPerHost: n,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// Run sends GET requests to opts.URL until the count or time bound is
// reached or ctx ends, and returns the summary. opts must bound the run; a
// nil opts is an error.
func Run(ctx context.Context, opts *Options) (Result, error) {
	if opts == nil {
		return Result{}, errors.New("loadgen: nil options")
	}
	o := *opts
	if o.Requests <= 0 && o.Duration <= 0 {
		return Result{}, errors.New("loadgen: bound the run with Requests or Duration")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	client := o.Client
	if client == nil {
		client = NewClient(o.Concurrency)
	}
	var interval time.Duration
	if o.Rate > 0 {
		interval = time.Duration(float64(time.Second) / o.Rate)
	}
	// scheduled is the number of requests the bounds allow: at a fixed rate
	// those due before the time bound; at saturation, unknown (-1).
	scheduled := -1
	if interval > 0 {
		scheduled = o.Requests
		if o.Duration > 0 {
			n := int((o.Duration + interval - 1) / interval)
			if scheduled <= 0 || n < scheduled {
				scheduled = n
			}
		}
	}
	if o.Duration > 0 {
		grace := o.Duration
		if interval > 0 {
			grace *= 2 // the schedule ends at Duration; late requests get as long again
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, grace)
		defer cancel()
	}
	type job struct{ due time.Time }
	jobs := make(chan job, o.Concurrency)
	type sample struct {
		lat    time.Duration
		status int
	}
	samples := make([][]sample, o.Concurrency)
	var wg sync.WaitGroup
	for w := range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), "GET", o.URL, nil)
				if err != nil {
					samples[w] = append(samples[w], sample{status: -1})
					continue
				}
				for k, v := range o.Header {
					req.Header[k] = v
				}
				due := j.due
				if due.IsZero() {
					due = time.Now()
				}
				resp, err := client.Do(req)
				if err != nil {
					samples[w] = append(samples[w], sample{status: -1})
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				samples[w] = append(samples[w], sample{lat: time.Since(due), status: resp.StatusCode})
			}
		}()
	}
	start := time.Now()
	sent := 0
dispatch:
	for scheduled < 0 && (o.Requests <= 0 || sent < o.Requests) || sent < scheduled {
		var j job
		if interval > 0 {
			j.due = start.Add(time.Duration(sent) * interval)
			if d := time.Until(j.due); d > 0 {
				select {
				case <-ctx.Done():
					break dispatch
				case <-time.After(d):
				}
			}
		}
		select {
		case <-ctx.Done():
			break dispatch
		case jobs <- j:
			sent++
		}
	}
	close(jobs)
	wg.Wait()
	res := Result{Sent: sent, Statuses: map[int]int{}, Elapsed: time.Since(start)}
	if scheduled > sent {
		res.Missed = scheduled - sent
	}
	var lats []time.Duration
	for _, ss := range samples {
		for _, s := range ss {
			if s.status < 0 {
				res.Errors++
				continue
			}
			res.Statuses[s.status]++
			lats = append(lats, s.lat)
		}
	}
	if len(lats) > 0 {
		slices.Sort(lats)
		res.P50, res.P90, res.P99, res.Max = Percentile(lats, 50), Percentile(lats, 90), Percentile(lats, 99), lats[len(lats)-1]
		res.RPS = float64(len(lats)) / res.Elapsed.Seconds()
	}
	return res, nil
}

// Percentile returns the p-th percentile (nearest rank) of sorted.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
