package thumbnailer

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/imaging"
	"github.com/rampartdev/rampart/media"
)

// Defaults of [Options].
const (
	DefaultSourcePrefix  = "uploads/"
	DefaultDerivedPrefix = "derived/"
	// DefaultCacheControl is served with thumbnails. They are replaced when
	// their source is, so they are cacheable for a day, not forever.
	DefaultCacheControl = "public, max-age=86400"
	// DefaultLease is the claim lease of an attempt whose context has no
	// deadline (Lambda always sets one).
	DefaultLease = 5 * time.Minute
	// DefaultWriteReserve is the most time an attempt keeps in hand for
	// writing thumbnails and committing once the image is rendered: a fifth
	// of its time budget, at most this, at least its MinWriteReserve. With
	// less left it stops before any write: a write cut off by the deadline
	// would be repeated by the retry.
	DefaultWriteReserve = 3 * time.Second
	// DefaultMinWriteReserve is the least time an attempt keeps for its
	// writes, however short its budget, and the least time left for an
	// event to be started at all. The writes (one PUT per thumbnail size,
	// the deletes of stale sizes) and the conditional commit are small
	// requests whose median latency in a region is tens of milliseconds
	// (S3's performance guidelines); a second is several times the whole
	// sequence at the median and absorbs one slow request. A fifth of a
	// short budget (a late message in a batch, a 2 s timeout) would be a
	// few hundred milliseconds or less, and a write cut off there is
	// written again, identically, by the redelivery.
	DefaultMinWriteReserve = time.Second
)

// ErrUnprocessableKey is returned (wrapped) by [Thumbnailer.CheckKey] for a
// source key the thumbnailer can never process; it is permanent, and an
// event for such a key ends in a rejected record with the reason.
var ErrUnprocessableKey = errors.New("media: unprocessable key")

// ErrOutOfTime is returned (wrapped) when an attempt stops before its side
// effects because too little of its deadline is left; it is transient.
var ErrOutOfTime = errors.New("media: too little time left before the deadline to write safely")

// Metric names the thumbnailer counts (unit: count).
const (
	MetricProcessed  = "ObjectsProcessed"
	MetricRejected   = "ObjectsRejected"
	MetricDeleted    = "ObjectsDeleted"
	MetricSkipped    = "EventsSkipped"   // superseded, stale or outside the source prefix
	MetricDuplicates = "EventsDuplicate" // replayed by the idempotency guard
	MetricTransient  = "EventsTransient" // failed, returned for a retry
	MetricBadEvents  = "EventsMalformed" // undecodable notifications
	MetricThumbnails = "ThumbnailsWritten"
)

// Metrics receives the thumbnailer's counters. The Lambda bootstrap writes
// them as CloudWatch embedded metric format; nil discards them.
type Metrics interface {
	Count(ctx context.Context, name string, n int)
}

// Options configure a [Thumbnailer]. The zero value (or nil)
// selects every default.
type Options struct {
	// Bucket is the source bucket. Events for another bucket are malformed.
	// Empty accepts any bucket (the object store serves one bucket anyway).
	Bucket string
	// SourcePrefix is where uploads live; only keys under it are processed,
	// so that thumbnails (under DerivedPrefix) can never trigger the
	// thumbnailer again. Empty means DefaultSourcePrefix.
	SourcePrefix string
	// DerivedPrefix is where thumbnails go: <DerivedPrefix><size>/<key>.
	// Empty means DefaultDerivedPrefix.
	DerivedPrefix string
	// Imaging sizes, quality and limits (zero = the imaging defaults).
	Imaging imaging.Options
	// CacheControl of thumbnails. Empty means DefaultCacheControl.
	CacheControl string
	// Lease is how long a claim on an object lasts when ctx has no
	// deadline; with a deadline the claim ends there. Zero means
	// DefaultLease.
	Lease time.Duration
	// MinWriteReserve is the least time an attempt keeps for writing
	// thumbnails and committing (see DefaultWriteReserve), and the least
	// time an event needs left before its deadline to be started: with less,
	// [Thumbnailer.Process] returns [ErrOutOfTime] before touching anything,
	// and [Thumbnailer.HandleSQS] reports the message in batchItemFailures.
	// Zero means DefaultMinWriteReserve.
	MinWriteReserve time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives one structured record per decision; nil means
	// slog.Default().
	Logger *slog.Logger
	// Metrics receives counters; nil discards them.
	Metrics Metrics
	// MemoryBudget bounds the estimated memory of the image work running
	// at once in this Thumbnailer, in bytes: each event's source plus
	// [imaging.MemoryEstimate] (the decoder's working set in bytes per
	// pixel, from the header) is admitted against it, and waits until it
	// fits. Zero means half the process's soft memory limit (GOMEMLIMIT)
	// when one is set, else DefaultMemoryBudget; negative is not allowed.
	MemoryBudget int64
}

// Thumbnailer turns S3 object notifications into thumbnails and media
// records. It is safe for concurrent use.
type Thumbnailer struct {
	objects blob.Store
	records media.Records
	guard   *idempotency.Guard
	opts    Options
	memory  *admission
}

// New returns a Thumbnailer reading sources from and writing
// thumbnails to objects, keeping records in records, and guarding each event
// with guard.
func New(objects blob.Store, records media.Records, guard *idempotency.Guard, opts *Options) *Thumbnailer {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.SourcePrefix == "" {
		o.SourcePrefix = DefaultSourcePrefix
	}
	if o.DerivedPrefix == "" {
		o.DerivedPrefix = DefaultDerivedPrefix
	}
	if len(o.Imaging.Sizes) == 0 {
		o.Imaging.Sizes = imaging.DefaultSizes
	}
	if o.Imaging.Limits.MaxBytes == 0 {
		o.Imaging.Limits.MaxBytes = imaging.DefaultMaxBytes
	}
	if o.CacheControl == "" {
		o.CacheControl = DefaultCacheControl
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.MinWriteReserve <= 0 {
		o.MinWriteReserve = DefaultMinWriteReserve
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = defaultMemoryBudget()
	}
	return &Thumbnailer{objects: objects, records: records, guard: guard, opts: o, memory: newAdmission(o.MemoryBudget)}
}

// DerivedKey returns where the thumbnail of long edge size of key is stored.
func (t *Thumbnailer) DerivedKey(size int, key string) string {
	return t.opts.DerivedPrefix + strconv.Itoa(size) + "/" + key
}

// CheckKey returns an error wrapping [ErrUnprocessableKey] when key can
// never be processed: it is not a valid object key ([blob.ValidateKey]:
// invalid UTF-8, a "." or ".." segment, NUL, over [blob.MaxKeyBytes]), or
// one of its thumbnails' keys (DerivedKey) would be longer than
// blob.MaxKeyBytes, S3's limit. The upload API refuses such keys up front
// with it; an event for one that arrives anyway is rejected permanently.
func (t *Thumbnailer) CheckKey(key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("%w: %w", ErrUnprocessableKey, err)
	}
	for _, size := range t.opts.Imaging.Sizes {
		if d := t.DerivedKey(size, key); len(d) > blob.MaxKeyBytes {
			return fmt.Errorf("%w: the key has %d bytes, so its thumbnail key %s… would have %d, more than the %d bytes S3 allows; keep source keys to %d bytes",
				ErrUnprocessableKey, len(key), d[:len(d)-len(key)], len(d), blob.MaxKeyBytes, blob.MaxKeyBytes-(len(d)-len(key)))
		}
	}
	return nil
}

// Outcome is what processing one event did; it is the idempotency result
// replayed to duplicates.
type Outcome struct {
	Status     media.Status `json:"status"` // processed, rejected, deleted or skipped
	Reason     string       `json:"reason,omitempty"`
	Thumbnails int          `json:"thumbnails,omitempty"`
	// Duplicate is set when the guard replayed an earlier outcome.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Process handles one event exactly once in effect. It returns an error only
// when the event should be delivered again: a transient failure (see
// [IsPermanent]). Permanent problems with the object end in a rejected
// record and a nil error.
func (t *Thumbnailer) Process(ctx context.Context, e media.Event) (Outcome, error) {
	log := t.opts.Logger.With(
		slog.String("correlation_id", e.RequestID), slog.String("bucket", e.Bucket), slog.String("key", e.Key),
		slog.String("id", e.ID()), slog.String("event", string(e.Kind)), slog.String("sequencer", e.Sequencer))
	if t.opts.Bucket != "" && e.Bucket != t.opts.Bucket {
		err := &media.EventError{Reason: fmt.Sprintf("bucket %q is not the configured source bucket %q", e.Bucket, t.opts.Bucket)}
		log.ErrorContext(ctx, "event refused", slog.Any("error", err))
		t.count(ctx, MetricBadEvents, 1)
		return Outcome{}, err
	}
	if !strings.HasPrefix(e.Key, t.opts.SourcePrefix) {
		// Defence in depth against the S3 recursion trap: the notification
		// filter should never deliver these.
		log.WarnContext(ctx, "event ignored: key outside the source prefix", slog.String("source_prefix", t.opts.SourcePrefix))
		t.count(ctx, MetricSkipped, 1)
		return Outcome{Status: media.StatusSkipped, Reason: "outside the source prefix"}, nil
	}
	log.InfoContext(ctx, "event received", slog.String("name", e.Name), slog.String("etag", e.ETag))
	if left, ok := t.timeLeft(ctx); ok && left < t.opts.MinWriteReserve {
		// Not started: a claim, a read and a render would end in the write
		// reserve anyway, and the retry would redo them.
		err := fmt.Errorf("media: event not started with %s left (minimum %s): %w",
			left.Round(time.Millisecond), t.opts.MinWriteReserve, ErrOutOfTime)
		t.count(ctx, MetricTransient, 1)
		log.WarnContext(ctx, "event not started, will be retried", slog.Any("error", err), slog.Bool("transient", true))
		return Outcome{}, err
	}
	key := e.IdempotencyKey()
	ran := false
	res, err := t.guard.Do(ctx, key, []byte(key), func(ctx context.Context) ([]byte, error) {
		ran = true
		o, err := t.apply(ctx, log, e)
		if err != nil {
			return nil, err
		}
		return json.Marshal(o)
	})
	if err != nil {
		t.count(ctx, MetricTransient, 1)
		level := slog.LevelError
		if errors.Is(err, idempotency.ErrInProgress) {
			level = slog.LevelInfo // a concurrent duplicate: the holder will finish
		}
		log.Log(ctx, level, "event failed, will be retried", slog.Any("error", err), slog.Bool("transient", true))
		return Outcome{}, err
	}
	var o Outcome
	if err := json.Unmarshal(res, &o); err != nil {
		return Outcome{}, fmt.Errorf("media: decode stored outcome: %w", err)
	}
	if !ran {
		o.Duplicate = true
		t.count(ctx, MetricDuplicates, 1)
		log.InfoContext(ctx, "duplicate event: outcome replayed", slog.String("status", string(o.Status)))
	}
	return o, nil
}

// apply does the work of one event as the idempotency holder.
func (t *Thumbnailer) apply(ctx context.Context, log *slog.Logger, e media.Event) (Outcome, error) {
	now := t.opts.Now()
	until := now.Add(t.opts.Lease)
	deadline, hasDeadline := ctx.Deadline()
	reserve := time.Duration(0)
	if hasDeadline {
		until = deadline
		reserve = max(t.opts.MinWriteReserve, min(DefaultWriteReserve, time.Until(deadline)/5))
	}
	outOfTime := func() bool { return hasDeadline && time.Until(deadline) < reserve }
	if e.Kind == media.ObjectRemoved {
		// In a versioned bucket a removal may be the permanent deletion of
		// an old version, or a delete marker since followed by a new
		// upload: the key still has a current object, and the thumbnails
		// are its. Only an absent key loses them; the record stays.
		switch cur, err := t.objects.Head(ctx, e.Key); {
		case err == nil:
			reason := "the object still exists: a removal of another version, or a newer upload"
			log.InfoContext(ctx, "removal skipped: the object still exists", slog.String("removed_version_id", e.VersionID),
				slog.String("current_version_id", cur.VersionID), slog.String("current_etag", strings.Trim(cur.ETag, `"`)))
			t.count(ctx, MetricSkipped, 1)
			return Outcome{Status: media.StatusSkipped, Reason: reason}, nil
		case !errors.Is(err, blob.ErrNotFound) && !errors.Is(err, blob.ErrInvalidKey): // an invalid key has no object
			return Outcome{}, fmt.Errorf("media: head %s: %w", e.Key, err)
		}
	}
	c := media.Claim{ID: e.ID(), Bucket: e.Bucket, Key: e.Key, Sequencer: e.Sequencer, Owner: rand.Text(), CorrelationID: e.RequestID, Now: now, Until: until}
	switch err := t.records.Claim(ctx, c); {
	case errors.Is(err, media.ErrStale):
		log.InfoContext(ctx, "event superseded: the record already reflects this or a newer event")
		t.count(ctx, MetricSkipped, 1)
		return Outcome{Status: media.StatusSkipped, Reason: "superseded by a newer event"}, nil
	case err != nil:
		return Outcome{}, err // ErrBusy included: an older event is still being processed
	}
	// The claimed record keeps the previous outcome: which thumbnails exist.
	prev, err := t.records.Get(ctx, c.ID)
	if err != nil {
		return Outcome{}, err
	}
	rec := prev
	rec.ID, rec.Bucket, rec.Key, rec.Sequencer, rec.Owner, rec.CorrelationID = c.ID, e.Bucket, e.Key, e.Sequencer, c.Owner, e.RequestID
	rec.LeaseUntil, rec.Reason = time.Time{}, ""
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now
	}
	if e.Kind == media.ObjectRemoved {
		if err := t.deleteDerived(ctx, e.Key, prev.Thumbnails, nil); err != nil {
			return Outcome{}, err
		}
		rec.Status, rec.Thumbnails, rec.ETag, rec.VersionID = media.StatusDeleted, nil, e.ETag, e.VersionID
		if err := t.commit(ctx, rec); err != nil {
			return Outcome{}, err
		}
		log.InfoContext(ctx, "object deleted: thumbnails removed", slog.Int("thumbnails_removed", len(prev.Thumbnails)))
		t.count(ctx, MetricDeleted, 1)
		return Outcome{Status: media.StatusDeleted}, nil
	}

	if err := t.CheckKey(e.Key); err != nil {
		return t.reject(ctx, log, rec, prev, err.Error())
	}
	src, obj, err := t.objects.GetWithOptions(ctx, e.Key, blob.GetOptions{MaxBytes: t.opts.Imaging.Limits.MaxBytes})
	switch {
	case errors.Is(err, blob.ErrNotFound):
		return t.skip(ctx, log, rec, "the object no longer exists")
	case errors.Is(err, blob.ErrTooLarge):
		return t.reject(ctx, log, rec, prev, err.Error())
	case err != nil:
		return Outcome{}, fmt.Errorf("media: read %s: %w", e.Key, err)
	}
	if etag := strings.Trim(obj.ETag, `"`); e.ETag != "" && etag != e.ETag {
		return t.skip(ctx, log, rec, fmt.Sprintf("the object changed since the event (eTag %s, now %s)", e.ETag, etag))
	}
	rec.ETag, rec.VersionID, rec.Bytes = e.ETag, e.VersionID, int64(len(src))
	if rec.VersionID == "" {
		rec.VersionID = obj.VersionID
	}
	// Admitted by estimated memory, decided from the header (an image
	// refused there is rejected before waiting for anything).
	est, err := imaging.MemoryEstimate(src, &t.opts.Imaging)
	if imaging.IsReject(err) {
		return t.reject(ctx, log, rec, prev, err.Error())
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("media: thumbnails of %s: %w", e.Key, err)
	}
	release, err := t.memory.acquire(ctx, log, int64(len(src))+est)
	if err != nil {
		return Outcome{}, fmt.Errorf("media: waiting for memory for %s: %w", e.Key, err)
	}
	start := time.Now()
	res, err := imaging.Thumbnails(ctx, src, &t.opts.Imaging)
	release()
	if imaging.IsReject(err) {
		return t.reject(ctx, log, rec, prev, err.Error())
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("media: thumbnails of %s: %w", e.Key, err)
	}
	if outOfTime() {
		return Outcome{}, fmt.Errorf("media: thumbnails of %s rendered in %s: %w", e.Key, time.Since(start).Round(time.Millisecond), ErrOutOfTime)
	}
	rec.Format, rec.Width, rec.Height, rec.Orientation = res.Format, res.Width, res.Height, res.Orientation
	rec.Thumbnails = rec.Thumbnails[:0:0]
	for _, th := range res.Thumbnails {
		key := t.DerivedKey(th.Size, e.Key)
		_, err := t.objects.Put(ctx, key, th.Data, blob.PutOptions{
			ContentType:  th.ContentType,
			CacheControl: t.opts.CacheControl,
			Metadata:     map[string]string{"source-etag": e.ETag, "source-sequencer": e.Sequencer},
		})
		if err != nil {
			return Outcome{}, fmt.Errorf("media: write %s: %w", key, err)
		}
		rec.Thumbnails = append(rec.Thumbnails, media.Thumbnail{Size: th.Size, Width: th.Width, Height: th.Height, Key: key, Bytes: len(th.Data)})
	}
	// Sizes that are no longer configured would serve an older picture.
	if err := t.deleteDerived(ctx, e.Key, prev.Thumbnails, rec.Thumbnails); err != nil {
		return Outcome{}, err
	}
	rec.Status = media.StatusProcessed
	if err := t.commit(ctx, rec); err != nil {
		return Outcome{}, err
	}
	log.InfoContext(ctx, "thumbnails written", slog.String("format", res.Format), slog.Int("width", res.Width),
		slog.Int("height", res.Height), slog.Int("orientation", res.Orientation), slog.Int("thumbnails", len(rec.Thumbnails)),
		slog.Duration("render", time.Since(start)))
	t.count(ctx, MetricProcessed, 1)
	t.count(ctx, MetricThumbnails, len(rec.Thumbnails))
	return Outcome{Status: media.StatusProcessed, Thumbnails: len(rec.Thumbnails)}, nil
}

// reject records a permanent problem with the object. Thumbnails of the
// object's previous content are removed: they no longer show it.
func (t *Thumbnailer) reject(ctx context.Context, log *slog.Logger, rec, prev media.Record, reason string) (Outcome, error) {
	if err := t.deleteDerived(ctx, rec.Key, prev.Thumbnails, nil); err != nil {
		return Outcome{}, err
	}
	rec.Status, rec.Reason, rec.Thumbnails = media.StatusRejected, reason, nil
	rec.Format, rec.Width, rec.Height, rec.Orientation = "", 0, 0, 0
	if err := t.commit(ctx, rec); err != nil {
		return Outcome{}, err
	}
	log.WarnContext(ctx, "object rejected", slog.String("reason", reason), slog.Bool("permanent", true))
	t.count(ctx, MetricRejected, 1)
	return Outcome{Status: media.StatusRejected, Reason: reason}, nil
}

// skip records that the event no longer describes the object; the event
// that changed it decides the outcome.
func (t *Thumbnailer) skip(ctx context.Context, log *slog.Logger, rec media.Record, reason string) (Outcome, error) {
	rec.Status, rec.Reason = media.StatusSkipped, reason
	if err := t.commit(ctx, rec); err != nil {
		return Outcome{}, err
	}
	log.InfoContext(ctx, "event skipped", slog.String("reason", reason))
	t.count(ctx, MetricSkipped, 1)
	return Outcome{Status: media.StatusSkipped, Reason: reason}, nil
}

// commit writes the outcome. Once the side effects are done, committing is
// what keeps a retry from repeating them, so it is not cut off by the
// invocation's deadline (it is fenced by the claim's owner anyway).
func (t *Thumbnailer) commit(ctx context.Context, rec media.Record) error {
	rec.UpdatedAt = t.opts.Now()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := t.records.Commit(cctx, rec); err != nil {
		return fmt.Errorf("media: commit record %s: %w", rec.ID, err)
	}
	return nil
}

// deleteDerived deletes the thumbnails of key that are not in keep: those in
// old and those of every configured size (an attempt that died before its
// commit may have written them).
func (t *Thumbnailer) deleteDerived(ctx context.Context, key string, old, keep []media.Thumbnail) error {
	candidates := make([]string, 0, len(old)+len(t.opts.Imaging.Sizes))
	for _, th := range old {
		candidates = append(candidates, th.Key)
	}
	for _, size := range t.opts.Imaging.Sizes {
		candidates = append(candidates, t.DerivedKey(size, key))
	}
	slices.Sort(candidates)
	for _, k := range slices.Compact(candidates) {
		if slices.ContainsFunc(keep, func(th media.Thumbnail) bool { return th.Key == k }) {
			continue
		}
		if !strings.HasPrefix(k, t.opts.DerivedPrefix) || !strings.HasSuffix(k, "/"+key) {
			continue // never delete anything but a thumbnail of key
		}
		if blob.ValidateKey(k) != nil {
			continue // an invalid key (too long) cannot have an object
		}
		if err := t.objects.Delete(ctx, k); err != nil {
			return fmt.Errorf("media: delete %s: %w", k, err)
		}
	}
	return nil
}

// timeLeft returns the time left before ctx's deadline, if it has one.
// Deadlines are wall-clock instants, so this reads the real clock, not
// Options.Now.
func (t *Thumbnailer) timeLeft(ctx context.Context) (time.Duration, bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return time.Until(deadline), true
}

func (t *Thumbnailer) count(ctx context.Context, name string, n int) {
	if t.opts.Metrics != nil && n > 0 {
		t.opts.Metrics.Count(ctx, name, n)
	}
}

// IsPermanent reports whether err is a problem that no retry can fix: a
// malformed event or an unusable object. Everything else (throttling,
// timeouts, 5xx, a busy or fenced claim, a duplicate in progress) is
// transient and the event should be delivered again.
func IsPermanent(err error) bool {
	var ee *media.EventError
	return errors.As(err, &ee) || imaging.IsReject(err) || errors.Is(err, blob.ErrTooLarge) || errors.Is(err, ErrUnprocessableKey) ||
		errors.Is(err, idempotency.ErrPayloadMismatch)
}
