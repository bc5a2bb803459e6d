package idempotency_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

type thumb struct {
	Key   string `json:"key"`
	Width int    `json:"width"`
}

func TestHandler(t *testing.T) {
	var logs bytes.Buffer
	g := idempotency.New(memstore.New(nil), &idempotency.Options{
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	var e events.S3Event
	mustLoad(t, "s3-event.json", &e)
	runs := 0
	h := idempotency.Handler(g, idempotency.S3EventKey, func(_ context.Context, e events.S3Event) (thumb, error) {
		runs++
		return thumb{Key: "thumbs/" + e.Records[0].S3.Object.URLDecodedKey, Width: 320}, nil
	})
	first, err := h(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	second, err := h(t.Context(), e)
	if err != nil || second != first || runs != 1 {
		t.Errorf("replay = %+v, %v after %d runs; want %+v after 1", second, err, runs, first)
	}
	// The log has every decision, with the key hash but no payload or result.
	out := logs.String()
	for _, leak := range []string{"Happy", "sourcebucket", "thumbs/"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log contains %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{`"msg":"idempotency: acquired"`, `"msg":"idempotency: completed"`, `"msg":"idempotency: duplicate replayed"`, `"key_hash":"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
}

// A key that Guard.Do completed without a result (the queued path of one S3
// event, through SQSS3Keys and a batch processor) replays to Handler as the
// zero output, not as an error decoding nothing.
func TestHandler_completedWithoutResult(t *testing.T) {
	g := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
	var e events.S3Event
	mustLoad(t, "s3-event.json", &e)
	queued := mustOneKey(t, "S3 → SQS", readSample(t, "s3-event.json"))
	if _, err := g.Do(t.Context(), queued.Key, queued.Payload, func(context.Context) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	runs := 0
	h := idempotency.Handler(g, idempotency.S3EventKey, func(context.Context, events.S3Event) (thumb, error) {
		runs++
		return thumb{Width: 320}, nil
	})
	if out, err := h(t.Context(), e); err != nil || out != (thumb{}) || runs != 0 {
		t.Errorf("direct delivery after the queued one: %+v, %v, %d runs; want the zero output, no error, no run", out, err, runs)
	}
}

func TestHandler_errorUnchanged(t *testing.T) {
	g := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
	boom := errors.New("boom")
	fail := true
	h := idempotency.Handler(g, idempotency.EventBridgeKey, func(context.Context, events.EventBridgeEvent) (int, error) {
		if fail {
			return -1, boom
		}
		return 42, nil
	})
	e := events.EventBridgeEvent{ID: "id-1", Source: "test"}
	if out, err := h(t.Context(), e); err != boom || out != -1 {
		t.Fatalf("failing handler: %d, %v; want its output and error unchanged", out, err)
	}
	fail = false
	if out, err := h(t.Context(), e); err != nil || out != 42 {
		t.Errorf("retry: %d, %v; want the retry to run the handler", out, err)
	}
}

func TestHandler_missingKey(t *testing.T) {
	handle := func(context.Context, events.SQSMessage) (string, error) { return "ran", nil }
	strict := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
	if _, err := idempotency.Handler(strict, idempotency.SQSKey, handle)(t.Context(), events.SQSMessage{}); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("strict: %v; want ErrMissingKey", err)
	}
	lenient := idempotency.New(memstore.New(nil), &idempotency.Options{AllowMissingKey: true, Logger: slog.New(slog.DiscardHandler)})
	if out, err := idempotency.Handler(lenient, idempotency.SQSKey, handle)(t.Context(), events.SQSMessage{}); err != nil || out != "ran" {
		t.Errorf("AllowMissingKey: %q, %v; want the handler to run unguarded", out, err)
	}
	empty := func(events.SQSMessage) (string, error) { return "", nil }
	if _, err := idempotency.Handler(strict, empty, handle)(t.Context(), events.SQSMessage{}); !errors.Is(err, idempotency.ErrMissingKey) {
		t.Errorf("empty key: %v; want ErrMissingKey", err)
	}
}

func TestGuard_detachedCompletion(t *testing.T) {
	// The function returns just as the caller's context ends: the outcome is
	// still recorded.
	store := memstore.New(nil)
	g := idempotency.New(store, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(t.Context())
	res, err := g.Do(ctx, "k", nil, func(context.Context) ([]byte, error) { cancel(); return []byte("r"), nil })
	if err != nil || string(res) != "r" {
		t.Fatalf("Do = %q, %v", res, err)
	}
	if rec, err := store.Get(t.Context(), g.StoreKey("k")); err != nil || rec.Status != idempotency.StatusCompleted {
		t.Errorf("record %+v, %v; want COMPLETED", rec, err)
	}
}

func TestGuard_CheckKey(t *testing.T) {
	other := errors.New("malformed event")
	for _, tc := range []struct {
		name        string
		allow       bool
		key         string
		keyErr      error
		wantGuarded bool
		wantErr     error // matched with errors.Is; nil means no error
		wantLog     bool  // the unguarded run is logged
	}{
		{name: "key", key: "k", wantGuarded: true},
		{name: "keyAllowed", allow: true, key: "k", wantGuarded: true},
		{name: "missingRefused", keyErr: fmt.Errorf("%w: no header", idempotency.ErrMissingKey), wantErr: idempotency.ErrMissingKey},
		{name: "emptyRefused", wantErr: idempotency.ErrMissingKey},
		{name: "missingAllowed", allow: true, keyErr: idempotency.ErrMissingKey, wantLog: true},
		{name: "emptyAllowed", allow: true, wantLog: true},
		{name: "otherError", keyErr: other, wantErr: other},
		{name: "otherErrorAllowed", allow: true, keyErr: other, wantErr: other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			g := idempotency.New(memstore.New(nil), &idempotency.Options{
				AllowMissingKey: tc.allow, Namespace: "ns", Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			})
			guarded, err := g.CheckKey(t.Context(), tc.key, tc.keyErr)
			if guarded != tc.wantGuarded {
				t.Errorf("guarded = %v; want %v", guarded, tc.wantGuarded)
			}
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("err = %v; want nil", err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("err = %v; want %v", err, tc.wantErr)
			case errors.Is(tc.wantErr, idempotency.ErrMissingKey) && !strings.Contains(err.Error(), "AllowMissingKey is off"):
				t.Errorf("err = %q; want it to name AllowMissingKey", err)
			}
			if got := strings.Contains(logs.String(), `msg="idempotency: no key, running unguarded" namespace=ns`); got != tc.wantLog {
				t.Errorf("log %q; want the unguarded run logged: %v", logs.String(), tc.wantLog)
			}
		})
	}
}

// failingComplete is a store whose Complete always fails, as an unreachable
// store does.
type failingComplete struct{ idempotency.Store }

func (failingComplete) Complete(context.Context, idempotency.Record) error {
	return errors.New("store unreachable")
}

// A handler that succeeded but whose output could not be recorded reports
// success to Lambda (an error would retry the work); the held record makes
// the duplicate wait instead of running again.
func TestHandler_notRecordedIsSuccess(t *testing.T) {
	g := idempotency.New(failingComplete{memstore.New(nil)}, &idempotency.Options{Logger: slog.New(slog.DiscardHandler)})
	runs := 0
	h := idempotency.Handler(g, idempotency.SQSKey, func(_ context.Context, m events.SQSMessage) (string, error) {
		runs++
		return "done " + m.Body, nil
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	msg := events.SQSMessage{MessageId: "m1", Body: "order"}
	if out, err := h(ctx, msg); err != nil || out != "done order" {
		t.Fatalf("handler = %q, %v; want its output and no error", out, err)
	}
	if _, err := h(ctx, msg); !errors.Is(err, idempotency.ErrInProgress) || runs != 1 {
		t.Errorf("duplicate = %v after %d runs; want ErrInProgress and no second run", err, runs)
	}
}
