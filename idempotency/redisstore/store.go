package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampartdev/rampart/idempotency"
)

// DefaultPrefix is the key prefix when Options.Prefix is empty.
const DefaultPrefix = "idempotency:"

// DefaultMaxResultSize is the largest result a store accepts unless
// Options.MaxResultSize says otherwise: 1 MiB. Redis would take 512 MB, but
// every result stays in the server's memory for the whole expiry and is sent
// back on every duplicate, and a large value stalls the single-threaded
// server for every other client while it is copied. Results of idempotent
// handlers are responses and acknowledgements, far below 1 MiB; it is the
// same order as DynamoDB's 400 KB item limit, so a result that fits one
// store nearly always fits the other. Raise it deliberately.
const DefaultMaxResultSize = 1 << 20

// Hash fields of a record. Times are epoch milliseconds.
const (
	fieldStatus           = "status"
	fieldOwner            = "owner"
	fieldValidation       = "validation"
	fieldData             = "data"
	fieldInProgressExpiry = "in_progress_expiration"
	fieldExpiry           = "expiration_ms"
	fieldResultNotStored  = "result_not_stored" // "1" on a record completed without its result
)

// Options configure a Store. The zero value (or nil) selects the defaults.
type Options struct {
	// Prefix is put before every record key, so that one Redis database can
	// hold several stores. Empty means DefaultPrefix.
	Prefix string
	// MaxResultSize is the largest result Complete accepts. Zero means
	// DefaultMaxResultSize.
	MaxResultSize int
}

// Store is an idempotency.Store kept in Redis, one hash per record.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	maxSize int
}

var (
	_ idempotency.Store         = (*Store)(nil)
	_ idempotency.ResultLimiter = (*Store)(nil)
)

// New returns a store that keeps its records in client: a *redis.Client,
// *redis.ClusterClient or any other redis.UniversalClient. Every operation
// touches one key, so it works on a cluster.
func New(client redis.UniversalClient, opts *Options) *Store {
	s := &Store{client: client, prefix: DefaultPrefix, maxSize: DefaultMaxResultSize}
	if opts != nil {
		if opts.Prefix != "" {
			s.prefix = opts.Prefix
		}
		if opts.MaxResultSize > 0 {
			s.maxSize = opts.MaxResultSize
		}
	}
	return s
}

// MaxResultSize returns the largest result Complete accepts.
func (s *Store) MaxResultSize() int { return s.maxSize }

// Prefix returns the key prefix.
func (s *Store) Prefix() string { return s.prefix }

// acquireScript writes the INPROGRESS record unless a live one exists, judged
// at the caller's now (ARGV[1]) rather than the server's clock, and returns
// 1, or the live record's fields. The key's time to live is the record's
// expiry less the caller's now, a duration: Redis deletes the key when the
// record expires by the caller's clock, whatever the server's clock says.
var acquireScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'status', 'owner', 'validation', 'data', 'in_progress_expiration', 'expiration_ms', 'result_not_stored')
local now = tonumber(ARGV[1])
if r[1] then
  local exp = tonumber(r[6])
  if exp and now < exp then
    if r[1] == 'COMPLETED' then return r end
    local lease = tonumber(r[5])
    if r[1] == 'INPROGRESS' and lease and now < lease then return r end
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', 'INPROGRESS', 'owner', ARGV[2], 'validation', ARGV[3],
  'in_progress_expiration', ARGV[4], 'expiration_ms', ARGV[5])
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[5]) - now))
return 1
`)

// completeScript turns the record COMPLETED if ARGV[1] holds it in progress,
// storing the result ARGV[2] (or, when ARGV[4] is 1, no result and the
// result_not_stored mark), returning 1; if ARGV[1] already completed it (a retry of a Complete whose
// reply was lost) it returns 1 without a change; if another writer
// completed the record ARGV[1] holds (completed_by is not ARGV[1]) it
// returns 2; otherwise 0, without a change. The time to live moves by the
// difference between the new expiry and the old one (both by the caller's
// clock), so the server's clock plays no part.
var completeScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'status', 'owner', 'completed_by', 'expiration_ms')
if r[2] ~= ARGV[1] then return 0 end
if r[1] == 'COMPLETED' then
  if r[3] == ARGV[1] then return 1 end
  return 2
end
if r[1] ~= 'INPROGRESS' then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
local old = tonumber(r[4])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'status', 'COMPLETED', 'result_not_stored', '1', 'expiration_ms', ARGV[3], 'completed_by', ARGV[1])
else
  redis.call('HSET', KEYS[1], 'status', 'COMPLETED', 'data', ARGV[2], 'expiration_ms', ARGV[3], 'completed_by', ARGV[1])
end
if ttl > 0 and old then
  redis.call('PEXPIRE', KEYS[1], math.max(1, ttl + tonumber(ARGV[3]) - old))
end
return 1
`)

// releaseScript deletes the record if ARGV[1] holds it in progress,
// returning 1, or 0 without a change.
var releaseScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
if r[1] ~= 'INPROGRESS' or r[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// Acquire runs one script (EVALSHA; EVAL once more after a server restart
// forgot it) that checks and writes atomically.
func (s *Store) Acquire(ctx context.Context, rec idempotency.Record, now time.Time) error {
	res, err := acquireScript.Run(ctx, s.client, []string{s.prefix + rec.Key},
		now.UnixMilli(), rec.Owner, rec.PayloadHash, rec.InProgressExpiry.UnixMilli(), rec.Expiry.UnixMilli()).Result()
	if err != nil {
		return fmt.Errorf("redisstore: acquire %q: %w", rec.Key, err)
	}
	fields, ok := res.([]any)
	if !ok {
		return nil
	}
	existing, err := decodeFields(rec.Key, fields)
	if err != nil {
		return fmt.Errorf("redisstore: acquire %q: %w", rec.Key, err)
	}
	if rec.Owner != "" && existing.Owner == rec.Owner {
		// go-redis retried the script after losing the reply of an attempt
		// that succeeded: the record is ours.
		return nil
	}
	return &idempotency.ConflictError{Existing: existing}
}

// Complete runs one owner- and status-checked script.
func (s *Store) Complete(ctx context.Context, rec idempotency.Record) error {
	if len(rec.Result) > s.maxSize {
		return &idempotency.ResultTooLargeError{Size: len(rec.Result), Limit: s.maxSize}
	}
	notStored := 0
	if rec.ResultNotStored {
		notStored = 1
	}
	n, err := completeScript.Run(ctx, s.client, []string{s.prefix + rec.Key},
		rec.Owner, rec.Result, rec.Expiry.UnixMilli(), notStored).Int()
	if err == nil && n == 2 {
		return idempotency.ErrForeignCompletion
	}
	return fenced(n, err, "complete", rec.Key)
}

// Release runs one owner- and status-checked script.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	n, err := releaseScript.Run(ctx, s.client, []string{s.prefix + key}, owner).Int()
	return fenced(n, err, "release", key)
}

func fenced(n int, err error, op, key string) error {
	switch {
	case err != nil:
		return fmt.Errorf("redisstore: %s %q: %w", op, key, err)
	case n == 0:
		return idempotency.ErrFenced
	}
	return nil
}

// Get reads the record with one HGETALL.
func (s *Store) Get(ctx context.Context, key string) (idempotency.Record, error) {
	m, err := s.client.HGetAll(ctx, s.prefix+key).Result()
	if err != nil {
		return idempotency.Record{}, fmt.Errorf("redisstore: get %q: %w", key, err)
	}
	if len(m) == 0 {
		return idempotency.Record{}, idempotency.ErrNotFound
	}
	fields := []any{m[fieldStatus], m[fieldOwner], m[fieldValidation], nil, m[fieldInProgressExpiry], m[fieldExpiry], m[fieldResultNotStored]}
	if d, ok := m[fieldData]; ok {
		fields[3] = d
	}
	rec, err := decodeFields(key, fields)
	if err != nil {
		return idempotency.Record{}, fmt.Errorf("redisstore: get %q: %w", key, err)
	}
	return rec, nil
}

// Delete removes the record with one DEL.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore: delete %q: %w", key, err)
	}
	return nil
}

// decodeFields builds a record from the hash fields status, owner,
// validation, data, in_progress_expiration, expiration_ms and
// result_not_stored, in that order; a missing field is nil.
func decodeFields(key string, f []any) (idempotency.Record, error) {
	if len(f) != 7 {
		return idempotency.Record{}, fmt.Errorf("decode record: %d fields, want 7", len(f))
	}
	str := func(v any) string { s, _ := v.(string); return s }
	rec := idempotency.Record{
		Key:             key,
		Status:          idempotency.Status(str(f[0])),
		Owner:           str(f[1]),
		PayloadHash:     str(f[2]),
		ResultNotStored: str(f[6]) == "1",
	}
	if d, ok := f[3].(string); ok {
		rec.Result = []byte(d)
	}
	var errs []error
	for i, dst := range []*time.Time{&rec.InProgressExpiry, &rec.Expiry} {
		ms, err := strconv.ParseInt(str(f[4+i]), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("decode record: field %s: %w", []string{fieldInProgressExpiry, fieldExpiry}[i], err))
			continue
		}
		*dst = time.UnixMilli(ms)
	}
	return rec, errors.Join(errs...)
}
