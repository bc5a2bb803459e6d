package batch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/testenv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler)) // failures are logged by design
	os.Exit(m.Run())
}

// sqsBatch builds a batch from the real sample message: one message per
// spec "id" or "id@group" (a FIFO queue when any has a group), with the
// body "body-<id>" unless given as "id=body".
func sqsBatch(t testing.TB, specs ...string) []byte {
	t.Helper()
	var sample events.SQSEvent
	if err := json.Unmarshal(testenv.LambdaEvent(t, "sqs-event.json"), &sample); err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	for _, s := range specs {
		m := sample.Records[0]
		m.Attributes = cloneAttrs(m.Attributes)
		id, body, ok := strings.Cut(s, "=")
		if !ok {
			body = "body-" + id
		}
		if id, group, ok := strings.Cut(id, "@"); ok {
			m.MessageId = id
			m.EventSourceARN = "arn:aws:sqs:us-west-2:123456789012:orders.fifo"
			m.Attributes["MessageGroupId"] = group
		} else {
			m.MessageId = id
		}
		m.Body = body
		ev.Records = append(ev.Records, m)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cloneAttrs(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// invokeSQS runs payload through aws-lambda-go's invocation path with
// batch.SQSHandler, and returns the failed itemIdentifiers and the error.
func invokeSQS(t testing.TB, payload []byte, fn batch.Handler[events.SQSMessage], opts *batch.Options[events.SQSMessage]) ([]string, error) {
	t.Helper()
	out, err := lambda.NewHandler(batch.SQSHandler(fn, opts)).Invoke(context.Background(), payload)
	if err != nil {
		return nil, err
	}
	var resp struct {
		BatchItemFailures []map[string]string `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	if resp.BatchItemFailures == nil {
		t.Fatalf("response %s has no batchItemFailures list", out)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		if len(f) != 1 || f["itemIdentifier"] == "" {
			t.Fatalf("failure entry %v is not {itemIdentifier}", f)
		}
		ids = append(ids, f["itemIdentifier"])
	}
	return ids, nil
}

// recorder is a record handler that fails the records whose body is in
// fail, and remembers which it was called for.
type recorder struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]bool
}

func (r *recorder) handle(_ context.Context, m events.SQSMessage) error {
	r.mu.Lock()
	r.calls = append(r.calls, m.MessageId)
	r.mu.Unlock()
	if r.fail[m.MessageId] {
		return fmt.Errorf("cannot process %s", m.MessageId)
	}
	return nil
}

func (r *recorder) called() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func failing(ids ...string) *recorder {
	r := &recorder{fail: map[string]bool{}}
	for _, id := range ids {
		r.fail[id] = true
	}
	return r
}

func TestSQS_standardMixed(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			r := failing("m2", "m4")
			got, err := invokeSQS(t, sqsBatch(t, "m1", "m2", "m3", "m4", "m5"), r.handle, &batch.Options[events.SQSMessage]{Concurrency: conc})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []string{"m2", "m4"}) {
				t.Errorf("failures = %v, want [m2 m4]", got)
			}
			if c := r.called(); len(c) != 5 {
				t.Errorf("handler called for %v, want all 5", c)
			}
		})
	}
}

func TestSQS_allSucceed(t *testing.T) {
	got, err := invokeSQS(t, testenv.LambdaEvent(t, "sqs-event.json"), failing().handle, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("failures = %v, err = %v; want none", got, err)
	}
}

func TestSQS_allFailed(t *testing.T) {
	_, err := invokeSQS(t, sqsBatch(t, "m1", "m2"), failing("m1", "m2").handle, nil)
	if !errors.Is(err, batch.ErrAllFailed) {
		t.Fatalf("err = %v, want ErrAllFailed", err)
	}
	var all *batch.AllFailedError
	if !errors.As(err, &all) || len(all.Errs) != 2 || !strings.Contains(all.Errs[1].Error(), "m2") {
		t.Errorf("AllFailedError = %+v", all)
	}
}

func TestSQS_panicIsRecordFailure(t *testing.T) {
	var logs bytes.Buffer
	opts := &batch.Options[events.SQSMessage]{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	got, err := invokeSQS(t, sqsBatch(t, "m1", "boom", "m3"), func(_ context.Context, m events.SQSMessage) error {
		if m.MessageId == "boom" {
			var p *struct{ x int }
			_ = p.x // nil dereference
		}
		return nil
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"boom"}) {
		t.Errorf("failures = %v, want [boom]", got)
	}
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if rec["itemIdentifier"] != "boom" || !strings.Contains(rec["stack"].(string), "batch_test.go") || !strings.Contains(rec["error"].(string), "nil pointer") {
		t.Errorf("failure log = %v", rec)
	}
}

func TestSQS_concurrencyBound(t *testing.T) {
	const limit = 3
	var inFlight, peak atomic.Int32
	arrived := make(chan struct{}, 16)
	release := make(chan struct{})
	fn := func(ctx context.Context, m events.SQSMessage) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		arrived <- struct{}{}
		<-release
		return nil
	}
	done := make(chan error)
	go func() {
		_, err := invokeSQS(t, sqsBatch(t, "a", "b", "c", "d", "e", "f", "g"), fn, &batch.Options[events.SQSMessage]{Concurrency: limit})
		done <- err
	}()
	for range limit { // exactly `limit` handlers start before any returns
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("handlers did not run concurrently")
		}
	}
	select {
	case <-arrived:
		t.Fatal("more than Concurrency handlers ran at once")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p != limit {
		t.Errorf("peak concurrency %d, want %d", p, limit)
	}
}

func TestSQS_FIFO(t *testing.T) {
	msgs := []string{"a1@A", "b1@B", "a2@A", "b2@B", "c1@C"}
	for _, tc := range []struct {
		name       string
		mode       batch.FIFOMode
		wantFailed []string
		notCalled  []string
	}{
		{"stop on failure", batch.StopOnFailure, []string{"b1", "a2", "b2", "c1"}, []string{"a2", "b2", "c1"}},
		{"skip the failed group", batch.SkipGroupOnFailure, []string{"b1", "b2"}, []string{"b2"}},
	} {
		for _, conc := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s, concurrency %d", tc.name, conc), func(t *testing.T) {
				r := failing("b1")
				got, err := invokeSQS(t, sqsBatch(t, msgs...), r.handle, &batch.Options[events.SQSMessage]{FIFO: tc.mode, Concurrency: conc})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tc.wantFailed) {
					t.Errorf("failures = %v, want %v", got, tc.wantFailed)
				}
				calls := r.called()
				for _, id := range tc.notCalled {
					if slices.Contains(calls, id) {
						t.Errorf("%s was processed after an earlier failure (calls %v)", id, calls)
					}
				}
				// Group order is kept: a1 before a2.
				if i, j := slices.Index(calls, "a1"), slices.Index(calls, "a2"); j >= 0 && j < i {
					t.Errorf("a2 processed before a1: %v", calls)
				}
			})
		}
	}
	t.Run("first message fails: all failed", func(t *testing.T) {
		_, err := invokeSQS(t, sqsBatch(t, msgs...), failing("a1").handle, nil)
		if !errors.Is(err, batch.ErrAllFailed) || !errors.Is(err, batch.ErrNotProcessed) {
			t.Errorf("err = %v, want ErrAllFailed wrapping ErrNotProcessed", err)
		}
	})
}

func newGuard(t testing.TB) *idempotency.Guard {
	t.Helper()
	return idempotency.New(memstore.New(nil), &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
}

// TestSQS_duplicatesInOneBatch sends the same order three times in one batch
// (distinct message ids, same business key) and again in a second batch:
// the handler runs once; every copy counts as a success.
func TestSQS_duplicatesInOneBatch(t *testing.T) {
	g := newGuard(t)
	var runs sync.Map // body -> *atomic.Int32
	fn := func(_ context.Context, m events.SQSMessage) error {
		n, _ := runs.LoadOrStore(m.Body, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		time.Sleep(time.Millisecond) // widen the window for a concurrent duplicate
		return nil
	}
	opts := &batch.Options[events.SQSMessage]{
		Guard:       g,
		Concurrency: 4,
		Key:         func(m events.SQSMessage) (string, error) { return "order|" + m.Body, nil },
	}
	payload := sqsBatch(t, "m1=order-1", "m2=order-2", "m3=order-1", "m4=order-1", "m5=order-3")
	for i := range 2 {
		got, err := invokeSQS(t, payload, fn, opts)
		if err != nil || len(got) != 0 {
			t.Fatalf("batch %d: failures %v, err %v; want none", i+1, got, err)
		}
	}
	runs.Range(func(k, v any) bool {
		if n := v.(*atomic.Int32).Load(); n != 1 {
			t.Errorf("%s processed %d times, want 1", k, n)
		}
		return true
	})
}

// TestSQS_idempotentFailureIsRetried checks that a failed record releases its
// key: the duplicate later in the batch, and the next delivery, run it again.
func TestSQS_idempotentFailureIsRetried(t *testing.T) {
	var calls atomic.Int32
	fn := func(_ context.Context, m events.SQSMessage) error {
		if calls.Add(1) == 1 {
			return errors.New("transient")
		}
		return nil
	}
	opts := &batch.Options[events.SQSMessage]{Guard: newGuard(t), Key: func(m events.SQSMessage) (string, error) { return m.Body, nil }}
	got, err := invokeSQS(t, sqsBatch(t, "m1=same", "m2=same"), fn, opts)
	if err != nil || !slices.Equal(got, []string{"m1"}) || calls.Load() != 2 {
		t.Errorf("failures %v, err %v, calls %d; want [m1], nil, 2", got, err, calls.Load())
	}
}

func TestSQS_contextDoneLeavesRecordsForRetry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ev events.SQSEvent
	_ = json.Unmarshal(sqsBatch(t, "m1", "m2", "m3"), &ev)
	var logs bytes.Buffer
	opts := &batch.Options[events.SQSMessage]{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	resp, err := batch.SQS(ctx, ev, func(_ context.Context, m events.SQSMessage) error {
		if m.MessageId == "m1" {
			cancel() // the deadline guard fires while m1 runs
		}
		return nil
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if !slices.Equal(ids, []string{"m2", "m3"}) {
		t.Errorf("failures = %v, want [m2 m3]", ids)
	}
	if !strings.Contains(logs.String(), `"msg":"batch: context ended, records left for retry","records":2`) {
		t.Errorf("log = %s", logs.String())
	}
}

// TestSQS_missingKey uses a key function that finds no key in some
// messages: with the Guard's AllowMissingKey they run unguarded (every
// delivery runs them again), without it they fail, and the log says why.
func TestSQS_missingKey(t *testing.T) {
	key := func(m events.SQSMessage) (string, error) {
		if strings.HasPrefix(m.Body, "anon") {
			return "", fmt.Errorf("%w: message has no order id", idempotency.ErrMissingKey)
		}
		if m.Body == "blank" {
			return "", nil // an empty key is a missing key too
		}
		return m.Body, nil
	}
	payload := sqsBatch(t, "m1=order-1", "m2=anon-1", "m3=blank")
	for _, tc := range []struct {
		name       string
		allow      bool
		wantFailed []string
		wantRuns   map[string]int // message id -> runs after two deliveries
	}{
		{"allowed", true, []string{}, map[string]int{"m1": 1, "m2": 2, "m3": 2}},
		{"refused", false, []string{"m2", "m3"}, map[string]int{"m1": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			g := idempotency.New(memstore.New(nil), &idempotency.Options{
				AllowMissingKey: tc.allow, Logger: slog.New(slog.DiscardHandler),
			})
			opts := &batch.Options[events.SQSMessage]{
				Guard: g, Key: key, Concurrency: 2,
				Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			}
			var mu sync.Mutex
			runs := map[string]int{}
			fn := func(_ context.Context, m events.SQSMessage) error {
				mu.Lock()
				runs[m.MessageId]++
				mu.Unlock()
				return nil
			}
			for i := range 2 {
				got, err := invokeSQS(t, payload, fn, opts)
				slices.Sort(got)
				if err != nil || !slices.Equal(got, tc.wantFailed) {
					t.Fatalf("delivery %d: failures %v, err %v; want %v", i+1, got, err, tc.wantFailed)
				}
			}
			if !maps.Equal(runs, tc.wantRuns) {
				t.Errorf("runs %v; want %v", runs, tc.wantRuns)
			}
			for _, id := range tc.wantFailed {
				want := `"msg":"batch: record failed","itemIdentifier":"` + id + `","error":"idempotency: no idempotency key`
				if !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "AllowMissingKey is off") {
					t.Errorf("log has no failure of %s with its reason:\n%s", id, logs.String())
				}
			}
			if tc.allow && logs.Len() != 0 {
				t.Errorf("unexpected batch log: %s", logs.String())
			}
		})
	}
}

// TestSQS_panicUnderGuard checks that a panicking record releases its
// idempotency record, so that the next delivery processes it.
func TestSQS_panicUnderGuard(t *testing.T) {
	opts := &batch.Options[events.SQSMessage]{Guard: newGuard(t)}
	calls := 0
	fn := func(_ context.Context, m events.SQSMessage) error {
		calls++
		if calls == 1 {
			panic("first delivery crashes")
		}
		return nil
	}
	payload := sqsBatch(t, "m1", "m2")
	got, err := invokeSQS(t, payload, fn, opts)
	if err != nil || !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("first delivery: failures %v, err %v; want [m1]", got, err)
	}
	got, err = invokeSQS(t, payload, fn, opts)
	if err != nil || len(got) != 0 || calls != 3 {
		t.Errorf("redelivery: failures %v, err %v, %d calls; want none, m1 run again (3 calls)", got, err, calls)
	}
}

func kinesisBatch(t testing.TB, n int) []byte {
	t.Helper()
	var sample events.KinesisEvent
	if err := json.Unmarshal(testenv.LambdaEvent(t, "kinesis-event.json"), &sample); err != nil {
		t.Fatal(err)
	}
	var ev events.KinesisEvent
	for i := range n {
		r := sample.Records[i%len(sample.Records)]
		r.Kinesis.SequenceNumber = fmt.Sprintf("4956816737%046d", i+1)
		r.EventID = "shardId-000000000000:" + r.Kinesis.SequenceNumber
		ev.Records = append(ev.Records, r)
	}
	b, _ := json.Marshal(ev)
	return b
}

func TestKinesis(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failAt  int // 1-based; 0 = none
		want    []int
		allFail bool
	}{
		{"all succeed", 0, nil, false},
		{"reports from the first failure on", 2, []int{2, 3, 4}, false},
		{"first record fails", 1, []int{1, 2, 3, 4}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var called []int
			fn := func(_ context.Context, r events.KinesisEventRecord) error {
				var n int
				fmt.Sscan(strings.TrimPrefix(r.Kinesis.SequenceNumber, "4956816737"), &n)
				called = append(called, n)
				if n == tc.failAt {
					return errors.New("bad record")
				}
				return nil
			}
			out, err := lambda.NewHandler(func(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
				return batch.Kinesis(ctx, ev, fn, nil)
			}).Invoke(context.Background(), kinesisBatch(t, 4))
			if tc.allFail {
				if !errors.Is(err, batch.ErrAllFailed) {
					t.Fatalf("err = %v, want ErrAllFailed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var resp events.KinesisEventResponse
			_ = json.Unmarshal(out, &resp)
			var got []int
			for _, f := range resp.BatchItemFailures {
				var n int
				fmt.Sscan(strings.TrimPrefix(f.ItemIdentifier, "4956816737"), &n)
				got = append(got, n)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("failures = %v, want %v", got, tc.want)
			}
			if tc.failAt > 0 && len(called) != tc.failAt {
				t.Errorf("processed %v: records after the failure must not run", called)
			}
		})
	}
}

func TestDynamoDB(t *testing.T) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(testenv.LambdaEvent(t, "dynamodb-event.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev.Records[1].Change.SequenceNumber = "1405400000000002063282833"
	g := newGuard(t)
	var calls atomic.Int32
	fn := func(_ context.Context, r events.DynamoDBEventRecord) error {
		calls.Add(1)
		if r.EventID == ev.Records[1].EventID {
			return errors.New("cannot apply the change")
		}
		return nil
	}
	opts := &batch.Options[events.DynamoDBEventRecord]{Guard: g}
	resp, err := batch.DynamoDB(context.Background(), ev, fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "1405400000000002063282833" {
		t.Errorf("failures = %+v, want the second record's sequence number", resp.BatchItemFailures)
	}
	// Lambda retries from the failed record: the INSERT before it is not
	// processed again.
	_, _ = batch.DynamoDB(context.Background(), ev, fn, opts)
	if n := calls.Load(); n != 3 {
		t.Errorf("handler ran %d times over two deliveries, want 3 (first record once, second twice)", n)
	}
}
