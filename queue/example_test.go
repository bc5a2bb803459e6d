package queue_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/rampartdev/rampart/queue"
)

func Example() {
	dir, _ := os.MkdirTemp("", "queue-example")
	defer os.RemoveAll(dir)
	q, err := queue.Open(filepath.Join(dir, "events.db"), &queue.Options{VisibilityTimeout: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()

	if _, err := q.Send(ctx, []byte(`{"key":"uploads/cat.jpg"}`), map[string]string{"type": "upload"}); err != nil {
		log.Fatal(err)
	}
	msgs, err := q.Receive(ctx, 10, 20*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range msgs {
		fmt.Printf("%s %s (attempt %d)\n", m.Attributes["type"], m.Body, m.ReceiveCount)
		// Delete once processed; on failure call q.Fail to retry later.
		if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
			log.Fatal(err)
		}
	}
	// Output: upload {"key":"uploads/cat.jpg"} (attempt 1)
}
