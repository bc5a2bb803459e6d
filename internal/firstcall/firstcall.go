// Package firstcall tracks the first invocation of a process for the
// packages that report cold starts (logging's cold_start attribute, the
// metrics package's ColdStart metric). Each keeps its own Flag, since each
// must see the first invocation itself; Reset rewinds them all at once, which
// is what a test needs (see lambdatest.ResetColdStart).
package firstcall

import (
	"sync"
	"sync/atomic"
)

// Flag reports the first call of First in the process.
type Flag struct{ taken atomic.Bool }

var (
	mu    sync.Mutex
	flags []*Flag
)

// New returns a Flag that Reset rewinds. Packages create theirs once, in a
// package variable.
func New() *Flag {
	f := new(Flag)
	mu.Lock()
	flags = append(flags, f)
	mu.Unlock()
	return f
}

// First reports whether this is the first call of First on f since the
// process started or since the last Reset. It is safe for concurrent use:
// of concurrent first calls, exactly one reports true.
func (f *Flag) First() bool { return !f.taken.Swap(true) }

// Reset makes the next First of every Flag report true again.
func Reset() {
	mu.Lock()
	defer mu.Unlock()
	for _, f := range flags {
		f.taken.Store(false)
	}
}
