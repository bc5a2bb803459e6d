package inspect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/media"
)

// Page sizes of every listing.
const (
	// DefaultLimit is the page size when a query's Limit is zero or less.
	DefaultLimit = 50
	// MaxLimit is the largest page; larger limits are capped, so that no
	// answer grows without bound.
	MaxLimit = 500
)

// PageSize returns the page size a query's limit selects.
func PageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}

// Errors returned by a [Source] and the front ends.
var (
	// ErrNotFound means the record, object or dead letter does not exist.
	ErrNotFound = errors.New("inspect: not found")
	// ErrNotSupported means the backend cannot answer this query as asked
	// (such as a resource it was not configured with, or a redrive of
	// chosen messages on AWS, where SQS moves only a whole queue).
	ErrNotSupported = errors.New("inspect: not supported by this backend")
	// ErrInvalidCursor means a cursor that did not come from the same query.
	ErrInvalidCursor = errors.New("inspect: invalid cursor")
	// ErrReadOnly means a change was asked of a read-only front end.
	ErrReadOnly = errors.New("inspect: writes are not allowed (start with --allow-writes)")
	// ErrTooLarge means an object over MaxObjectBody, which ObjectBody
	// does not read.
	ErrTooLarge = errors.New("inspect: object too large to read whole")
)

// MaxObjectBody is the largest object [Source.ObjectBody] reads (it reads
// objects whole; thumbnails are far smaller).
const MaxObjectBody = 32 << 20

// BlobError returns err, an error of a blob store, with the read model's
// sentinel added: [ErrNotFound] for blob.ErrNotFound, [ErrTooLarge] for
// blob.ErrTooLarge.
func BlobError(err error) error {
	switch {
	case errors.Is(err, blob.ErrNotFound):
		return fmt.Errorf("%w (%w)", ErrNotFound, err)
	case errors.Is(err, blob.ErrTooLarge):
		return fmt.Errorf("%w (%w)", ErrTooLarge, err)
	}
	return err
}

// Page is one page of a listing. Next is the cursor of the following page,
// "" on the last one.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// Source is the read model: every question the front ends ask of a
// service's state. Implementations must be safe for concurrent use; every
// listing is paginated with opaque cursors and bounded by [MaxLimit].
type Source interface {
	// Backend names the backend ("local" or "aws") and Location where its
	// state lives (a folder, or a region and tables).
	Backend() (name, location string)

	// Media lists media records. Each page is sorted newest update first;
	// whether the listing as a whole is, MediaOrder says.
	Media(ctx context.Context, q MediaQuery) (Page[media.Record], error)
	// MediaOrder says in what order Media lists records across pages.
	MediaOrder() MediaOrder
	// MediaRecord returns one media record, or ErrNotFound.
	MediaRecord(ctx context.Context, id string) (media.Record, error)
	// MediaCounts counts the media records by status.
	MediaCounts(ctx context.Context) (map[media.Status]int, error)

	// Idempotency lists idempotency records.
	Idempotency(ctx context.Context, q IdempotencyQuery) (Page[IdempotencyRecord], error)

	// Objects lists the bucket's objects in key order.
	Objects(ctx context.Context, q ObjectQuery) (Page[Object], error)
	// Object returns an object's metadata (a HEAD), or ErrNotFound.
	Object(ctx context.Context, key string) (Object, error)
	// ObjectBody returns an object's bytes and metadata, or ErrNotFound;
	// an object over MaxObjectBody is ErrTooLarge, and is not read.
	ObjectBody(ctx context.Context, key string) ([]byte, Object, error)

	// Queue counts the event queue's messages.
	Queue(ctx context.Context) (QueueStats, error)

	// Logs returns the structured log lines that match q, oldest first.
	Logs(ctx context.Context, q LogQuery) (Page[LogEntry], error)

	// ColdStartLogs returns the source of Lambda platform logs the
	// cold-start analysis reads by default and names what it covers. It
	// returns ErrNotFound when there is none.
	ColdStartLogs(ctx context.Context) (coldstart.Source, []string, error)
}

// MediaOrder is the order of a backend's media listing across pages.
type MediaOrder int

// Media orders.
const (
	// NewestFirst: the whole listing is newest update first, page after
	// page (the local backend's SQLite index on update time).
	NewestFirst MediaOrder = iota + 1
	// NewestFirstPerPage: each page is newest update first, but the pages
	// follow the backend's scan order, so a later page may hold newer
	// records and only the whole listing tells which is newest (the AWS
	// backend's DynamoDB Scan in the table's hash order).
	NewestFirstPerPage
)

// String describes the order for a person or a model.
func (o MediaOrder) String() string {
	switch o {
	case NewestFirst:
		return "newest update first"
	case NewestFirstPerPage:
		return "each page sorted newest update first, but the pages follow the table's scan order, " +
			"so a later page may hold newer records (page on with next before concluding which is newest)"
	}
	return "unspecified"
}

// DeadLetterLister is implemented by backends that can list the
// dead-letter queue without disturbing it. (SQS cannot: it only shows a
// message by receiving it, which hides it and counts as a delivery.)
type DeadLetterLister interface {
	// DeadLetters lists the dead-letter queue, oldest first, with the
	// reason each message died.
	DeadLetters(ctx context.Context, q DeadLetterQuery) (Page[DeadLetter], error)
}

// TokenLister is implemented by backends that keep the API gateway's
// tokens.
type TokenLister interface {
	// Tokens lists the API gateway's tokens: ids and metadata, never the
	// secrets or their hashes.
	Tokens(ctx context.Context) ([]Token, error)
}

// Writer is implemented by backends that can change state. Front ends offer
// it only when the operator allowed writes.
type Writer interface {
	// EvictIdempotency deletes the idempotency record key whatever its
	// state and returns what it deleted (ErrNotFound when there was none).
	// The next delivery of that event runs the handler again.
	EvictIdempotency(ctx context.Context, key string) (IdempotencyRecord, error)
	// Redrive moves the dead letters with the given ids (all when none are
	// given) back to the queue and returns how many moved.
	Redrive(ctx context.Context, ids ...string) (int, error)
}

// MediaQuery selects media records.
type MediaQuery struct {
	// Status keeps only records with this status; "" means any.
	Status media.Status
	// Prefix keeps only records whose object key starts with it.
	Prefix string
	// Since and Until bound the record's last update (UpdatedAt): Since
	// inclusive, Until exclusive; zero means unbounded.
	Since, Until time.Time
	// After is the cursor of the previous page.
	After string
	// Limit is the page size (see [PageSize]).
	Limit int
}

// Match reports whether rec passes the filters of q (not the cursor).
func (q MediaQuery) Match(rec media.Record) bool {
	return (q.Status == "" || rec.Status == q.Status) &&
		(q.Prefix == "" || len(rec.Key) >= len(q.Prefix) && rec.Key[:len(q.Prefix)] == q.Prefix) &&
		(q.Since.IsZero() || !rec.UpdatedAt.Before(q.Since)) &&
		(q.Until.IsZero() || rec.UpdatedAt.Before(q.Until))
}

// IdempotencyQuery selects idempotency records.
type IdempotencyQuery struct {
	// Status keeps only records with this status (INPROGRESS or
	// COMPLETED); "" means any.
	Status string
	// Stuck keeps only records in progress past their lease and not
	// expired: their holder crashed or overran.
	Stuck bool
	After string
	Limit int
}

// IdempotencyRecord is an idempotency record as the read model shows it:
// no result, no payload hash.
type IdempotencyRecord struct {
	Key              string    `json:"key"`
	Status           string    `json:"status"`
	Owner            string    `json:"owner,omitempty"`
	InProgressExpiry time.Time `json:"inProgressExpiry"`
	Expiry           time.Time `json:"expiry"`
	// Stuck is set for a record in progress past its lease, not expired.
	Stuck bool `json:"stuck,omitempty"`
	// Expired is set for a record past its expiry (kept until purged).
	Expired bool `json:"expired,omitempty"`
}

// ObjectQuery selects objects.
type ObjectQuery struct {
	Prefix string
	After  string
	Limit  int
}

// Object is an object's metadata.
type Object struct {
	Key          string            `json:"key"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"`
	VersionID    string            `json:"versionId,omitempty"`
	ContentType  string            `json:"contentType,omitempty"`
	CacheControl string            `json:"cacheControl,omitempty"`
	LastModified time.Time         `json:"lastModified,omitzero"`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

// ObjectOf returns the read model's view of a blob store's object.
func ObjectOf(o blob.Object) Object {
	return Object{Key: o.Key, Size: o.Size, ETag: o.ETag, VersionID: o.VersionID, ContentType: o.ContentType,
		CacheControl: o.CacheControl, LastModified: o.LastModified, Metadata: o.Metadata}
}

// QueueStats counts the event queue.
type QueueStats struct {
	Visible      int       `json:"visible"`
	InFlight     int       `json:"inFlight"`
	DeadLetters  int       `json:"deadLetters"`
	OldestSentAt time.Time `json:"oldestSentAt,omitzero"`
}

// DeadLetterQuery selects dead letters.
type DeadLetterQuery struct {
	After string
	Limit int
}

// DeadLetter is a message in the dead-letter queue.
type DeadLetter struct {
	ID           string            `json:"id"`
	Reason       string            `json:"reason"`
	LastError    string            `json:"lastError,omitempty"`
	ReceiveCount int               `json:"receiveCount"`
	SentAt       time.Time         `json:"sentAt"`
	DeadAt       time.Time         `json:"deadAt,omitzero"`
	Attributes   map[string]string `json:"attributes,omitempty"`
	// CorrelationID is the correlation_id attribute: query the logs with it.
	CorrelationID string `json:"correlationId,omitempty"`
	// Keys are the object keys of the S3 event the message carries.
	Keys []string `json:"keys,omitempty"`
	// Body is the message body, cut to MaxBodyPreview bytes.
	Body string `json:"body"`
}

// MaxBodyPreview is the most bytes of a dead letter's body shown.
const MaxBodyPreview = 2048

// Token is an API gateway token's metadata.
type Token struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Scopes    []string  `json:"scopes"`
	Rate      int       `json:"rate,omitempty"`
	Period    string    `json:"period,omitempty"`
	Burst     int       `json:"burst,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Revoked   bool      `json:"revoked,omitempty"`
	Note      string    `json:"note,omitempty"`
}
