package coldstart

import "errors"

// Errors returned by the analysis.
var (
	// ErrNoPrices means the price table has no entry for the region or
	// architecture asked for.
	ErrNoPrices = errors.New("coldstart: no prices")
	// ErrNoInvocations means the input held no REPORT lines.
	ErrNoInvocations = errors.New("coldstart: no invocations in the input")
)
