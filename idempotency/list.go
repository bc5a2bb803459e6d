package idempotency

import (
	"context"
	"time"
)

// Page sizes of [Lister.List].
const (
	// DefaultListLimit is the page size when ListOptions.Limit is zero or
	// less.
	DefaultListLimit = 100
	// MaxListLimit is the largest page List returns; larger limits are
	// capped.
	MaxListLimit = 1000
)

// Lister is implemented by stores that can list their records, for
// operators' tools (the inspection read model). It is read-only and not on
// the engine's path; a store without it simply cannot be listed.
type Lister interface {
	// List returns up to opts.Limit records that match opts, after the
	// cursor opts.After, and the opaque cursor of the next page ("" at the
	// end). Records come in an order the store chooses (its key order, or
	// for DynamoDB its hash order). A page may hold fewer
	// records than the limit before the end (stores that filter while they
	// read stop after a bounded amount of reading). The records' Result is
	// left nil: Get returns it.
	List(ctx context.Context, opts ListOptions) (recs []Record, next string, err error)
}

// ListOptions select the records [Lister.List] returns.
type ListOptions struct {
	// Status keeps only records with this status; "" means any.
	Status Status
	// StuckAt, when not zero, keeps only the records stuck at that time:
	// INPROGRESS, not expired, and past their lease (InProgressExpiry at or
	// before StuckAt). Their holder died or overran; the next acquire takes
	// them over. It implies Status INPROGRESS.
	StuckAt time.Time
	// After is the cursor returned with the previous page; "" starts at the
	// beginning.
	After string
	// Limit is the page size: zero or less means DefaultListLimit, more than
	// MaxListLimit means MaxListLimit.
	Limit int
}

// Match reports whether r is selected by the Status and StuckAt filters of o.
func (o ListOptions) Match(r Record) bool {
	if o.Status != "" && r.Status != o.Status {
		return false
	}
	if !o.StuckAt.IsZero() {
		return r.Status == StatusInProgress && !o.StuckAt.Before(r.InProgressExpiry) && o.StuckAt.Before(r.Expiry)
	}
	return true
}

// PageSize returns the page size o.Limit selects.
func (o ListOptions) PageSize() int {
	switch {
	case o.Limit <= 0:
		return DefaultListLimit
	case o.Limit > MaxListLimit:
		return MaxListLimit
	}
	return o.Limit
}
