package idempotency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
)

// A holder whose context has no deadline must not work past its lease: the
// next delivery may take over once the lease ends.
func TestGuard_FunctionContextEndsWithLease(t *testing.T) {
	g := idempotency.New(memstore.New(nil), &idempotency.Options{DefaultLease: 50 * time.Millisecond})
	var fnDeadline time.Time
	_, err := g.Do(context.Background(), "k", nil, func(ctx context.Context) ([]byte, error) {
		dl, ok := ctx.Deadline()
		if !ok {
			t.Fatal("function context has no deadline; want the lease's end")
		}
		fnDeadline = dl
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v; want the function's context.DeadlineExceeded unchanged", err)
	}
	if d := time.Until(fnDeadline); d > 0 {
		t.Errorf("function deadline still %v away after it ended", d)
	}

	// With a deadline of its own, the function gets the caller's context as is.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	want, _ := ctx.Deadline()
	_, err = g.Do(ctx, "k2", nil, func(fctx context.Context) ([]byte, error) {
		if dl, _ := fctx.Deadline(); !dl.Equal(want) {
			t.Errorf("function deadline %v; want the caller's %v", dl, want)
		}
		return []byte("ok"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
