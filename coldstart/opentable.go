package coldstart

import (
	"encoding/binary"
	"math/bits"
)

// reqKey is a request id as a fixed array: Lambda request ids are 36-byte
// UUIDs; longer ids are cut, with their length in the last byte.
type reqKey [40]byte

func makeReqKey(id []byte) reqKey {
	var k reqKey
	n := copy(k[:39], id)
	k[39] = byte(n)
	return k
}

func (k *reqKey) hash() uint64 {
	h := binary.LittleEndian.Uint64(k[0:])
	for i := 8; i < len(k); i += 8 {
		h = bits.RotateLeft64(h*0x9e3779b97f4a7c15, 31) ^ binary.LittleEndian.Uint64(k[i:])
	}
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

// openTable holds the invocations whose START was seen and REPORT not yet:
// an open-addressing hash table (linear probing, backward-shift
// deletion), because the analysis inserts and removes one entry per
// invocation, which a Go map does at several times the cost.
type openTable struct {
	slots []openSlot
	n     int
}

type openSlot struct {
	key  reqKey
	hash uint64 // 0: empty (hashes are forced non-zero)
	inv  openInv
}

func (t *openTable) len() int { return t.n }

func (t *openTable) index(h uint64) int { return int(h & uint64(len(t.slots)-1)) }

func hashOf(k *reqKey) uint64 { return k.hash() | 1 }

// get returns the entry of k.
func (t *openTable) get(k *reqKey) (openInv, bool) {
	if t.n == 0 {
		return openInv{}, false
	}
	h := hashOf(k)
	for i := t.index(h); ; i = (i + 1) & (len(t.slots) - 1) {
		s := &t.slots[i]
		if s.hash == 0 {
			return openInv{}, false
		}
		if s.hash == h && s.key == *k {
			return s.inv, true
		}
	}
}

// put sets the entry of k.
func (t *openTable) put(k *reqKey, v openInv) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	h := hashOf(k)
	for i := t.index(h); ; i = (i + 1) & (len(t.slots) - 1) {
		s := &t.slots[i]
		if s.hash == 0 {
			*s = openSlot{key: *k, hash: h, inv: v}
			t.n++
			return
		}
		if s.hash == h && s.key == *k {
			s.inv = v
			return
		}
	}
}

// take removes and returns the entry of k.
func (t *openTable) take(k *reqKey) (openInv, bool) {
	if t.n == 0 {
		return openInv{}, false
	}
	h := hashOf(k)
	mask := len(t.slots) - 1
	for i := t.index(h); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.hash == 0 {
			return openInv{}, false
		}
		if s.hash == h && s.key == *k {
			v := s.inv
			t.remove(i)
			return v, true
		}
	}
}

// remove empties slot i, shifting back the entries of its probe run.
func (t *openTable) remove(i int) {
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := &t.slots[j]
		if s.hash == 0 {
			break
		}
		// An entry whose home is cyclically outside (i, j] may move to i.
		home := t.index(s.hash)
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = *s
			i = j
		}
	}
	t.slots[i] = openSlot{}
	t.n--
}

func (t *openTable) grow() {
	old := t.slots
	t.slots = make([]openSlot, max(1024, 2*len(old)))
	t.n = 0
	for i := range old {
		if s := &old[i]; s.hash != 0 {
			t.put(&s.key, s.inv)
		}
	}
}

// deleteIf removes the entries for which drop is true and returns how many.
func (t *openTable) deleteIf(drop func(openInv) bool) int {
	var keep []openSlot
	n := 0
	for i := range t.slots {
		if s := &t.slots[i]; s.hash != 0 {
			if drop(s.inv) {
				n++
			} else {
				keep = append(keep, *s)
			}
		}
	}
	if n > 0 {
		clear(t.slots)
		t.n = 0
		for i := range keep {
			t.put(&keep[i].key, keep[i].inv)
		}
	}
	return n
}
