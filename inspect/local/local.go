package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
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
	"github.com/rampartdev/rampart/internal/sqlitedb"
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
	mediaDB *sql.DB              // the read model's own queries and indexes
	recs    *sqliterecords.Store // the owner's reads
	idem    *sqlitestore.Store
	queue   *queue.Queue
	objects *fsblob.Store
	tokens  string

	tokMu    sync.Mutex
	tokStore *sqlitetokens.Store // opened on first use
}

// updated is the SQL expression of a media record's UpdatedAt as a Julian
// day number, with millisecond precision. The read model indexes it.
const updated = `julianday(json_extract(doc, '$.updatedAt'))`

// mediaIndexes serve listing media records newest first, with or without a
// status. sqliterecords owns the table; the indexes are the read model's
// and are created when it opens the folder (once, IF NOT EXISTS).
const mediaIndexes = `
CREATE INDEX IF NOT EXISTS inspect_media_updated ON media (` + updated + `, id);
CREATE INDEX IF NOT EXISTS inspect_media_status_updated ON media (status, ` + updated + `, id);
CREATE INDEX IF NOT EXISTS inspect_media_key ON media (` + objectKey + `);
`

// objectKey is the SQL expression of a media record's object key, indexed
// for prefix queries.
const objectKey = `json_extract(doc, '$.key')`

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
	s := &Source{dir: dir, now: o.Now, tokens: o.TokensDB, stores: st,
		objects: st.Objects, recs: st.Records, idem: st.Idempotency, queue: st.Queue}
	if s.mediaDB, err = sqlitedb.Open(ctx, filepath.Join(dir, datadir.MediaDB), nil); err != nil {
		s.Close()
		return nil, fmt.Errorf("inspect/local: open media records: %w", err)
	}
	if _, err := s.mediaDB.ExecContext(ctx, mediaIndexes); err != nil {
		s.Close()
		return nil, fmt.Errorf("inspect/local: index media records: %w", err)
	}
	return s, nil
}

// Close closes the stores.
func (s *Source) Close() error {
	var errs []error
	if s.mediaDB != nil {
		errs = append(errs, s.mediaDB.Close())
	}
	errs = append(errs, s.stores.Close())
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

// julian converts t to a Julian day number as SQLite's julianday does.
func julian(t time.Time) float64 {
	return float64(t.UnixMilli())/86_400_000 + 2440587.5
}

// Media implements [inspect.Source]. It walks an index on (status, update
// time, id) newest first; the prefix filter is applied while walking.
func (s *Source) Media(ctx context.Context, q inspect.MediaQuery) (inspect.Page[media.Record], error) {
	limit := inspect.PageSize(q.Limit)
	where := []string{"1"}
	var args []any
	if q.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(q.Status))
	}
	if !q.Since.IsZero() {
		where = append(where, updated+" >= ?")
		args = append(args, julian(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, updated+" < ?")
		args = append(args, julian(q.Until))
	}
	if q.Prefix != "" {
		// A range on the indexed key: the planner reads only the keys
		// under the prefix, then sorts them by time.
		where = append(where, objectKey+" >= ?")
		args = append(args, q.Prefix)
		if end, ok := prefixEnd(q.Prefix); ok {
			where = append(where, objectKey+" < ?")
			args = append(args, end)
		}
	}
	if q.After != "" {
		jd, id, ok := strings.Cut(q.After, "/")
		f, err := strconv.ParseFloat(jd, 64)
		if !ok || err != nil || math.IsNaN(f) {
			return inspect.Page[media.Record]{}, fmt.Errorf("%w: %q", inspect.ErrInvalidCursor, q.After)
		}
		where = append(where, "("+updated+", id) < (?, ?)")
		args = append(args, f, id)
	}
	args = append(args, limit+1)
	rows, err := s.mediaDB.QueryContext(ctx, `SELECT doc, `+updated+` FROM media WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+updated+` DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return inspect.Page[media.Record]{}, fmt.Errorf("inspect/local: list media: %w", err)
	}
	defer rows.Close()
	var page inspect.Page[media.Record]
	var lastJD float64
	for rows.Next() {
		var doc string
		var jd sql.NullFloat64
		if err := rows.Scan(&doc, &jd); err != nil {
			return inspect.Page[media.Record]{}, fmt.Errorf("inspect/local: list media: %w", err)
		}
		if len(page.Items) == limit {
			last := page.Items[limit-1]
			page.Next = strconv.FormatFloat(lastJD, 'g', -1, 64) + "/" + last.ID
			break
		}
		var rec media.Record
		if err := json.Unmarshal([]byte(doc), &rec); err != nil {
			return inspect.Page[media.Record]{}, fmt.Errorf("inspect/local: decode media record: %w", err)
		}
		page.Items = append(page.Items, rec)
		lastJD = jd.Float64
	}
	if err := rows.Err(); err != nil {
		return inspect.Page[media.Record]{}, fmt.Errorf("inspect/local: list media: %w", err)
	}
	return page, nil
}

// prefixEnd returns the least string greater than every string with the
// given prefix, if there is one.
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
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
	return inspect.ObjectOf(obj), notFound(err)
}

// ObjectBody implements [inspect.Source].
func (s *Source) ObjectBody(ctx context.Context, key string) ([]byte, inspect.Object, error) {
	b, obj, err := s.objects.Get(ctx, key)
	return b, inspect.ObjectOf(obj), notFound(err)
}

// notFound adds inspect.ErrNotFound to a blob store's not-found error.
func notFound(err error) error {
	if errors.Is(err, blob.ErrNotFound) {
		return fmt.Errorf("%w (%w)", inspect.ErrNotFound, err)
	}
	return err
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
