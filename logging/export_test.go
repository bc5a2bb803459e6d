package logging

import "github.com/rampartdev/rampart/internal/firstcall"

// ResetColdStart makes the next Start report a cold start again, as if the
// process were new.
func ResetColdStart() { firstcall.Reset() }

// ResetCurrent forgets the invocation Start began last.
func ResetCurrent() { current.Store(nil) }
