// Package idempotencytest is the conformance suite every
// [idempotency.Store] passes, and the benchmark that measures a store under
// the engine.
//
// A store package runs it from its own tests, giving a constructor that
// returns a fresh, empty store per call (a new table, key prefix or file):
//
//	func TestStore(t *testing.T) {
//		idempotencytest.Run(t, func(t *testing.T) idempotency.Store {
//			return memstore.New(nil)
//		})
//	}
//
// Run checks the raw Store contract (atomic acquire, conflicts that carry the
// record, lease takeover, expiry, completion, release, fencing, ErrNotFound,
// cancelled contexts, concurrent acquires) and the engine's behaviour over
// the store (replay, payload mismatch, failure releases, takeover of a
// crashed holder, fencing of a late holder, expiry, the result cache, and
// many goroutines delivering one key) and the event sources' keys over the
// store (S3 re-uploads and deletes, one S3 event delivered directly and
// through queues, API Gateway callers). A [Clock] drives time: it starts at
// the real time and only moves forward, and stores must decide liveness from
// the time they are given, not from their server's clock.
//
// Times must survive a round trip through the store to the millisecond.
package idempotencytest

import (
	"testing"

	"github.com/rampartdev/rampart/idempotency"
)

// A testCase is one rule of the contract.
type testCase struct {
	name string
	rule string // the rule, as the Store or Guard documentation states it
	run  func(t *testing.T, e *env)
}

// env is what a case gets: a fresh store and a clock.
type env struct {
	store idempotency.Store
	clock *Clock
}

// Run runs the conformance suite against the stores that newStore returns,
// one fresh store per case, each case as a parallel subtest.
func Run(t *testing.T, newStore func(t *testing.T) idempotency.Store) {
	t.Helper()
	for _, group := range []struct {
		name  string
		cases []testCase
	}{{"Store", append(storeCases, foreignStoreCases...)}, {"Guard", append(guardCases, foreignGuardCases...)}, {"Clock", clockCases}, {"Events", append(eventCases, apigwCases...)}} {
		t.Run(group.name, func(t *testing.T) {
			for _, c := range group.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					e := &env{store: newStore(t), clock: NewClock()}
					c.run(t, e)
					if t.Failed() {
						t.Logf("rule: %s", c.rule)
					}
				})
			}
		})
	}
}
