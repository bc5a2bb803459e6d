package metrics

import "github.com/rampartdev/rampart/internal/firstcall"

// ResetColdStart makes the next Start report a cold start again.
func ResetColdStart() { firstcall.Reset() }
