package coldstart

// timed is an element of a minHeap, ordered by its time.
type timed interface {
	busyEnv | int64
}

func timeOf[T timed](v T) int64 {
	switch x := any(v).(type) {
	case busyEnv:
		return x.until
	case int64:
		return x
	}
	return 0
}

// minHeap is a binary min-heap by time, without the interface boxing of
// container/heap (the simulator pushes and pops once per request).
type minHeap[T timed] []T

func (h minHeap[T]) Len() int { return len(h) }

// top returns the earliest element; the heap must not be empty.
func (h minHeap[T]) top() T { return h[0] }

func (h *minHeap[T]) push(v T) {
	s := append(*h, v)
	i := len(s) - 1
	t := timeOf(v)
	for i > 0 {
		p := (i - 1) / 2
		if timeOf(s[p]) <= t {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = v
	*h = s
}

func (h *minHeap[T]) pop() T {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	if len(s) > 0 {
		t := timeOf(last)
		i := 0
		for {
			c := 2*i + 1
			if c >= len(s) {
				break
			}
			if c+1 < len(s) && timeOf(s[c+1]) < timeOf(s[c]) {
				c++
			}
			if timeOf(s[c]) >= t {
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
