// Package redisstore keeps idempotency records in Redis (or a
// Redis-compatible server such as Valkey or ElastiCache), one hash per
// record, through go-redis.
//
//	client := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	guard := idempotency.New(redisstore.New(client, nil), nil)
//
// # Layout
//
// A record lives at Options.Prefix (default "idempotency:") followed by its
// key, as a hash:
//
//	status                  INPROGRESS or COMPLETED
//	owner                   the holder's fencing token
//	validation              the payload hash
//	data                    the result (COMPLETED only), binary-safe
//	in_progress_expiration  InProgressExpiry, epoch milliseconds
//	expiration_ms           Expiry, epoch milliseconds
//	completed_by            the owner token whose Complete stored the result
//
// # Time
//
// One clock decides: the caller's (idempotency.Options.Now). Liveness is
// judged at the now the engine passes to Acquire, against the times stored
// in the hash. The key's time to live is set as a duration (PEXPIRE), the
// record's Expiry less that now, and Complete moves it by the difference
// between the new and the old Expiry, so Redis deletes the key when the
// record expires by the caller's clock. The server's own clock never
// decides anything: an injected clock, or a server whose clock is off by
// more than Expiry, changes nothing. Callers' clocks must agree with each
// other within idempotency.Options.SkewMargin, as for every store.
//
// # Operations and costs
//
// Each transition is one Lua script run with EVALSHA (plus one EVAL the first
// time a server sees it, for example after a restart), so each is atomic and
// one round trip:
//
//   - Acquire reads the hash, decides liveness from the caller's now (see
//     Time), and either
//     returns the live record's fields or replaces the hash with the new
//     INPROGRESS record. A conflict carries the record without a second
//     round trip.
//   - Complete and Release change the hash only if it is INPROGRESS and held
//     by the caller's owner token; otherwise they return
//     [idempotency.ErrFenced], except that Complete on a hash the caller's
//     owner token already completed succeeds and changes nothing, and one
//     completed by another writer while the caller held it is
//     [idempotency.ErrForeignCompletion].
//   - Get is one HGETALL; Delete one DEL.
//
// Per delivery through the engine: a first delivery costs 2 round trips
// (acquire, complete), a duplicate 1, a failure 2 (acquire, release).
//
// Every operation touches one key, so the store works on Redis Cluster
// (redis.ClusterClient) too. go-redis retries a command whose connection
// failed (Options.MaxRetries, 3 by default). A retried Acquire that finds its
// own record (same owner) succeeds, and so does a retried Complete that finds
// the record its first attempt completed: the retry leaves the result and
// expiry as the first attempt wrote them. A retried Release whose first
// attempt did take effect finds no record and reports
// [idempotency.ErrFenced], which the engine only logs: the store cannot tell
// that from an eviction or a takeover (see idempotency.Store.Release).
//
// # Result size
//
// Complete refuses results over Options.MaxResultSize (default
// [DefaultMaxResultSize], 1 MiB) with a [*idempotency.ResultTooLargeError],
// before sending anything.
//
// # Permissions
//
// With Redis ACLs the store needs EVALSHA, EVAL, HGETALL and DEL on the
// prefix's keys (and, inside the scripts, HMGET, HSET, DEL, PTTL and
// PEXPIRE):
//
//	ACL SETUSER idem on >secret ~idempotency:* +evalsha +eval +hgetall +del +hmget +hset +pttl +pexpire
package redisstore
