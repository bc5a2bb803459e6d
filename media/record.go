package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Status is the state of a media record.
type Status string

// Record statuses.
const (
	// StatusProcessing marks a record claimed by an attempt that has not
	// finished yet (see [Records.Claim]).
	StatusProcessing Status = "processing"
	// StatusProcessed marks an object whose thumbnails were written.
	StatusProcessed Status = "processed"
	// StatusRejected marks an object that can never be processed (corrupt,
	// unsupported, over limits); Reason says why.
	StatusRejected Status = "rejected"
	// StatusDeleted marks an object that was removed; its thumbnails are gone.
	StatusDeleted Status = "deleted"
	// StatusSkipped marks an event whose object had already changed or gone
	// by the time it was read; the newer event decides the outcome.
	StatusSkipped Status = "skipped"
)

// Final reports whether s is an outcome rather than work in progress.
func (s Status) Final() bool { return s != StatusProcessing && s != "" }

// Thumbnail describes one derived image.
type Thumbnail struct {
	Size   int    `json:"size"`   // the requested long edge
	Width  int    `json:"width"`  // actual pixels
	Height int    `json:"height"` // actual pixels
	Key    string `json:"key"`    // where it is stored, derived/<size>/<key>
	Bytes  int    `json:"bytes"`
}

// Record is the media record of one source object: table media, partition
// key id.
type Record struct {
	// ID is [ID](Bucket, Key): stable for the object's whole life.
	ID     string `json:"id"`
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// ETag and VersionID identify the content the record describes.
	ETag      string `json:"etag,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	// Sequencer is the normalised S3 sequencer of the last event applied or
	// claimed (see [NormalizeSequencer]); it orders events for this key.
	Sequencer string `json:"sequencer"`
	Status    Status `json:"status"`
	// Reason says why a record was rejected or skipped.
	Reason string `json:"reason,omitempty"`
	// Format is the sniffed source format ("jpeg", "png", "gif", ...).
	Format string `json:"format,omitempty"`
	// Width and Height are the source's dimensions after EXIF orientation.
	Width       int         `json:"width,omitempty"`
	Height      int         `json:"height,omitempty"`
	Bytes       int64       `json:"bytes,omitempty"` // source size
	Orientation int         `json:"orientation,omitempty"`
	Thumbnails  []Thumbnail `json:"thumbnails,omitempty"`
	// CorrelationID follows the object from upload to thumbnails in the logs
	// (the S3 request id of the upload).
	CorrelationID string `json:"correlationId,omitempty"`
	// Owner is the attempt holding (or that last held) the claim, and
	// LeaseUntil the end of its claim while Status is processing.
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// ID returns the stable record id of an object: the first 128 bits of
// SHA-256(bucket, NUL, key) in hex. Hashing spreads records uniformly over
// DynamoDB partitions however keys are named (many uploads share a prefix
// such as uploads/2025/); a status or date partition key would put all of
// today's writes on one partition.
func ID(bucket, key string) string {
	h := sha256.New()
	h.Write([]byte(bucket))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Errors returned by [Records] implementations.
var (
	// ErrNotFound is returned by Get when there is no record.
	ErrNotFound = errors.New("media: record not found")
	// ErrStale is returned by Claim when the record already reflects this
	// event or a newer one: applying it would undo newer work.
	ErrStale = errors.New("media: event is older than the record")
	// ErrBusy is returned by Claim when an older event still holds a live
	// claim on the object; try again later.
	ErrBusy = errors.New("media: object is being processed for an older event")
	// ErrFenced is returned by Commit when the caller no longer holds the
	// claim (a newer event took the object over).
	ErrFenced = errors.New("media: claim is held by another attempt")
)

// Claim asks to process one event for one object.
type Claim struct {
	ID, Bucket, Key string
	// Sequencer is the event's normalised sequencer.
	Sequencer string
	// Owner identifies the attempt; Commit must present it.
	Owner         string
	CorrelationID string
	// Now is the current time, Until the end of the claim's lease.
	Now, Until time.Time
}

// Records stores media records. The methods form a small protocol that keeps
// events for one object in sequencer order:
//
//  1. Claim before any side effect. It fails with ErrStale for an event older
//     than (or equal to and already applied on) the record, so a late or
//     repeated event never touches the object's thumbnails.
//  2. Commit the outcome, fenced by the claim's owner and sequencer.
//
// Implementations decide atomically (a conditional write), using only the
// times they are given, and must be safe for concurrent use.
type Records interface {
	// Claim applies [Decide] to the stored record atomically: on success the
	// record (created if missing) has status processing, c's sequencer, owner
	// and lease, and keeps its other fields.
	Claim(ctx context.Context, c Claim) error
	// Commit replaces the record with rec if rec.Owner still holds the claim
	// for rec.Sequencer (status processing); otherwise ErrFenced.
	Commit(ctx context.Context, rec Record) error
	// Get returns the record with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)
	// List returns up to opts.Limit records after the cursor opts.After,
	// optionally only those with opts.Status, and the opaque cursor of the
	// next page ("" at the end). The order is the implementation's; a page
	// may hold fewer than Limit records before the end.
	List(ctx context.Context, opts ListOptions) ([]Record, string, error)
}

// ListOptions selects a page of records.
type ListOptions struct {
	Status Status // "" = any
	After  string // cursor from the previous page
	Limit  int    // <= 0 means DefaultListLimit
}

// DefaultListLimit is the page size when ListOptions.Limit is not set.
const DefaultListLimit = 100

// Decide is the claim rule every Records implementation applies atomically:
// given the stored record (nil when there is none) it returns nil when c may
// take the object, or ErrStale or ErrBusy.
func Decide(stored *Record, c Claim) error {
	if stored == nil {
		return nil
	}
	switch cmp := CompareSequencers(c.Sequencer, stored.Sequencer); {
	case cmp < 0:
		return ErrStale
	case cmp == 0:
		if stored.Status.Final() {
			return ErrStale // already applied: a redelivery after completion
		}
		// The same event, in progress: an earlier attempt died. The
		// idempotency guard admits one attempt per event at a time, so this
		// attempt takes over.
		return nil
	default:
		if stored.Status == StatusProcessing && c.Now.Before(stored.LeaseUntil) {
			return ErrBusy
		}
		return nil
	}
}
