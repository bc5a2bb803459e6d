package queue_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/rampartdev/rampart/queue"
)

var benchBody = []byte(`{"Records":[{"s3":{"bucket":{"name":"uploads"},"object":{"key":"photos/cat.jpg","size":123456}}}]}`)

// BenchmarkSend measures durable sends (one transaction each).
func BenchmarkSend(b *testing.B) {
	q := mustOpen(b, nil)
	ctx := context.Background()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := q.Send(ctx, benchBody, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiveDelete measures consuming one message: its share of a
// Receive of up to batch messages, plus its Delete.
func BenchmarkReceiveDelete(b *testing.B) {
	for _, batch := range []int{1, 10} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			q := mustOpen(b, &queue.Options{VisibilityTimeout: time.Hour})
			ctx := context.Background()
			for range b.N {
				if _, err := q.Send(ctx, benchBody, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(benchBody)))
			b.ResetTimer()
			for done := 0; done < b.N; {
				msgs, err := q.Receive(ctx, batch, 0)
				if err != nil || len(msgs) == 0 {
					b.Fatalf("Receive = %d messages, %v", len(msgs), err)
				}
				for _, m := range msgs {
					if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
						b.Fatal(err)
					}
				}
				done += len(msgs)
			}
		})
	}
}

// BenchmarkRoundTrip measures Send, Receive and Delete of one message with
// four concurrent clients.
func BenchmarkRoundTrip(b *testing.B) {
	q := mustOpen(b, &queue.Options{VisibilityTimeout: time.Hour})
	ctx := context.Background()
	b.SetParallelism(2) // 2 x GOMAXPROCS clients
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := q.Send(ctx, benchBody, nil); err != nil {
				b.Error(err)
				return
			}
			msgs, err := q.Receive(ctx, 1, time.Second)
			if err != nil || len(msgs) != 1 {
				b.Errorf("Receive = %d messages, %v", len(msgs), err)
				return
			}
			if err := q.Delete(ctx, msgs[0].ReceiptHandle); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
