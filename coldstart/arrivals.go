package coldstart

import (
	"encoding/binary"
	"slices"
)

// arrival is one observed invocation as the simulator replays it.
type arrival struct {
	at     int64   // when the request arrived, Unix ms (before any init)
	dur    float32 // handler duration, ms
	initMs float32 // observed init or restore time, 0 when warm
}

// arrivalLog stores arrivals compactly (zigzag varint deltas, about 5 bytes
// an invocation) until the simulator needs them.
type arrivalLog struct {
	buf  []byte
	last int64
	n    int
}

func (l *arrivalLog) add(a arrival) {
	l.buf = binary.AppendVarint(l.buf, a.at-l.last)
	l.buf = binary.AppendUvarint(l.buf, uint64(a.dur*10+0.5))
	l.buf = binary.AppendUvarint(l.buf, uint64(a.initMs+0.5))
	l.last = a.at
	l.n++
}

// sorted decodes the arrivals in time order.
func (l *arrivalLog) sorted() []arrival {
	out := make([]arrival, 0, l.n)
	var t int64
	b := l.buf
	ordered := true
	for len(b) > 0 {
		d, n1 := binary.Varint(b)
		dur, n2 := binary.Uvarint(b[n1:])
		ini, n3 := binary.Uvarint(b[n1+n2:])
		b = b[n1+n2+n3:]
		t += d
		if d < 0 {
			ordered = false
		}
		out = append(out, arrival{at: t, dur: float32(dur) / 10, initMs: float32(ini)})
	}
	if !ordered {
		slices.SortStableFunc(out, func(a, b arrival) int {
			switch {
			case a.at < b.at:
				return -1
			case a.at > b.at:
				return 1
			}
			return 0
		})
	}
	return out
}
