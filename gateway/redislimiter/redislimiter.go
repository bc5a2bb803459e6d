// Package redislimiter is a [gateway.Limiter] in Redis, so that several
// gateway instances share their limits. Each key is one Redis string holding
// the GCRA theoretical arrival time; a Lua script reads, decides and writes
// it atomically, and the key expires when its bucket is full again.
//
// A key lives one second longer than its bucket takes to refill, so that an
// instance whose clock runs behind still finds it.
//
// Time is counted in microseconds in Redis (Lua numbers are doubles, exact
// only to 2^53), so a limit's interval is rounded up to a whole microsecond.
// The instances' clocks are used as given: keep them synchronised (NTP), as
// skew between instances shifts when a key's next request is allowed.
package redislimiter

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampartdev/rampart/gateway"
)

// DefaultPrefix starts every key the limiter writes.
const DefaultPrefix = "rampart:gcra:"

// Limiter is a [gateway.Limiter] backed by Redis. It is safe for concurrent
// use.
type Limiter struct {
	rdb    redis.Scripter
	prefix string
}

var _ gateway.Limiter = (*Limiter)(nil)

// Options configure a Limiter. A nil *Options means the defaults.
type Options struct {
	Prefix string // key prefix; "" means DefaultPrefix
}

// New returns a Limiter using rdb (a *redis.Client, ClusterClient or Ring).
func New(rdb redis.Scripter, opts *Options) *Limiter {
	l := &Limiter{rdb: rdb, prefix: DefaultPrefix}
	if opts != nil && opts.Prefix != "" {
		l.prefix = opts.Prefix
	}
	return l
}

// script is gateway.GCRA in Lua, in microseconds. It returns whether the
// request is allowed and the theoretical arrival time stored before it, from
// which the caller recomputes the full decision with gateway.GCRA.
var script = redis.NewScript(`
local now = tonumber(ARGV[1])
local iv = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local prev = tonumber(redis.call('GET', KEYS[1]) or '0')
local tat = prev
if tat < now then tat = now end
local new = tat + iv
if new - now > window then
  return {0, prev}
end
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000) + 1000)
return {1, prev}
`)

// Allow implements [gateway.Limiter].
func (l *Limiter) Allow(ctx context.Context, key string, lim gateway.Limit, now time.Time) (gateway.LimitDecision, error) {
	if lim.Unlimited() {
		_, d := gateway.GCRA(lim, 0, now.UnixNano())
		return d, nil
	}
	ivUS := (int64(lim.Interval()) + 999) / 1000
	burst := int64(lim.BurstSize())
	nowUS := now.UnixMicro()
	// The same limit in whole microseconds, for recomputing the decision.
	usLimit := gateway.Limit{Rate: 1, Period: time.Duration(ivUS) * time.Microsecond, Burst: int(burst)}
	res, err := script.Run(ctx, l.rdb, []string{l.prefix + key}, nowUS, ivUS, ivUS*burst).Int64Slice()
	if err != nil {
		return gateway.LimitDecision{}, fmt.Errorf("redislimiter: %w", err)
	}
	if len(res) != 2 {
		return gateway.LimitDecision{}, fmt.Errorf("redislimiter: unexpected script result %v", res)
	}
	_, d := gateway.GCRA(usLimit, res[1]*1000, nowUS*1000)
	if d.Allowed != (res[0] == 1) {
		return d, fmt.Errorf("redislimiter: script and GCRA disagree for %q", key)
	}
	return d, nil
}
