package dynamostore_test

import (
	"log/slog"
	"testing"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
)

// TestStore_Conformance runs the suite against dynalite twice: as it is,
// where a conflict costs a fallback read because dynalite omits the old
// item, and behind the proxy that returns the old item as DynamoDB does.
func TestStore_Conformance(t *testing.T) {
	ep := endpoint(t)
	quiet := slog.New(slog.DiscardHandler) // the fallback warning, once per table
	for _, tc := range []struct {
		name   string
		inject bool
	}{{"readFallback", false}, {"oldItemReturned", true}} {
		t.Run(tc.name, func(t *testing.T) {
			url := ep
			if tc.inject {
				url = MustProxy(t, ep, true, "id").URL
			}
			client := MustClient(t, url)
			idempotencytest.Run(t, func(t *testing.T) idempotency.Store {
				return dynamostore.New(client, MustTable(t, MustClient(t, ep), nil), &dynamostore.Options{Logger: quiet})
			})
		})
	}
}
