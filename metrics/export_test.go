package metrics

// ResetColdStart makes the next Start report a cold start again.
func ResetColdStart() { invoked.Store(false) }
