package coldstart

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestOpenTable checks the table against a Go map over random puts,
// takes and evictions, with ids colliding in their home slots.
func TestOpenTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tab openTable
	ref := map[reqKey]openInv{}
	key := func() reqKey { return makeReqKey(fmt.Appendf(nil, "%08x-0000-4000-8000-000000000000", rng.IntN(3000))) }
	for i := range 200000 {
		k := key()
		switch op := rng.IntN(1000); {
		case op < 500:
			v := openInv{start: int64(i), stream: int32(rng.IntN(3))}
			tab.put(&k, v)
			ref[k] = v
		case op < 999:
			got, ok := tab.take(&k)
			want, wok := ref[k]
			delete(ref, k)
			if ok != wok || got != want {
				t.Fatalf("op %d: take = %v %v, want %v %v", i, got, ok, want, wok)
			}
		default:
			cut := int64(i - 500)
			n := tab.deleteIf(func(o openInv) bool { return o.start < cut })
			m := 0
			for k, o := range ref {
				if o.start < cut {
					delete(ref, k)
					m++
				}
			}
			if n != m {
				t.Fatalf("op %d: deleteIf removed %d, want %d", i, n, m)
			}
		}
		if tab.len() != len(ref) {
			t.Fatalf("op %d: len %d, want %d", i, tab.len(), len(ref))
		}
	}
	for k, want := range ref {
		if got, ok := tab.get(&k); !ok || got != want {
			t.Fatalf("get(%s) = %v %v, want %v", k[:36], got, ok, want)
		}
	}
}
