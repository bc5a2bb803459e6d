package idempotency_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

// quiet is the Guards' logger in the examples: their decisions are not part
// of the output.
var quiet = slog.New(slog.DiscardHandler)

func ExampleGuard_Do() {
	g := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: quiet})
	charge := func(context.Context) ([]byte, error) {
		fmt.Println("charging the card")
		return []byte(`{"charged":true}`), nil
	}
	for range 3 { // the same message delivered three times
		res, err := g.Do(context.Background(), "order-1042", []byte(`{"amount":100}`), charge)
		fmt.Println(string(res), err)
	}
	_, err := g.Do(context.Background(), "order-1042", []byte(`{"amount":999}`), charge)
	fmt.Println(errors.Is(err, idempotency.ErrPayloadMismatch))
	// Output:
	// charging the card
	// {"charged":true} <nil>
	// {"charged":true} <nil>
	// {"charged":true} <nil>
	// true
}

// An SQS order handler, idempotent per order id in the body, comparing only
// the members that make two messages the same order: a producer's resend
// with another sent_at (and its members in another order) replays the first
// outcome; the same order id with another amount is refused.
func ExampleHandlerWithPayload() {
	g := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: quiet})
	orderKey := func(m events.SQSMessage) (string, error) {
		var b struct{ Order struct{ ID string } }
		if err := json.Unmarshal([]byte(m.Body), &b); err != nil || b.Order.ID == "" {
			return "", fmt.Errorf("%w: message %s names no order", idempotency.ErrMissingKey, m.MessageId)
		}
		return "order|" + b.Order.ID, nil
	}
	charge := func(ctx context.Context, m events.SQSMessage) (string, error) {
		fmt.Println("charging, message", m.MessageId)
		return "receipt for " + m.MessageId, nil
	}
	h := idempotency.HandlerWithPayload(g, orderKey, idempotency.SQSBodyFields("order.id", "order.amount"), charge)

	for _, m := range []events.SQSMessage{
		{MessageId: "m-1", Body: `{"order":{"id":"o-7","amount":250},"sent_at":"10:00:00"}`},
		{MessageId: "m-2", Body: `{"sent_at":"10:00:05", "order":{"amount":250,"id":"o-7"}}`}, // a resend
		{MessageId: "m-3", Body: `{"order":{"id":"o-7","amount":900},"sent_at":"10:01:00"}`},  // the id reused
	} {
		out, err := h(context.Background(), m)
		fmt.Printf("%s: %q, reused: %v\n", m.MessageId, out, errors.Is(err, idempotency.ErrPayloadMismatch))
	}
	// Output:
	// charging, message m-1
	// m-1: "receipt for m-1", reused: false
	// m-2: "receipt for m-1", reused: false
	// m-3: "", reused: true
}

// What SQSBodyFields hashes: the named members of the body, in the order
// given, absent ones as null; the rest of the body is ignored.
func ExampleSQSBodyFields() {
	payload := idempotency.SQSBodyFields("order.id", "order.amount", "coupon")
	for _, body := range []string{
		`{"order":{"id":"o-7","amount":250},"sent_at":"10:00:00"}`,
		`{"sent_at":"10:00:05","order":{"amount":250, "id":"o-7"}}`,
		`["not", "an", "object"]`,
	} {
		b, err := payload(events.SQSMessage{Body: body})
		if err != nil {
			fmt.Println("error: the body is not a JSON object")
			continue
		}
		fmt.Println(string(b))
	}
	// Output:
	// ["o-7",250,null]
	// ["o-7",250,null]
	// error: the body is not a JSON object
}

// Two JSON documents that differ only in member order and spacing have one
// canonical form, so their payload hashes agree; numbers keep their digits.
func ExampleCanonicalJSON() {
	a, _ := idempotency.CanonicalJSON([]byte(`{"b": [1, 2.50], "a": "\u00e9"}`))
	b, _ := idempotency.CanonicalJSON([]byte(`{"a":"é","b":[1,2.50]}`))
	fmt.Println(string(a), string(a) == string(b))
	_, err := idempotency.CanonicalJSON([]byte(`{"a":1,"a":2}`))
	fmt.Println(err)
	// Output:
	// {"a":"é","b":[1,2.50]} true
	// idempotency: canonical JSON: duplicate object member "a"
}

// A caller that gets a *NotRecordedError reports success: the work was done
// once, only its record is missing. Here the store refuses the result as too
// large, so the record is completed without it and a duplicate learns that
// the work was done (ErrResultNotStored) instead of doing it again.
func ExampleNotRecordedError() {
	store := memstore.New(&memstore.Options{MaxResultSize: 16})
	g := idempotency.New(store, &idempotency.Options{Logger: quiet})
	ship := func(context.Context) ([]byte, error) {
		fmt.Println("shipping order o-7")
		return []byte(`{"label":"a shipping label larger than the store takes"}`), nil
	}
	for range 2 {
		res, err := g.Do(context.Background(), "order|o-7", nil, ship)
		var nr *idempotency.NotRecordedError
		switch {
		case errors.As(err, &nr):
			// Done: acknowledge the message or answer 2xx with res, and
			// log why it was not recorded.
			fmt.Printf("done, %d bytes of result, not recorded (held %v): %v\n", len(res), nr.Held, errors.As(err, new(*idempotency.ResultTooLargeError)))
		case errors.Is(err, idempotency.ErrResultNotStored):
			fmt.Println("done earlier; nothing to replay")
		case err != nil:
			fmt.Println("failed:", err) // retry, dead-letter
		default:
			fmt.Println("done:", string(res))
		}
	}
	// Output:
	// shipping order o-7
	// done, 56 bytes of result, not recorded (held false): true
	// done earlier; nothing to replay
}

// An adapter marks its own replayed responses with a per-call hook, while
// Options.OnReplay counts every replay of the Guard. Neither fires for the
// delivery that runs the function.
func ExampleWithReplayHook() {
	replays := 0
	g := idempotency.New(memstore.New(nil), &idempotency.Options{
		Logger:   quiet,
		OnReplay: func(ctx context.Context, r idempotency.Replay) { replays++ },
	})
	fn := func(context.Context) ([]byte, error) { return []byte("201 Created"), nil }
	for range 2 {
		replayed := false
		ctx := idempotency.WithReplayHook(context.Background(), func(r idempotency.Replay) { replayed = true })
		res, _ := g.Do(ctx, "request-1", nil, fn)
		fmt.Println(string(res), "replayed:", replayed)
	}
	fmt.Println("replays counted by OnReplay:", replays)
	// Output:
	// 201 Created replayed: false
	// 201 Created replayed: true
	// replays counted by OnReplay: 1
}

// SkewMargin keeps a holder's lease a margin past its deadline, so another
// process whose clock runs ahead (here by 500 ms) does not take over while
// the function may still run. Without a margin it takes over and runs the
// function a second time, concurrently.
func ExampleOptions_skewMargin() {
	for _, margin := range []time.Duration{0, -1} { // the default (1 s), then none
		store := memstore.New(nil)
		start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
		holder := idempotency.New(store, &idempotency.Options{Logger: quiet, SkewMargin: margin, Now: func() time.Time { return start }})
		// The other process's clock reads the holder's deadline plus 500 ms.
		ahead := idempotency.New(store, &idempotency.Options{Logger: quiet, SkewMargin: margin, Now: func() time.Time { return start.Add(30*time.Second + 500*time.Millisecond) }})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		runs := 0
		work := func(context.Context) ([]byte, error) { runs++; return []byte("done"), nil }
		holder.Do(ctx, "k", nil, func(ctx context.Context) ([]byte, error) {
			runs++
			// While the holder works, a duplicate arrives at the other process.
			_, err := ahead.Do(context.Background(), "k", nil, work)
			fmt.Printf("SkewMargin %v: the duplicate is told to wait: %v\n", margin, errors.Is(err, idempotency.ErrInProgress))
			return []byte("done"), nil
		})
		cancel()
		fmt.Println("runs:", runs)
	}
	// Output:
	// SkewMargin 0s: the duplicate is told to wait: true
	// runs: 1
	// SkewMargin -1ns: the duplicate is told to wait: false
	// runs: 2
}

// What counts as the same S3 event for S3EventKey: a redelivery of one
// notification is a duplicate; uploading the same content again (same eTag,
// a new sequencer) is a new event; the URL-encoded and decoded forms of one
// object key are one object.
func ExampleS3EventKey() {
	event := func(key, decoded, etag, sequencer string) events.S3Event {
		var r events.S3EventRecord
		r.EventName = "ObjectCreated:Put"
		r.S3.Bucket.Name = "uploads"
		r.S3.Object = events.S3Object{Key: key, URLDecodedKey: decoded, ETag: etag, Sequencer: sequencer}
		return events.S3Event{Records: []events.S3EventRecord{r}}
	}
	first, _ := idempotency.S3EventKey(event("my+photo.jpg", "", "etag-A", "0055AED6DCD90281E5"))
	redelivered, _ := idempotency.S3EventKey(event("my+photo.jpg", "", "etag-A", "0055AED6DCD90281E5"))
	reuploaded, _ := idempotency.S3EventKey(event("my+photo.jpg", "", "etag-A", "0055AED6DCD9028300"))
	decoded, _ := idempotency.S3EventKey(event("", "my photo.jpg", "etag-A", "55aed6dcd90281e5"))
	_, err := idempotency.S3EventKey(event("my+photo.jpg", "", "etag-A", ""))
	fmt.Println("redelivery is a duplicate:", redelivered == first)
	fmt.Println("re-upload is a duplicate:", reuploaded == first)
	fmt.Println("decoded key is the same object:", decoded == first)
	fmt.Println("no sequencer:", errors.Is(err, idempotency.ErrMissingKey))
	// Output:
	// redelivery is a duplicate: true
	// re-upload is a duplicate: false
	// decoded key is the same object: true
	// no sequencer: true
}
