package dynamostore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
)

// fixture is a store on a fresh table, reached through client (which may go
// through a proxy), with its requests counted.
type fixture struct {
	store  *dynamostore.Store
	client *dynamodb.Client // straight to the server, uncounted
	table  string
	count  *Counter
}

// newFixture makes a fresh table on the test server and a store for it that
// talks to url (the server itself when url is empty).
func newFixture(t testing.TB, url string, opts *dynamostore.Options) *fixture {
	t.Helper()
	ep := endpoint(t)
	direct := MustClient(t, ep)
	table := MustTable(t, direct, opts)
	if url == "" {
		url = ep
	}
	var o dynamostore.Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler) // the fallback read's warning
	}
	c := &Counter{}
	return &fixture{
		store:  dynamostore.New(MustClient(t, url, WithCounter(c)), table, &o),
		client: direct,
		table:  table,
		count:  c,
	}
}

func (f *fixture) rawItem(t *testing.T, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func record(key, owner string, now time.Time) idempotency.Record {
	return idempotency.Record{
		Key:              key,
		Status:           idempotency.StatusInProgress,
		Owner:            owner,
		PayloadHash:      "hash-" + key,
		InProgressExpiry: now.Add(10 * time.Second),
		Expiry:           now.Add(time.Hour),
	}
}

func attrS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return fmt.Sprintf("<%T>", item[name])
}

func attrN(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return -1
}

func TestStore_PowertoolsSchema(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *dynamostore.Options
		key  map[string]types.AttributeValue
	}{
		{"partitionKey", nil, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "k1"}}},
		{"sortKey", &dynamostore.Options{SortKeyAttr: "sk", KeyAttr: "pk", StaticPKValue: "idempotency#fn"},
			map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "idempotency#fn"}, "sk": &types.AttributeValueMemberS{Value: "k1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "", tc.opts)
			ctx := context.Background()
			now := time.Now()
			rec := record("k1", "owner-1", now)
			if err := f.store.Acquire(ctx, rec, now); err != nil {
				t.Fatal(err)
			}
			item := f.rawItem(t, tc.key)
			if got := attrS(item, "status"); got != "INPROGRESS" {
				t.Errorf("status = %s", got)
			}
			if got := attrS(item, "owner"); got != "owner-1" {
				t.Errorf("owner = %s", got)
			}
			if got := attrS(item, "validation"); got != "hash-k1" {
				t.Errorf("validation = %s", got)
			}
			if got, want := attrN(item, "in_progress_expiration"), rec.InProgressExpiry.UnixMilli(); got != want {
				t.Errorf("in_progress_expiration = %d, want %d (epoch ms)", got, want)
			}
			if got, want := attrN(item, "expiration"), rec.Expiry.Unix()+1; got != want {
				t.Errorf("expiration = %d, want %d (epoch seconds, rounded up)", got, want)
			}

			rec.Result = []byte(`{"ok":true}`)
			rec.Expiry = now.Add(2 * time.Hour)
			if err := f.store.Complete(ctx, rec); err != nil {
				t.Fatal(err)
			}
			item = f.rawItem(t, tc.key)
			if got := attrS(item, "status"); got != "COMPLETED" {
				t.Errorf("status = %s", got)
			}
			if got := attrS(item, "data"); got != `{"ok":true}` {
				t.Errorf("data = %s", got)
			}
			got, err := f.store.Get(ctx, "k1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != "k1" || got.Status != idempotency.StatusCompleted || got.Owner != "owner-1" ||
				got.PayloadHash != "hash-k1" || string(got.Result) != `{"ok":true}` ||
				got.Expiry.UnixMilli() != rec.Expiry.UnixMilli() {
				t.Errorf("Get = %+v", got)
			}
		})
	}
}

func TestStore_BinaryAndEmptyResults(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	now := time.Now()
	for _, result := range [][]byte{{0xff, 0x00, 0xfe}, nil} {
		key := fmt.Sprintf("k%x", result)
		rec := record(key, "o", now)
		if err := f.store.Acquire(ctx, rec, now); err != nil {
			t.Fatal(err)
		}
		rec.Result = result
		if err := f.store.Complete(ctx, rec); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Result, result) {
			t.Errorf("Result = %x, want %x", got.Result, result)
		}
	}
}

// TestStore_DuplicateCost proves the duplicate path costs one write and no
// read against a server that returns the old item with the failed condition,
// as DynamoDB does (the proxy adds it, since dynalite omits it), and one
// read more against dynalite itself.
func TestStore_DuplicateCost(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inject    bool
		wantReads int
	}{{"oldItemReturned", true, 0}, {"readFallback", false, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			p := MustProxy(t, endpoint(t), tc.inject, "id")
			f := newFixture(t, p.URL, nil)
			ctx := context.Background()
			now := time.Now()
			if err := f.store.Acquire(ctx, record("k", "first", now), now); err != nil {
				t.Fatal(err)
			}
			f.count.Reset()
			err := f.store.Acquire(ctx, record("k", "second", now), now)
			var ce *idempotency.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("second Acquire = %v, want *ConflictError", err)
			}
			if ce.Existing.Owner != "first" || ce.Existing.Status != idempotency.StatusInProgress || ce.Existing.PayloadHash != "hash-k" {
				t.Errorf("Existing = %+v", ce.Existing)
			}
			if w, r := f.count.Writes(), f.count.Reads(); w != 1 || r != tc.wantReads {
				t.Errorf("duplicate cost %d writes and %d reads, want 1 and %d", w, r, tc.wantReads)
			}
			if tc.inject && p.Injected.Load() != 1 {
				t.Errorf("proxy injected %d old items, want 1", p.Injected.Load())
			}
		})
	}
}

func TestStore_FirstDeliveryCostsTwoWrites(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	now := time.Now()
	rec := record("k", "o", now)
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	rec.Result = []byte("r")
	if err := f.store.Complete(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if w, r := f.count.Writes(), f.count.Reads(); w != 2 || r != 0 {
		t.Errorf("first delivery cost %d writes and %d reads, want 2 and 0", w, r)
	}
}

func TestStore_LeaseAndExpiry(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	now := time.Now()
	rec := record("k", "first", now)
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	// One millisecond before the lease ends the record still blocks; at its
	// end it does not.
	var ce *idempotency.ConflictError
	if err := f.store.Acquire(ctx, record("k", "early", now), rec.InProgressExpiry.Add(-time.Millisecond)); !errors.As(err, &ce) {
		t.Fatalf("Acquire before the lease ends = %v, want conflict", err)
	}
	later := rec.InProgressExpiry
	if err := f.store.Acquire(ctx, record("k", "second", later), later); err != nil {
		t.Fatalf("Acquire at the lease's end = %v, want takeover", err)
	}
	// The first holder is fenced.
	rec.Result = []byte("late")
	if err := f.store.Complete(ctx, rec); !errors.Is(err, idempotency.ErrFenced) {
		t.Errorf("fenced Complete = %v, want ErrFenced", err)
	}
	if err := f.store.Release(ctx, "k", "first"); !errors.Is(err, idempotency.ErrFenced) {
		t.Errorf("fenced Release = %v, want ErrFenced", err)
	}
	// The second holder completes; the record blocks until its expiry.
	rec2 := record("k", "second", later)
	rec2.Result = []byte("done")
	if err := f.store.Complete(ctx, rec2); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Release(ctx, "k", "second"); !errors.Is(err, idempotency.ErrFenced) {
		t.Errorf("Release of a completed record = %v, want ErrFenced", err)
	}
	if err := f.store.Acquire(ctx, record("k", "third", now), rec2.Expiry.Add(-time.Millisecond)); !errors.As(err, &ce) || string(ce.Existing.Result) != "done" {
		t.Fatalf("Acquire before expiry = %v, want conflict with the result", err)
	}
	if err := f.store.Acquire(ctx, record("k", "third", rec2.Expiry), rec2.Expiry); err != nil {
		t.Fatalf("Acquire at expiry = %v, want success", err)
	}
	if err := f.store.Release(ctx, "k", "third"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Get(ctx, "k"); !errors.Is(err, idempotency.ErrNotFound) {
		t.Errorf("Get after Release = %v, want ErrNotFound", err)
	}
	if err := f.store.Delete(ctx, "k"); err != nil {
		t.Errorf("Delete of a missing record = %v", err)
	}
}

// TestStore_PowertoolsItems checks items written by Powertools (no owner, no
// expiration_ms) are decoded and judged by their expiry in seconds.
func TestStore_PowertoolsItems(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	now := time.Unix(1_900_000_000, 0)
	_, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]types.AttributeValue{
		"id":                     &types.AttributeValueMemberS{Value: "pt"},
		"status":                 &types.AttributeValueMemberS{Value: "COMPLETED"},
		"data":                   &types.AttributeValueMemberS{Value: `{"x":1}`},
		"validation":             &types.AttributeValueMemberS{Value: "v"},
		"expiration":             &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix()+60, 10)},
		"in_progress_expiration": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Get(ctx, "pt")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != idempotency.StatusCompleted || string(got.Result) != `{"x":1}` || got.Expiry.Unix() != now.Unix()+60 || got.Owner != "" {
		t.Errorf("Get = %+v", got)
	}
	var ce *idempotency.ConflictError
	if err := f.store.Acquire(ctx, record("pt", "o", now), now.Add(59*time.Second)); !errors.As(err, &ce) {
		t.Errorf("Acquire before expiration = %v, want conflict", err)
	}
	// Within the second after expiration: expired, as Record.Live says.
	if err := f.store.Acquire(ctx, record("pt", "o", now), now.Add(60500*time.Millisecond)); err != nil {
		t.Errorf("Acquire after expiration = %v", err)
	}

	// An INPROGRESS item of a Powertools version without
	// in_progress_expiration holds until it expires.
	_, err = f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]types.AttributeValue{
		"id":         &types.AttributeValueMemberS{Value: "old"},
		"status":     &types.AttributeValueMemberS{Value: "INPROGRESS"},
		"expiration": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix()+60, 10)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Acquire(ctx, record("old", "o", now), now.Add(30*time.Second)); !errors.As(err, &ce) || !ce.Existing.InProgressExpiry.Equal(ce.Existing.Expiry) {
		t.Errorf("Acquire of a legacy in-progress item = %v, want conflict with the lease ending at expiry", err)
	}
	if err := f.store.Acquire(ctx, record("old", "o", now), now.Add(60*time.Second)); err != nil {
		t.Errorf("Acquire of a legacy in-progress item at expiry = %v", err)
	}
}

// TestStore_PowertoolsLeaseMargin checks that the lease of an INPROGRESS
// item Powertools wrote (no owner), which ends at its deadline without a
// skew margin, is held ForeignLeaseMargin longer by Acquire, Get and List,
// while Rampart's own leases end where they say.
func TestStore_PowertoolsLeaseMargin(t *testing.T) {
	ctx := context.Background()
	ends := time.UnixMilli(1_900_000_000_000)
	for _, c := range []struct {
		name   string
		margin time.Duration // Options.ForeignLeaseMargin
		held   time.Duration // how long after ends the lease is held
	}{
		{"default", 0, idempotency.DefaultSkewMargin},
		{"5s", 5 * time.Second, 5 * time.Second},
		{"none", -1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, "", &dynamostore.Options{ForeignLeaseMargin: c.margin})
			put := func(key string, item map[string]types.AttributeValue) {
				t.Helper()
				item["id"] = &types.AttributeValueMemberS{Value: key}
				item["status"] = &types.AttributeValueMemberS{Value: "INPROGRESS"}
				item["expiration"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ends.Unix()+3600, 10)}
				item["in_progress_expiration"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ends.UnixMilli(), 10)}
				if _, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item}); err != nil {
					t.Fatal(err)
				}
			}
			put("pt", map[string]types.AttributeValue{})
			put("ours", map[string]types.AttributeValue{
				"owner":         &types.AttributeValueMemberS{Value: "rampart"},
				"expiration_ms": &types.AttributeValueMemberN{Value: strconv.FormatInt(ends.UnixMilli()+3600_000, 10)},
			})
			if got, err := f.store.Get(ctx, "pt"); err != nil || !got.InProgressExpiry.Equal(ends.Add(c.held)) {
				t.Errorf("Get(Powertools item) lease ends %v, %v; want %v", got.InProgressExpiry, err, ends.Add(c.held))
			}
			if got, err := f.store.Get(ctx, "ours"); err != nil || !got.InProgressExpiry.Equal(ends) {
				t.Errorf("Get(Rampart item) lease ends %v, %v; want %v", got.InProgressExpiry, err, ends)
			}
			if c.held > 0 {
				within := ends.Add(c.held - time.Millisecond)
				var ce *idempotency.ConflictError
				if err := f.store.Acquire(ctx, record("pt", "o", within), within); !errors.As(err, &ce) {
					t.Errorf("Acquire within the margin after Powertools' lease = %v; want a conflict", err)
				}
				recs, _, err := f.store.List(ctx, idempotency.ListOptions{StuckAt: within})
				if err != nil || len(recs) != 1 || recs[0].Key != "ours" {
					t.Errorf("List(StuckAt within the margin) = %+v, %v; want only Rampart's record", recs, err)
				}
			}
			if err := f.store.Acquire(ctx, record("ours", "o", ends), ends); err != nil {
				t.Errorf("Acquire at the end of Rampart's lease = %v; want a takeover", err)
			}
			past := ends.Add(c.held)
			if err := f.store.Acquire(ctx, record("pt", "o", past), past); err != nil {
				t.Errorf("Acquire %v after Powertools' lease = %v; want a takeover", c.held, err)
			}
		})
	}
}

func TestStore_ResultTooLarge(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	now := time.Now()
	rec := record("k", "o", now)
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	rec.Result = bytes.Repeat([]byte("x"), dynamostore.MaxItemSize)
	var tl *idempotency.ResultTooLargeError
	err := f.store.Complete(ctx, rec)
	if !errors.As(err, &tl) || tl.Size != dynamostore.MaxItemSize || tl.Limit != dynamostore.MaxResultSize {
		t.Fatalf("Complete = %v, want *ResultTooLargeError", err)
	}
	if w := f.count.Get("UpdateItem"); w != 0 {
		t.Errorf("a result known to be too large was sent (%d UpdateItems)", w)
	}
	// The largest result that fits is stored, even with the longest key
	// DynamoDB allows (2 KiB).
	long := record(string(bytes.Repeat([]byte("k"), 2048)), "o", now)
	long.PayloadHash = string(bytes.Repeat([]byte("h"), 64)) // a SHA-256 in hex
	if err := f.store.Acquire(ctx, long, now); err != nil {
		t.Fatal(err)
	}
	long.Result = rec.Result[:dynamostore.MaxResultSize]
	if err := f.store.Complete(ctx, long); err != nil {
		t.Fatalf("Complete with a result of MaxResultSize = %v", err)
	}

	// The server's own check maps to the same error.
	dynamostore.SetMaxItemSize(f.store, 10*dynamostore.MaxItemSize)
	rec2 := record("k2", "o", now)
	if err := f.store.Acquire(ctx, rec2, now); err != nil {
		t.Fatal(err)
	}
	rec2.Result = bytes.Repeat([]byte("y"), dynamostore.MaxItemSize+1)
	if err := f.store.Complete(ctx, rec2); !errors.As(err, &tl) {
		t.Fatalf("Complete rejected by the server = %v, want *ResultTooLargeError", err)
	}
	if got, err := f.store.Get(ctx, "k2"); err != nil || got.Status != idempotency.StatusInProgress {
		t.Errorf("record after a too-large Complete = %+v, %v; want it unchanged", got, err)
	}
}

func TestStore_ThrottlingIsRetried(t *testing.T) {
	p := MustProxy(t, endpoint(t), false)
	quick := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 4
		o.MaxBackoff = 20 * time.Millisecond
	})
	f := newFixture(t, p.URL, &dynamostore.Options{Retryer: quick})
	ctx := context.Background()
	now := time.Now()
	p.Throttle.Store(2)
	if err := f.store.Acquire(ctx, record("k", "o", now), now); err != nil {
		t.Fatalf("Acquire after two throttled attempts = %v", err)
	}
	if n := f.count.Get("PutItem"); n != 3 {
		t.Errorf("PutItem attempts = %d, want 3", n)
	}

	once := dynamostore.New(MustClient(t, p.URL), f.table, &dynamostore.Options{Retryer: retry.AddWithMaxAttempts(quick, 1)})
	p.Throttle.Store(1)
	err := once.Acquire(ctx, record("k2", "o", now), now)
	var pte *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Errorf("Acquire with retries off = %v, want ProvisionedThroughputExceededException", err)
	}
}

// TestStore_ConcurrentAcquire delivers one key from many goroutines: exactly
// one acquires, every other gets the winner's record.
func TestStore_ConcurrentAcquire(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject bool
	}{{"oldItemReturned", true}, {"readFallback", false}} {
		t.Run(tc.name, func(t *testing.T) {
			p := MustProxy(t, endpoint(t), tc.inject, "id")
			f := newFixture(t, p.URL, nil)
			now := time.Now()
			const n = 32
			var wins atomic.Int32
			var wg sync.WaitGroup
			winner := make([]string, n)
			for i := range n {
				wg.Go(func() {
					owner := fmt.Sprint("o", i)
					err := f.store.Acquire(context.Background(), record("k", owner, now), now)
					var ce *idempotency.ConflictError
					switch {
					case err == nil:
						wins.Add(1)
						winner[i] = owner
					case errors.As(err, &ce):
						winner[i] = ce.Existing.Owner
					default:
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d goroutines acquired, want 1", wins.Load())
			}
			for i := range winner {
				if winner[i] != winner[0] {
					t.Errorf("goroutine %d saw holder %q, goroutine 0 saw %q", i, winner[i], winner[0])
				}
			}
		})
	}
}

// TestStore_ConflictVanishes covers a server without the old item whose
// conflicting record is deleted between the failed write and the read: the
// store tries the write again and acquires.
func TestStore_ConflictVanishes(t *testing.T) {
	p := MustProxy(t, endpoint(t), false, "id")
	f := newFixture(t, p.URL, nil)
	ctx := context.Background()
	now := time.Now()
	if err := f.store.Acquire(ctx, record("k", "first", now), now); err != nil {
		t.Fatal(err)
	}
	f.count.Reset()
	p.Vanish.Store(1)
	if err := f.store.Acquire(ctx, record("k", "second", now), now); err != nil {
		t.Fatalf("Acquire after the conflict vanished = %v, want success", err)
	}
	if puts, gets := f.count.Get("PutItem"), f.count.Get("GetItem"); puts != 2 || gets != 1 {
		t.Errorf("%d PutItems and %d GetItems, want 2 and 1", puts, gets)
	}
	if got, err := f.store.Get(ctx, "k"); err != nil || got.Owner != "second" {
		t.Errorf("Get = %+v, %v; want the record of second", got, err)
	}
}

func TestStore_RetriedAcquireIsOurs(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	now := time.Now()
	rec := record("k", "o", now)
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	// A retry of the same acquisition (same owner token) after a lost
	// response finds its own record: success, not a conflict.
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Errorf("repeated Acquire by the same owner = %v, want nil", err)
	}
}

func TestStore_CancelledContext(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	now := time.Now()
	if err := f.store.Acquire(ctx, record("k", "o", now), now); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire = %v, want context.Canceled", err)
	}
	if _, err := f.store.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get = %v, want context.Canceled", err)
	}
}

// TestStore_LostReplyIsRetried loses the reply of writes the server applied,
// as a connection dropped after DynamoDB's commit would. The SDK retries;
// the retry's condition fails on the record the first attempt wrote, and the
// store recognises its own owner token: no false ErrFenced, the record is
// the first attempt's, and through the Guard the function runs once and Do
// succeeds.
func TestStore_LostReplyIsRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject bool // the old item comes with the failed condition
		reads  int  // GetItems a retried Complete costs
	}{{"oldItemReturned", true, 0}, {"readFallback", false, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			p := MustProxy(t, endpoint(t), tc.inject, "id")
			quick := retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond })
			f := newFixture(t, p.URL, &dynamostore.Options{Retryer: quick})
			ctx := context.Background()
			now := time.Now()

			rec := record("k", "o", now)
			if err := f.store.Acquire(ctx, rec, now); err != nil {
				t.Fatal(err)
			}
			rec.Status, rec.Result, rec.Expiry = idempotency.StatusCompleted, []byte("done"), now.Add(2*time.Hour)
			f.count.Reset()
			p.LoseReplies("UpdateItem", 1)
			if err := f.store.Complete(ctx, rec); err != nil {
				t.Fatalf("Complete whose first reply was lost = %v, want nil", err)
			}
			if n := f.count.Get("UpdateItem"); n != 2 {
				t.Errorf("UpdateItem attempts = %d, want 2 (the lost one and the SDK's retry)", n)
			}
			if n := f.count.Reads(); n != tc.reads {
				t.Errorf("GetItems = %d, want %d", n, tc.reads)
			}
			got, err := f.store.Get(ctx, "k")
			if err != nil || got.Status != idempotency.StatusCompleted || got.Owner != "o" || string(got.Result) != "done" ||
				got.Expiry.UnixMilli() != rec.Expiry.UnixMilli() {
				t.Errorf("record after the retried Complete = %+v, %v; want the first attempt's", got, err)
			}
			other := rec
			other.Owner = "intruder"
			if err := f.store.Complete(ctx, other); !errors.Is(err, idempotency.ErrFenced) {
				t.Errorf("Complete by another owner on the COMPLETED record = %v, want ErrFenced", err)
			}

			// Through the engine: the acquire's and the completion's
			// replies are both lost.
			g := idempotency.New(f.store, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
			p.LoseReplies("PutItem", 1)
			p.LoseReplies("UpdateItem", 1)
			runs := 0
			res, err := g.Do(ctx, "order-1", []byte("payload"), func(context.Context) ([]byte, error) {
				runs++
				return []byte("receipt"), nil
			})
			if err != nil || string(res) != "receipt" || runs != 1 {
				t.Fatalf("Do with lost replies = %q, %v after %d runs; want the result, nil, 1 run", res, err, runs)
			}
			res, err = g.Do(ctx, "order-1", []byte("payload"), func(context.Context) ([]byte, error) {
				runs++
				return nil, errors.New("ran twice")
			})
			if err != nil || string(res) != "receipt" || runs != 1 {
				t.Errorf("duplicate = %q, %v after %d runs; want the stored result replayed", res, err, runs)
			}
		})
	}
}

// Powertools for AWS Lambda (TypeScript) stores the handler's result as a
// native map (or list, number, boolean): Get and a conflicting Acquire read
// it back as the JSON the handler returned, and Delete evicts it.
func TestStore_PowertoolsNativeData(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	now := time.Now()
	data := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"statusCode": &types.AttributeValueMemberN{Value: "200"},
		"body":       &types.AttributeValueMemberS{Value: `{"ok":true}`},
		"tags":       &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "a"}, &types.AttributeValueMemberBOOL{Value: true}, &types.AttributeValueMemberNULL{Value: true}}},
		"big":        &types.AttributeValueMemberN{Value: "12345678901234567890.5"},
	}}
	for _, tc := range []struct {
		name string
		data types.AttributeValue
		want string
	}{
		{"map", data, `{"big":12345678901234567890.5,"body":"{\"ok\":true}","statusCode":200,"tags":["a",true,null]}`},
		{"list", &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "1"}}}, `[1]`},
		{"number", &types.AttributeValueMemberN{Value: "42"}, `42`},
		{"bool", &types.AttributeValueMemberBOOL{Value: false}, `false`},
	} {
		key := "pt-" + tc.name
		_, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]types.AttributeValue{
			"id":                     &types.AttributeValueMemberS{Value: key},
			"status":                 &types.AttributeValueMemberS{Value: "COMPLETED"},
			"data":                   tc.data,
			"validation":             &types.AttributeValueMemberS{Value: "1B2M2Y8AsgTpgAmY7PhCfg=="}, // TypeScript: base64 MD5
			"expiration":             &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix()+600, 10)},
			"in_progress_expiration": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.store.Get(ctx, key)
		if err != nil || string(got.Result) != tc.want {
			t.Errorf("%s: Get = %q, %v; want %s", tc.name, got.Result, err, tc.want)
		}
		var ce *idempotency.ConflictError
		if err := f.store.Acquire(ctx, record(key, "o", now), now); !errors.As(err, &ce) || string(ce.Existing.Result) != tc.want {
			t.Errorf("%s: Acquire = %v; want a conflict carrying %s", tc.name, err, tc.want)
		}
		if err := f.store.Delete(ctx, key); err != nil {
			t.Errorf("%s: Delete: %v", tc.name, err)
		}
	}
}

// A record Rampart acquired and Powertools then completed keeps Rampart's
// expiration_ms from the acquire: its expiry is Powertools' expiration, for
// reads and for the acquire condition alike.
func TestStore_ForeignCompletedExpiry(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	rec := record("k", "rampart-owner", now) // expires in an hour
	if err := f.store.Acquire(ctx, rec, now); err != nil {
		t.Fatal(err)
	}
	fw := Foreign{Store: f.store, Client: f.client}
	if err := fw.CompleteForeign(ctx, "k", []byte(`{"by":"powertools"}`), now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Get(ctx, "k")
	if err != nil || !got.Expiry.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("Get = %+v, %v; want Powertools' expiry, 10 minutes on", got, err)
	}
	var ce *idempotency.ConflictError
	if err := f.store.Acquire(ctx, record("k", "o2", now), now.Add(9*time.Minute)); !errors.As(err, &ce) {
		t.Errorf("Acquire before Powertools' expiry = %v; want a conflict", err)
	}
	if err := f.store.Acquire(ctx, record("k", "o2", now), now.Add(10*time.Minute)); err != nil {
		t.Errorf("Acquire at Powertools' expiry (before Rampart's stale expiration_ms) = %v; want it taken", err)
	}
}
