package coldstart

// The simulators push and pop a heap once per request, so the two heaps
// here are written out for their element types, without the interface
// boxing of container/heap: one generic heap ordered through a method of
// its type parameter measured slower for both with Go 1.26 (the method is
// called through the instantiation's dictionary, not inlined).

// envHeap is a binary min-heap of busy environments by the time they are
// free.
type envHeap []busyEnv

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

// endHeap is a binary min-heap of end times: the replay's cold
// environments and the concurrency series' requests.
type endHeap []int64

func (h *endHeap) push(v int64) {
	s := append(*h, v)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p] <= v {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = v
	*h = s
}

func (h *endHeap) pop() int64 {
	s := *h
	top, last := s[0], s[len(s)-1]
	s = s[:len(s)-1]
	if len(s) > 0 {
		i := 0
		for {
			c := 2*i + 1
			if c >= len(s) {
				break
			}
			if c+1 < len(s) && s[c+1] < s[c] {
				c++
			}
			if s[c] >= last {
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
