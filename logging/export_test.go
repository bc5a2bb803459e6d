package logging

// ResetColdStart makes the next Start report a cold start again, as if the
// process were new.
func ResetColdStart() { invoked.Store(false) }

// ResetCurrent forgets the invocation Start began last.
func ResetCurrent() { current.Store(nil) }
