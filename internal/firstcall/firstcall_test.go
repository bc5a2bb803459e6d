package firstcall_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rampartdev/rampart/internal/firstcall"
)

func TestFlag(t *testing.T) {
	a, b := firstcall.New(), firstcall.New()
	if !a.First() || a.First() || !b.First() || b.First() {
		t.Fatal("each Flag reports its own first call once")
	}
	firstcall.Reset()
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if a.First() {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if firsts.Load() != 1 || !b.First() {
		t.Errorf("after Reset: %d concurrent first calls reported first, want 1; b rewound too", firsts.Load())
	}
}
