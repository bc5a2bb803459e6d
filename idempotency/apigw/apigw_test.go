package apigw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/apigw"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/lambdatest"
	"github.com/rampartdev/rampart/metrics"
)

func newGuard(t testing.TB, store idempotency.Store, opts *idempotency.Options) *idempotency.Guard {
	t.Helper()
	if store == nil {
		store = memstore.New(nil)
	}
	if opts == nil {
		opts = &idempotency.Options{}
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	return idempotency.New(store, opts)
}

// payments is a POST /payments handler that counts its charges.
type payments struct {
	charges atomic.Int32
	status  int   // the response status; 0 means 201
	err     error // returned instead of a response
	block   chan struct{}
	started chan struct{}
}

func (p *payments) create(ctx context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if p.started != nil {
		close(p.started)
		<-p.block
	}
	if p.err != nil {
		return events.APIGatewayV2HTTPResponse{}, p.err
	}
	n := p.charges.Add(1)
	status := p.status
	if status == 0 {
		status = 201
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       fmt.Sprintf(`{"payment":"pay-%d","amount":%s}`, n, amount(r.Body)),
	}, nil
}

func amount(body string) string {
	var b struct{ Amount json.Number }
	_ = json.Unmarshal([]byte(body), &b)
	return b.Amount.String()
}

func post(key, body string) events.APIGatewayV2HTTPRequest {
	h := map[string]string{}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return lambdatest.APIGatewayV2Request("POST", "/payments", body, h)
}

type problem struct {
	Title  string
	Status int
	Detail string
}

func decodeProblem(t testing.TB, r events.APIGatewayV2HTTPResponse) problem {
	t.Helper()
	var p problem
	if err := json.Unmarshal([]byte(r.Body), &p); err != nil || r.Headers["Content-Type"] != "application/problem+json" || p.Status != r.StatusCode || p.Title == "" {
		t.Fatalf("response %+v is not a problem document (%v)", r, err)
	}
	return p
}

// TestHTTPHandler_retryReplays: a client's retry of POST /payments (same
// key, same body; another request id, trace and date) gets the stored
// response, marked as a replay and counted; the card is charged once.
func TestHTTPHandler_retryReplays(t *testing.T) {
	p := &payments{}
	h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
	var emf bytes.Buffer
	rec, _ := metrics.New(&emf, &metrics.Options{Namespace: "Payments", DisableColdStart: true})

	first, err := h(lambdatest.Context(t, nil), post("k-1", `{"amount":1000}`))
	if err != nil || first.StatusCode != 201 || first.Headers["Idempotent-Replayed"] != "" {
		t.Fatalf("first = %+v, %v", first, err)
	}
	retry := post("k-1", `{"amount":1000}`)
	retry.RequestContext.RequestID = "another-request-id"
	retry.Headers["x-amzn-trace-id"] = "Root=1-other"
	retry.Headers["date"] = "Thu, 01 Jan 2026 12:00:05 GMT"
	ctx, set := rec.Start(lambdatest.Context(t, nil))
	again, err := h(ctx, retry)
	if err != nil || again.StatusCode != 201 || again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" || again.Headers["Content-Type"] != "application/json" {
		t.Fatalf("retry = %+v, %v; want the first response, marked as a replay", again, err)
	}
	if p.charges.Load() != 1 {
		t.Errorf("%d charges, want 1", p.charges.Load())
	}
	_ = set.Flush()
	if !strings.Contains(emf.String(), `"IdempotencyReplay":1`) {
		t.Errorf("replay not counted: %s", emf.String())
	}
	// The spelling of a structured-field string is the same key.
	if quoted, _ := h(lambdatest.Context(t, nil), post(`"k-1"`, `{"amount":1000}`)); quoted.Body != first.Body {
		t.Errorf("quoted key: %+v", quoted)
	}
	// A new key is a new payment.
	if other, _ := h(lambdatest.Context(t, nil), post("k-2", `{"amount":1000}`)); other.Body == first.Body || p.charges.Load() != 2 {
		t.Errorf("new key: %+v after %d charges", other, p.charges.Load())
	}
}

// TestHTTPHandler_outcomes: every decision of the engine is its HTTP
// response, never a 500.
func TestHTTPHandler_outcomes(t *testing.T) {
	t.Run("missing key is 400", func(t *testing.T) {
		p := &payments{}
		resp, err := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)(lambdatest.Context(t, nil), post("", `{"amount":1}`))
		if err != nil || resp.StatusCode != 400 || p.charges.Load() != 0 || !strings.Contains(decodeProblem(t, resp).Title, "Idempotency-Key") {
			t.Errorf("resp %+v, err %v, charges %d", resp, err, p.charges.Load())
		}
		for _, empty := range []string{" ", `""`} {
			if resp, _ := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)(lambdatest.Context(t, nil), post(empty, `{}`)); resp.StatusCode != 400 {
				t.Errorf("key %q: %d, want 400", empty, resp.StatusCode)
			}
		}
	})
	t.Run("missing key allowed runs unguarded", func(t *testing.T) {
		p := &payments{}
		h := apigw.HTTPHandler(newGuard(t, nil, &idempotency.Options{AllowMissingKey: true}), p.create, nil)
		for range 2 {
			if resp, err := h(lambdatest.Context(t, nil), post("", `{"amount":1}`)); err != nil || resp.StatusCode != 201 {
				t.Fatalf("resp %+v, %v", resp, err)
			}
		}
		if p.charges.Load() != 2 {
			t.Errorf("%d charges, want 2: requests without a key are not deduplicated under a shared key", p.charges.Load())
		}
	})
	t.Run("reused key is 422", func(t *testing.T) {
		p := &payments{}
		h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
		_, _ = h(lambdatest.Context(t, nil), post("k-1", `{"amount":1000}`))
		resp, err := h(lambdatest.Context(t, nil), post("k-1", `{"amount":9999}`))
		if err != nil || resp.StatusCode != 422 || p.charges.Load() != 1 {
			t.Errorf("resp %+v, err %v, charges %d", resp, err, p.charges.Load())
		}
		decodeProblem(t, resp)
	})
	t.Run("in progress is 409 with Retry-After", func(t *testing.T) {
		p := &payments{block: make(chan struct{}), started: make(chan struct{})}
		h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
		var first events.APIGatewayV2HTTPResponse
		var wg sync.WaitGroup
		wg.Go(func() {
			first, _ = h(lambdatest.Context(t, &lambdatest.Invocation{Timeout: 10 * time.Second}), post("k-1", `{"amount":5}`))
		})
		<-p.started
		resp, err := h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`))
		close(p.block)
		wg.Wait()
		secs, _ := strconv.Atoi(resp.Headers["Retry-After"])
		if err != nil || resp.StatusCode != 409 || secs < 9 || secs > 12 {
			t.Errorf("duplicate = %+v, %v; want 409 with Retry-After the first's lease (10 s and the skew margin)", resp, err)
		}
		decodeProblem(t, resp)
		if first.StatusCode != 201 || p.charges.Load() != 1 {
			t.Errorf("first = %+v after %d charges", first, p.charges.Load())
		}
	})
	t.Run("in progress waits with WaitForResult", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := &payments{block: make(chan struct{}), started: make(chan struct{})}
			h := apigw.HTTPHandler(newGuard(t, nil, &idempotency.Options{WaitForResult: true}), p.create, nil)
			var first events.APIGatewayV2HTTPResponse
			var wg sync.WaitGroup
			wg.Go(func() { first, _ = h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`)) })
			<-p.started
			time.AfterFunc(200*time.Millisecond, func() { close(p.block) })
			resp, err := h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`))
			wg.Wait()
			if err != nil || resp.Body != first.Body || resp.Headers["Idempotent-Replayed"] != "true" || p.charges.Load() != 1 {
				t.Errorf("waiting duplicate = %+v, %v; want the first response replayed", resp, err)
			}
		})
	})
	t.Run("server errors are not stored", func(t *testing.T) {
		for _, status := range []int{500, 503, 429} {
			p := &payments{status: status}
			h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
			for i := range 2 {
				if resp, err := h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`)); err != nil || resp.StatusCode != status || resp.Headers["Idempotent-Replayed"] != "" {
					t.Fatalf("status %d, attempt %d: %+v, %v", status, i, resp, err)
				}
			}
			if p.charges.Load() != 2 {
				t.Errorf("status %d: handler ran %d times, want 2 (a retry runs again)", status, p.charges.Load())
			}
		}
	})
	t.Run("handler error is returned and released", func(t *testing.T) {
		p := &payments{err: errors.New("bank unreachable")}
		h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
		if _, err := h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`)); err == nil || err.Error() != "bank unreachable" {
			t.Fatalf("err = %v", err)
		}
		p.err = nil
		if resp, err := h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`)); err != nil || resp.StatusCode != 201 {
			t.Errorf("retry after a failure = %+v, %v; want it to run", resp, err)
		}
	})
}

// TestHTTPHandler_scope: a key is scoped by the route, the stage and the
// API: one key sent to another endpoint is another key; a request without
// its route is refused, never guarded under a key shared with every other
// such request.
func TestHTTPHandler_scope(t *testing.T) {
	p := &payments{}
	h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
	base := post("k-1", `{"amount":5}`)
	refund := lambdatest.APIGatewayV2Request("POST", "/refunds", `{"amount":5}`, map[string]string{"Idempotency-Key": "k-1"})
	stage := base
	stage.RequestContext.Stage = "staging"
	api := base
	api.RequestContext.APIID = "otherapi01"
	for i, r := range []events.APIGatewayV2HTTPRequest{base, refund, stage, api} {
		if resp, err := h(lambdatest.Context(t, nil), r); err != nil || resp.StatusCode != 201 || resp.Headers["Idempotent-Replayed"] != "" {
			t.Fatalf("request %d: %+v, %v", i, resp, err)
		}
	}
	if p.charges.Load() != 4 {
		t.Errorf("%d runs, want 4: a key is per route, stage and API", p.charges.Load())
	}
	bare := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"idempotency-key": "k-1"}, Body: `{"amount":5}`}
	resp, err := h(lambdatest.Context(t, nil), bare)
	if err != nil || resp.StatusCode != 500 || p.charges.Load() != 4 {
		t.Errorf("request without route: %+v, %v; want a 500 problem, not run", resp, err)
	}
	decodeProblem(t, resp)
}

// TestHTTPHandler_options: the key header and the replay header are
// configurable.
func TestHTTPHandler_options(t *testing.T) {
	p := &payments{}
	h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, &apigw.Options{Header: "X-Request-Key", ReplayHeader: "X-Replayed"})
	r := lambdatest.APIGatewayV2Request("POST", "/payments", `{"amount":5}`, map[string]string{"x-request-key": "k-9"})
	_, _ = h(lambdatest.Context(t, nil), r)
	resp, err := h(lambdatest.Context(t, nil), r)
	if err != nil || resp.Headers["X-Replayed"] != "true" || resp.Headers["Idempotent-Replayed"] != "" || p.charges.Load() != 1 {
		t.Errorf("replay = %+v, %v after %d charges", resp, err, p.charges.Load())
	}
	if resp, _ := h(lambdatest.Context(t, nil), post("k-9", `{"amount":5}`)); resp.StatusCode != 400 || !strings.Contains(resp.Body, "X-Request-Key") {
		t.Errorf("the default header is not the configured one: %+v", resp)
	}
	quiet := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, &apigw.Options{ReplayHeader: "-"})
	_, _ = quiet(lambdatest.Context(t, nil), post("k-1", `{}`))
	if resp, _ := quiet(lambdatest.Context(t, nil), post("k-1", `{}`)); len(resp.Headers) != 1 {
		t.Errorf("ReplayHeader \"-\" still marks: %v", resp.Headers)
	}
}

// unrecordable cannot save completions: the table is throttled past every
// retry.
type unrecordable struct{ idempotency.Store }

func (unrecordable) Complete(context.Context, idempotency.Record) error {
	return errors.New("ProvisionedThroughputExceededException")
}

// TestHTTPHandler_doneButNotRecorded: a payment made whose response could
// not be stored is answered with its response, not a 5xx that makes the
// client retry and pay twice; the failure is logged and counted.
func TestHTTPHandler_doneButNotRecorded(t *testing.T) {
	p := &payments{}
	var logs, emf bytes.Buffer
	rec, _ := metrics.New(&emf, &metrics.Options{Namespace: "Payments", DisableColdStart: true})
	g := newGuard(t, unrecordable{memstore.New(nil)}, nil)
	h := apigw.HTTPHandler(g, p.create, &apigw.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ctx, set := rec.Start(lambdatest.Context(t, nil))
	resp, err := h(ctx, post("k-1", `{"amount":5}`))
	if err != nil || resp.StatusCode != 201 || p.charges.Load() != 1 {
		t.Fatalf("resp %+v, err %v; want the payment's 201", resp, err)
	}
	_ = set.Flush()
	if !strings.Contains(emf.String(), `"IdempotencyNotRecorded":1`) || !strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), "ProvisionedThroughputExceededException") {
		t.Errorf("not counted or logged: %s %s", emf.String(), logs.String())
	}
	// The record is held: a retry now is told to wait, not charged again.
	if resp, _ := h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`)); resp.StatusCode != 409 || p.charges.Load() != 1 {
		t.Errorf("retry = %d after %d charges; want 409, 1", resp.StatusCode, p.charges.Load())
	}
}

// TestHTTPHandler_responseTooLarge: a payment whose response is too large
// for the store is answered with its response, and its retry is a 409
// "already processed" without Retry-After, not a second charge.
func TestHTTPHandler_responseTooLarge(t *testing.T) {
	p := &payments{}
	var logs bytes.Buffer
	g := newGuard(t, memstore.New(&memstore.Options{MaxResultSize: 64}), nil) // the stored response is over 64 bytes
	h := apigw.HTTPHandler(g, p.create, &apigw.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	resp, err := h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`))
	if err != nil || resp.StatusCode != 201 || !strings.Contains(resp.Body, "pay-1") {
		t.Fatalf("first request: %+v, %v; want the payment's 201", resp, err)
	}
	if !strings.Contains(logs.String(), "ResultTooLarge") && !strings.Contains(logs.String(), "exceeds the store's limit") {
		t.Errorf("the unstored response is not logged: %s", logs.String())
	}
	for range 2 {
		resp, err = h(lambdatest.Context(t, nil), post("k-1", `{"amount":5}`))
		if err != nil || resp.StatusCode != 409 || resp.Headers["Retry-After"] != "" || decodeProblem(t, resp).Title != "Request already processed" {
			t.Errorf("retry: %+v, %v; want 409 'Request already processed' without Retry-After", resp, err)
		}
	}
	if n := p.charges.Load(); n != 1 {
		t.Errorf("%d charges; want 1", n)
	}
}

// TestHTTPHandler_nestedReplay: a replay inside the handler (its own
// Guard.Do for a sub-step) does not mark the endpoint's fresh response as
// a replay.
func TestHTTPHandler_nestedReplay(t *testing.T) {
	inner := newGuard(t, nil, nil)
	_, _ = inner.Do(context.Background(), "step", nil, func(context.Context) ([]byte, error) { return []byte("x"), nil })
	h := apigw.HTTPHandler(newGuard(t, nil, nil), func(ctx context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if _, err := inner.Do(ctx, "step", nil, func(context.Context) ([]byte, error) { return nil, errors.New("ran twice") }); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "fresh"}, nil
	}, nil)
	resp, err := h(lambdatest.Context(t, nil), post("k-1", `{}`))
	if err != nil || resp.Body != "fresh" || resp.Headers["Idempotent-Replayed"] != "" {
		t.Errorf("resp %+v, %v; want a fresh, unmarked response", resp, err)
	}
}

// TestHTTPHandler_callersReplayHook: a replay hook the caller set on the
// context (idempotency.WithReplayHook) fires for the endpoint's replay; the
// adapter does not replace it with one of its own.
func TestHTTPHandler_callersReplayHook(t *testing.T) {
	p := &payments{}
	h := apigw.HTTPHandler(newGuard(t, nil, nil), p.create, nil)
	var replays []idempotency.Replay
	ctx := idempotency.WithReplayHook(lambdatest.Context(t, nil), func(r idempotency.Replay) { replays = append(replays, r) })
	for range 2 {
		if _, err := h(ctx, post("k-1", `{"amount":5}`)); err != nil {
			t.Fatal(err)
		}
	}
	if len(replays) != 1 || replays[0].From != "store" {
		t.Errorf("the caller's hook saw %+v; want the one replay, from the store", replays)
	}
}

// TestRESTHandler: the REST API adapter, invoked as Lambda invokes it, with
// the key in multi-value headers only and a route with a parameter.
func TestRESTHandler(t *testing.T) {
	var charges atomic.Int32
	h := apigw.RESTHandler(newGuard(t, nil, nil), func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		n := charges.Add(1)
		return events.APIGatewayProxyResponse{StatusCode: 201, Body: fmt.Sprintf(`{"capture":%d}`, n),
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1"}}}, nil
	}, nil)
	req := func(key string) events.APIGatewayProxyRequest {
		r := lambdatest.APIGatewayRequest("POST", "/payments/p-1/capture", `{}`, nil)
		r.Resource, r.RequestContext.ResourcePath = "/payments/{id}/capture", "/payments/{id}/capture"
		if key != "" {
			r.MultiValueHeaders["Idempotency-Key"] = []string{key}
		}
		return r
	}
	ctx := lambdatest.Context(t, nil)
	first, err := lambdatest.InvokeAs[events.APIGatewayProxyResponse](ctx, h, req("k-1"))
	if err != nil || first.StatusCode != 201 {
		t.Fatalf("first = %+v, %v", first, err)
	}
	again, err := lambdatest.InvokeAs[events.APIGatewayProxyResponse](ctx, h, req("k-1"))
	if err != nil || again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" || again.MultiValueHeaders["Idempotent-Replayed"][0] != "true" || charges.Load() != 1 {
		t.Errorf("retry = %+v, %v after %d captures", again, err, charges.Load())
	}
	missing, _ := lambdatest.InvokeAs[events.APIGatewayProxyResponse](ctx, h, req(""))
	if missing.StatusCode != 400 || missing.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("missing key = %+v", missing)
	}
	other := req("k-1")
	other.Body = `{"amount":1}`
	if resp, _ := lambdatest.InvokeAs[events.APIGatewayProxyResponse](ctx, h, other); resp.StatusCode != 422 {
		t.Errorf("reused key = %+v", resp)
	}
}
