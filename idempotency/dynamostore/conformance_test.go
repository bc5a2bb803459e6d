package dynamostore_test

import (
	"log/slog"
	"testing"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/idempotency/idempotencytest"
)

// TestStore_Conformance runs the suite against dynalite: as it is, where a
// conflict costs a fallback read because dynalite omits the old item; behind
// the proxy that returns the old item as DynamoDB does; and in sort-key
// mode. Each variant has one table, shared by its cases under per-case key
// prefixes (see Prefixed): a table per case cost about 150 CreateTable
// calls, most of this package's test time.
func TestStore_Conformance(t *testing.T) {
	ep := endpoint(t)
	quiet := slog.New(slog.DiscardHandler) // the fallback warning, once per table
	for _, tc := range []struct {
		name     string
		inject   bool
		opts     dynamostore.Options
		keyAttrs []string
	}{
		{name: "readFallback"},
		{name: "oldItemReturned", inject: true, keyAttrs: []string{"id"}},
		{name: "sortKey", inject: true, keyAttrs: []string{"pk", "sk"},
			opts: dynamostore.Options{KeyAttr: "pk", SortKeyAttr: "sk", StaticPKValue: "idempotency#suite"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := ep
			var p *Proxy
			if tc.inject {
				p = MustProxy(t, ep, true, tc.keyAttrs...)
				url = p.URL
			}
			client, raw := MustClient(t, url), MustClient(t, ep)
			opts := tc.opts
			opts.Logger = quiet
			table := MustTable(t, raw, &opts)
			idempotencytest.Run(t, func(t *testing.T) idempotency.Store {
				return MustPrefixed(t, Foreign{Store: dynamostore.New(client, table, &opts), Client: raw, Opts: opts})
			})
			if p != nil && p.Injected.Load() == 0 {
				t.Error("the proxy returned no old item: the suite never took the no-read conflict path")
			}
		})
	}
}

func TestStore_List(t *testing.T) {
	ep := endpoint(t)
	for _, tc := range []struct {
		name string
		opts dynamostore.Options
	}{
		{name: "scan"},
		{name: "sortKeyQuery", opts: dynamostore.Options{KeyAttr: "pk", SortKeyAttr: "sk", StaticPKValue: "idempotency#list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := MustClient(t, ep)
			idempotencytest.RunList(t, func(t *testing.T) idempotencytest.ListStore {
				opts := tc.opts
				return dynamostore.New(client, MustTable(t, client, &opts), &opts)
			})
		})
	}
}
