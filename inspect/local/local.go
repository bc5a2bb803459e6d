package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/fsblob"
	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/coldstart/logsource"
	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/sqlitetokens"
	"github.com/rampartdev/rampart/idempotency/sqlitestore"
	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/internal/datadir"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/sqliterecords"
	"github.com/rampartdev/rampart/queue"
)

var (
	_ inspect.Source           = (*Source)(nil)
	_ inspect.DeadLetterLister = (*Source)(nil)
	_ inspect.TokenLister      = (*Source)(nil)
	_ inspect.Writer           = (*Source)(nil)
)

// Options configure a [Source]. The zero value (or nil) selects the
// defaults.
type Options struct {
	// TokensDB is the gateway's token database; empty means
	// <data>/gateway/tokens.db, where "rampart tokens" keeps it.
	TokensDB string
	// Now is the clock that decides which records are stuck or expired;
	// nil means time.Now.
	Now func() time.Time
}

// Source is the read model over a data folder of "rampart dev".
type Source struct {
	dir     string
	now     func() time.Time
	stores  *datadir.Stores
	recs    *sqliterecords.Store
	idem    *sqlitestore.Store
	queue   *queue.Queue
	objects *fsblob.Store
	tokens  string

	tokMu    sync.Mutex
	tokStore *sqlitetokens.Store // opened on first use
}

// Open opens the read model over the data folder dir, which "rampart dev"
// may be using at the same time (SQLite in WAL mode lets readers run
// beside its writer). Missing stores are created empty.
func Open(ctx context.Context, dir string, opts *Options) (*Source, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokensDB == "" {
		o.TokensDB = filepath.Join(dir, datadir.TokensDB)
	}
	// Opening the stores creates them when the folder is new.
	st, err := datadir.Open(ctx, dir, &datadir.Options{Queue: &queue.Options{Now: o.Now}})
	if err != nil {
		return nil, fmt.Errorf("inspect/local: %w", err)
	}
	return &Source{dir: dir, now: o.Now, tokens: o.TokensDB, stores: st,
		objects: st.Objects, recs: st.Records, idem: st.Idempotency, queue: st.Queue}, nil
}

// Close closes the stores.
func (s *Source) Close() error {
	errs := []error{s.stores.Close()}
	s.tokMu.Lock()
	if s.tokStore != nil {
		errs = append(errs, s.tokStore.Close())
	}
	s.tokMu.Unlock()
	return errors.Join(errs...)
}

// MediaOrder implements [inspect.Source]: an index on update time orders
// the whole listing.
func (s *Source) MediaOrder() inspect.MediaOrder { return inspect.NewestFirst }

// Backend implements [inspect.Source].
func (s *Source) Backend() (string, string) { return "local", s.dir }

// Media implements [inspect.Source] with the records' newest-first
// listing ([sqliterecords.Store.ListNewest]).
func (s *Source) Media(ctx context.Context, q inspect.MediaQuery) (inspect.Page[media.Record], error) {
	recs, next, err := s.recs.ListNewest(ctx, sqliterecords.NewestOptions{Status: q.Status, Prefix: q.Prefix,
		Since: q.Since, Until: q.Until, After: q.After, Limit: inspect.PageSize(q.Limit)})
	if errors.Is(err, sqliterecords.ErrInvalidCursor) {
		return inspect.Page[media.Record]{}, fmt.Errorf("%w (%w)", inspect.ErrInvalidCursor, err)
	}
	if err != nil {
		return inspect.Page[media.Record]{}, fmt.Errorf("inspect/local: %w", err)
	}
	return inspect.Page[media.Record]{Items: recs, Next: next}, nil
}

// MediaRecord implements [inspect.Source].
func (s *Source) MediaRecord(ctx context.Context, id string) (media.Record, error) {
	rec, err := s.recs.Get(ctx, id)
	if errors.Is(err, media.ErrNotFound) {
		return media.Record{}, fmt.Errorf("media record %q: %w", id, inspect.ErrNotFound)
	}
	return rec, err
}

// MediaCounts implements [inspect.Source].
func (s *Source) MediaCounts(ctx context.Context) (map[media.Status]int, error) {
	return s.recs.Count(ctx)
}

// Idempotency implements [inspect.Source].
func (s *Source) Idempotency(ctx context.Context, q inspect.IdempotencyQuery) (inspect.Page[inspect.IdempotencyRecord], error) {
	return inspect.ListIdempotency(ctx, s.idem, q, s.now())
}

// Objects implements [inspect.Source].
func (s *Source) Objects(ctx context.Context, q inspect.ObjectQuery) (inspect.Page[inspect.Object], error) {
	return inspect.ListObjects(ctx, s.objects, q)
}

// Object implements [inspect.Source].
func (s *Source) Object(ctx context.Context, key string) (inspect.Object, error) {
	obj, err := s.objects.Head(ctx, key)
	return inspect.ObjectOf(obj), inspect.BlobError(err)
}

// ObjectBody implements [inspect.Source].
func (s *Source) ObjectBody(ctx context.Context, key string) ([]byte, inspect.Object, error) {
	b, obj, err := s.objects.GetWithOptions(ctx, key, blob.GetOptions{MaxBytes: inspect.MaxObjectBody})
	return b, inspect.ObjectOf(obj), inspect.BlobError(err)
}

// Queue implements [inspect.Source].
func (s *Source) Queue(ctx context.Context) (inspect.QueueStats, error) {
	st, err := s.queue.Stats(ctx)
	if err != nil {
		return inspect.QueueStats{}, err
	}
	return inspect.QueueStats{Visible: st.Visible, InFlight: st.InFlight, DeadLetters: st.DeadLetters, OldestSentAt: st.OldestSentAt}, nil
}

// DeadLetters implements [inspect.DeadLetterLister].
func (s *Source) DeadLetters(ctx context.Context, q inspect.DeadLetterQuery) (inspect.Page[inspect.DeadLetter], error) {
	dl, next, err := s.queue.DeadLetters(ctx, q.After, inspect.PageSize(q.Limit))
	if errors.Is(err, queue.ErrInvalidCursor) {
		return inspect.Page[inspect.DeadLetter]{}, fmt.Errorf("%w (%w)", inspect.ErrInvalidCursor, err)
	}
	if err != nil {
		return inspect.Page[inspect.DeadLetter]{}, err
	}
	page := inspect.Page[inspect.DeadLetter]{Items: make([]inspect.DeadLetter, 0, len(dl)), Next: next}
	for _, d := range dl {
		v := inspect.NewDeadLetter(d.ID, d.Body, d.Attributes)
		v.Reason, v.LastError, v.ReceiveCount, v.SentAt, v.DeadAt = d.Reason, d.LastError, d.ReceiveCount, d.SentAt, d.DeadAt
		page.Items = append(page.Items, v)
	}
	return page, nil
}

// Logs implements [inspect.Source] over the log file (datadir.LogFile).
func (s *Source) Logs(ctx context.Context, q inspect.LogQuery) (inspect.Page[inspect.LogEntry], error) {
	return QueryLogFile(ctx, filepath.Join(s.dir, datadir.LogFile), q)
}

// ColdStartLogs implements [inspect.Source]: the files in
// <data>/coldstart, in name order.
func (s *Source) ColdStartLogs(ctx context.Context) (coldstart.Source, []string, error) {
	dir := filepath.Join(s.dir, datadir.ColdStartDir)
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	var paths []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("no Lambda logs in %s: %w", dir, inspect.ErrNotFound)
	}
	sort.Strings(paths)
	return &logsource.Files{Paths: paths}, paths, nil
}

// Tokens implements [inspect.TokenLister]. A missing token database is an empty
// list.
func (s *Source) Tokens(ctx context.Context) ([]inspect.Token, error) {
	s.tokMu.Lock()
	if s.tokStore == nil {
		if _, err := os.Stat(s.tokens); errors.Is(err, os.ErrNotExist) {
			s.tokMu.Unlock()
			return []inspect.Token{}, nil
		}
		st, err := sqlitetokens.Open(s.tokens, nil)
		if err != nil {
			s.tokMu.Unlock()
			return nil, err
		}
		s.tokStore = st
	}
	st := s.tokStore
	s.tokMu.Unlock()
	recs, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	return TokenViews(recs), nil
}

// TokenViews returns the metadata of token records, without their hashes.
func TokenViews(recs []gateway.TokenRecord) []inspect.Token {
	out := make([]inspect.Token, 0, len(recs))
	for _, r := range recs {
		t := inspect.Token{ID: r.ID, Tenant: r.Tenant, Scopes: r.Scopes, Rate: r.Rate, Burst: r.Burst,
			CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, Revoked: r.Revoked, Note: r.Note}
		if r.Period != 0 {
			t.Period = time.Duration(r.Period).String()
		}
		out = append(out, t)
	}
	return out
}

// EvictIdempotency implements [inspect.Writer].
func (s *Source) EvictIdempotency(ctx context.Context, key string) (inspect.IdempotencyRecord, error) {
	return inspect.EvictIdempotency(ctx, s.idem, key, s.now())
}

// Redrive implements [inspect.Writer]. The running server's pollers see the
// messages within their poll interval.
func (s *Source) Redrive(ctx context.Context, ids ...string) (int, error) {
	return s.queue.Redrive(ctx, ids...)
}
