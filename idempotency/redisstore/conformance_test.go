package redisstore_test

import (
	"testing"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
	"github.com/rampartdev/rampart/idempotency/redisstore"
)

func TestStore_Conformance(t *testing.T) {
	c := MustClient(t)
	idempotencytest.Run(t, func(t *testing.T) idempotency.Store {
		return Foreign{Store: redisstore.New(c, &redisstore.Options{Prefix: MustPrefix(t, c)}), C: c}
	})
}
