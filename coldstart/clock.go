package coldstart

import "time"

// wallClock maps Unix milliseconds to the hour of day and weekday in a
// location, caching the current hour so that sorted or nearly sorted
// timestamps cost a comparison each.
type wallClock struct {
	loc       *time.Location
	from, to  int64 // the cached hour [from, to)
	hour, day int
}

func newWallClock(loc *time.Location) *wallClock {
	if loc == nil {
		loc = time.UTC
	}
	return &wallClock{loc: loc, from: 1, to: 0}
}

// at returns the hour of day (0-23) and weekday (0 = Sunday) of ms.
func (c *wallClock) at(ms int64) (hour, weekday int) {
	if ms >= c.from && ms < c.to {
		return c.hour, c.day
	}
	t := time.UnixMilli(ms).In(c.loc)
	c.hour, c.day = t.Hour(), int(t.Weekday())
	start := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, c.loc)
	c.from = start.UnixMilli()
	c.to = c.from + int64(time.Hour/time.Millisecond)
	if ms < c.from || ms >= c.to { // a DST jump; do not cache
		c.from, c.to = 1, 0
	}
	return c.hour, c.day
}
