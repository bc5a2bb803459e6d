package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/lambdatest"
	"github.com/rampartdev/rampart/logging"
	"github.com/rampartdev/rampart/middleware"
)

// provider is a payment provider that counts its charges.
type provider struct {
	charges atomic.Int32
	fail    atomic.Bool
	block   chan struct{} // when set, charges wait for it
	started chan struct{}
}

func (p *provider) charge(ctx context.Context, _ paymentRequest) (string, error) {
	if p.block != nil {
		close(p.started)
		<-p.block
	}
	if p.fail.Load() {
		return "", errors.New("provider unavailable")
	}
	return fmt.Sprintf("pay_%d", p.charges.Add(1)), nil
}

type function struct {
	h   *middleware.Handler
	out *lambdatest.Output
}

func newFunction(t *testing.T, p *provider) *function {
	t.Helper()
	lambdatest.Setenv(t, &lambdatest.Function{Name: "payments", Service: "payments"})
	lambdatest.ResetColdStart()
	out := &lambdatest.Output{}
	logger := slog.New(logging.NewJSONHandler(out, &logging.Options{Preset: logging.PresetPowertools}))
	h, err := newHandler(out, logger, memstore.New(nil), p.charge)
	if err != nil {
		t.Fatal(err)
	}
	return &function{h: h, out: out}
}

func (f *function) post(t *testing.T, key, body string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	headers := map[string]string{}
	if key != "" {
		headers["Idempotency-Key"] = key
	}
	resp, err := lambdatest.InvokeAs[events.APIGatewayV2HTTPResponse](lambdatest.Context(t, nil), f.h,
		lambdatest.APIGatewayV2Request("POST", "/payments", body, headers))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return resp
}

// TestPayments: a retry is answered from the store, once charged; the
// outcomes a client can cause are 4xx answers, not 500s.
func TestPayments(t *testing.T) {
	p := &provider{}
	f := newFunction(t, p)
	first := f.post(t, "k-1", `{"amount":1000,"currency":"EUR"}`)
	if first.StatusCode != 201 || first.Body != `{"id":"pay_1","amount":1000,"currency":"EUR"}` {
		t.Fatalf("first = %+v", first)
	}
	retry := f.post(t, "k-1", `{"amount":1000,"currency":"EUR"}`)
	if retry.StatusCode != 201 || retry.Body != first.Body || retry.Headers["Idempotent-Replayed"] != "true" || p.charges.Load() != 1 {
		t.Errorf("retry = %+v after %d charges; want the stored response, one charge", retry, p.charges.Load())
	}
	lines := f.out.Lines(t)
	created := find(lines, "message", "payment created")
	if created == nil || created["service"] != "payments" || created["function_request_id"] == nil || created["location"] == nil || created["cold_start"] != true {
		t.Errorf("log line %v: want Powertools' keys", created)
	}
	if countMetric(lines, "PaymentsCreated") != 1 || countMetric(lines, "IdempotencyReplay") != 1 {
		t.Errorf("metrics: PaymentsCreated %d, IdempotencyReplay %d; want 1 and 1", countMetric(lines, "PaymentsCreated"), countMetric(lines, "IdempotencyReplay"))
	}

	for _, tc := range []struct {
		name, key, body string
		status          int
	}{
		{"no key", "", `{"amount":1000,"currency":"EUR"}`, 400},
		{"key reused for another payment", "k-1", `{"amount":5,"currency":"EUR"}`, 422},
		{"invalid body", "k-2", `{"amount":-1}`, 400},
	} {
		if resp := f.post(t, tc.key, tc.body); resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, resp.Body, tc.status)
		}
	}
	if p.charges.Load() != 1 {
		t.Errorf("%d charges, want 1", p.charges.Load())
	}
}

// TestPayments_concurrentRetry: a retry that arrives while the first
// request is charging is told to retry later (409, Retry-After), and is not
// charged.
func TestPayments_concurrentRetry(t *testing.T) {
	p := &provider{block: make(chan struct{}), started: make(chan struct{})}
	f := newFunction(t, p)
	var first events.APIGatewayV2HTTPResponse
	var wg sync.WaitGroup
	wg.Go(func() { first = f.post(t, "k-1", `{"amount":1000,"currency":"EUR"}`) })
	<-p.started
	dup := f.post(t, "k-1", `{"amount":1000,"currency":"EUR"}`)
	close(p.block)
	wg.Wait()
	if secs, err := strconv.Atoi(dup.Headers["Retry-After"]); dup.StatusCode != 409 || err != nil || secs < 1 {
		t.Errorf("duplicate = %+v; want 409 with Retry-After", dup)
	}
	if first.StatusCode != 201 || p.charges.Load() != 1 {
		t.Errorf("first = %+v after %d charges", first, p.charges.Load())
	}
}

// TestPayments_providerFailure: a failed charge is an error for Lambda (API
// Gateway answers 500), not stored: the client's retry charges.
func TestPayments_providerFailure(t *testing.T) {
	p := &provider{}
	f := newFunction(t, p)
	p.fail.Store(true)
	ctx := lambdatest.Context(t, nil)
	req := lambdatest.APIGatewayV2Request("POST", "/payments", `{"amount":1000,"currency":"EUR"}`, map[string]string{"Idempotency-Key": "k-1"})
	if _, err := lambdatest.Invoke(ctx, f.h, req); err == nil || lambdatest.ErrorType(err) != "wrapError" {
		t.Fatalf("err = %v (%s), want the provider's failure", err, lambdatest.ErrorType(err))
	}
	p.fail.Store(false)
	if resp := f.post(t, "k-1", `{"amount":1000,"currency":"EUR"}`); resp.StatusCode != 201 || p.charges.Load() != 1 {
		t.Errorf("retry = %+v after %d charges; want it charged", resp, p.charges.Load())
	}
}

func find(ls []map[string]any, key string, value any) map[string]any {
	for _, l := range ls {
		if l[key] == value {
			return l
		}
	}
	return nil
}

func countMetric(ls []map[string]any, name string) int {
	n := 0
	for _, l := range ls {
		if _, ok := l["_aws"]; ok && l[name] != nil {
			n++
		}
	}
	return n
}
