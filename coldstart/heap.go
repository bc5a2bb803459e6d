package coldstart

// envHeap is a binary min-heap of busy environments by the time they are
// free, without the interface boxing of container/heap (the simulator
// pushes and pops once per request). The concurrency series uses it with
// the end times alone.
type envHeap []busyEnv

func (h envHeap) Len() int { return len(h) }

// top returns the earliest element; the heap must not be empty.
func (h envHeap) top() busyEnv { return h[0] }

func (h *envHeap) push(v busyEnv) {
	s := append(*h, v)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].until <= v.until {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = v
	*h = s
}

func (h *envHeap) pop() busyEnv {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	if len(s) > 0 {
		i := 0
		for {
			c := 2*i + 1
			if c >= len(s) {
				break
			}
			if c+1 < len(s) && s[c+1].until < s[c].until {
				c++
			}
			if s[c].until >= last.until {
				break
			}
			s[i] = s[c]
			i = c
		}
		s[i] = last
	}
	*h = s
	return top
}
