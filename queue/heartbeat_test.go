package queue_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/queue"
)

// TestQueue_Heartbeat: a message whose work outlasts its visibility
// timeout stays invisible while the heartbeat runs, becomes visible again
// once it stops, and a deleted one drops out of the beat.
func TestQueue_Heartbeat(t *testing.T) {
	// In a synctest bubble the clock moves only while every goroutine
	// waits, so a beat cannot be late on a loaded machine.
	synctest.Test(t, func(t *testing.T) {
		q := mustOpen(t, &queue.Options{VisibilityTimeout: 300 * time.Millisecond})
		mustSend(t, q, "long work")
		mustSend(t, q, "short work")
		msgs := mustReceive(t, q, 10)
		if len(msgs) != 2 {
			t.Fatalf("received %d", len(msgs))
		}
		stop := q.Heartbeat(t.Context(), []string{msgs[0].ReceiptHandle, msgs[1].ReceiptHandle}, 50*time.Millisecond, 300*time.Millisecond)
		if err := q.Delete(t.Context(), msgs[1].ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		time.Sleep(900 * time.Millisecond) // three visibility timeouts, six beats
		if again, err := q.Receive(t.Context(), 10, 0); err != nil || len(again) != 0 {
			t.Fatalf("during the heartbeat: received %d again (%v)", len(again), err)
		}
		stop()
		time.Sleep(400 * time.Millisecond)
		again, err := q.Receive(t.Context(), 10, 0)
		if err != nil || len(again) != 1 || string(again[0].Body) != "long work" || again[0].ReceiveCount != 2 {
			t.Fatalf("after the heartbeat stopped: %+v %v", again, err)
		}
		stop() // twice is fine
	})
}
