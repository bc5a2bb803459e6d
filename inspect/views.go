package inspect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/idempotency"
)

// ListIdempotency lists the records of any [idempotency.Lister] as the read
// model shows them, judging stuck and expired records at now. Backends share
// it.
func ListIdempotency(ctx context.Context, l idempotency.Lister, q IdempotencyQuery, now time.Time) (Page[IdempotencyRecord], error) {
	opts := idempotency.ListOptions{Status: idempotency.Status(q.Status), After: q.After, Limit: PageSize(q.Limit)}
	if q.Stuck {
		opts.StuckAt = now
	}
	recs, next, err := l.List(ctx, opts)
	if err != nil {
		return Page[IdempotencyRecord]{}, err
	}
	page := Page[IdempotencyRecord]{Items: make([]IdempotencyRecord, 0, len(recs)), Next: next}
	for _, r := range recs {
		page.Items = append(page.Items, IdempotencyView(r, now))
	}
	return page, nil
}

// IdempotencyView returns the read model's view of r at now.
func IdempotencyView(r idempotency.Record, now time.Time) IdempotencyRecord {
	return IdempotencyRecord{
		Key: r.Key, Status: string(r.Status), Owner: r.Owner, InProgressExpiry: r.InProgressExpiry, Expiry: r.Expiry,
		Stuck:   (idempotency.ListOptions{StuckAt: now}).Match(r),
		Expired: !now.Before(r.Expiry),
	}
}

// ListObjects lists the objects of any [blob.Store]. Backends share it.
func ListObjects(ctx context.Context, b blob.Store, q ObjectQuery) (Page[Object], error) {
	objs, next, err := b.List(ctx, q.Prefix, q.After, PageSize(q.Limit))
	if err != nil {
		return Page[Object]{}, err
	}
	page := Page[Object]{Items: make([]Object, 0, len(objs)), Next: next}
	for _, o := range objs {
		page.Items = append(page.Items, ObjectOf(o))
	}
	return page, nil
}

// IdempotencyDeleter is the part of an idempotency store that
// [EvictIdempotency] uses.
type IdempotencyDeleter interface {
	Get(ctx context.Context, key string) (idempotency.Record, error)
	Delete(ctx context.Context, key string) error
}

// EvictIdempotency reads the record key, to say what it deletes, deletes it
// whatever its state and returns its view at now; a missing record is
// [ErrNotFound]. Backends share it for [Writer.EvictIdempotency].
func EvictIdempotency(ctx context.Context, st IdempotencyDeleter, key string, now time.Time) (IdempotencyRecord, error) {
	rec, err := st.Get(ctx, key)
	if errors.Is(err, idempotency.ErrNotFound) {
		return IdempotencyRecord{}, fmt.Errorf("idempotency record %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return IdempotencyRecord{}, err
	}
	if err := st.Delete(ctx, key); err != nil {
		return IdempotencyRecord{}, err
	}
	return IdempotencyView(rec, now), nil
}
