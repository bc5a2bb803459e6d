package testingutil_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/rampartdev/rampart/internal/testingutil"
)

func TestBuffer_concurrent(t *testing.T) {
	var b testingutil.Buffer
	var wg sync.WaitGroup
	var taken strings.Builder
	var mu sync.Mutex
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
				_ = b.Len()
				if p := b.Take(); len(p) > 0 {
					mu.Lock()
					taken.Write(p)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if n := taken.Len() + b.Len(); n != 800 {
		t.Fatalf("%d bytes taken or left, want 800", n)
	}
}
