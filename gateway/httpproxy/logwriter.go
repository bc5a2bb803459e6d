package httpproxy

import (
	"io"
	"sync"
	"time"
)

// DefaultLogBufferSize is the LogWriter's buffer size when none is given.
const DefaultLogBufferSize = 64 << 10

// LogWriter buffers the access log so that a request costs no write system
// call: slog's handlers write each record with one Write, which LogWriter
// appends to a buffer that it hands to the underlying writer every interval,
// or at once when the buffer is full. Records are never split. A record
// reaches the underlying writer at most one interval late, and Close writes
// what is left.
//
// Writers to the buffer never wait for the underlying writer, except when
// the buffer is full: then the Write that filled it writes it out, which
// slows the gateway down rather than dropping records.
type LogWriter struct {
	w    io.Writer
	size int

	mu  sync.Mutex // guards buf and err
	buf []byte
	err error // the first error of the underlying writer

	out   sync.Mutex // serialises writes to w and guards spare
	spare []byte

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// NewLogWriter returns a LogWriter writing to w every interval (a positive
// duration), buffering up to size bytes (0 means DefaultLogBufferSize)
// between writes. Close it to stop its goroutine and write the rest.
func NewLogWriter(w io.Writer, interval time.Duration, size int) *LogWriter {
	if size <= 0 {
		size = DefaultLogBufferSize
	}
	l := &LogWriter{
		w: w, size: size,
		buf: make([]byte, 0, size), spare: make([]byte, 0, size),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go l.loop(interval)
	return l
}

func (l *LogWriter) loop(interval time.Duration) {
	defer close(l.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			_ = l.Flush()
		}
	}
}

// Write appends p to the buffer. It returns the underlying writer's first
// error, if any, once that error has happened.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return 0, err
	}
	l.buf = append(l.buf, p...)
	full := len(l.buf) >= l.size
	l.mu.Unlock()
	if full {
		if err := l.Flush(); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// Flush writes the buffer to the underlying writer now.
func (l *LogWriter) Flush() error {
	l.out.Lock()
	defer l.out.Unlock()
	l.mu.Lock()
	if l.err != nil || len(l.buf) == 0 {
		err := l.err
		l.mu.Unlock()
		return err
	}
	l.buf, l.spare = l.spare[:0], l.buf
	l.mu.Unlock()
	_, err := l.w.Write(l.spare)
	if cap(l.spare) > 4*l.size {
		l.spare = make([]byte, 0, l.size) // one huge record must not pin its buffer
	}
	if err != nil {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
	}
	return err
}

// Close stops the periodic writes and writes what is buffered. It may be
// called more than once. Writes after Close are buffered but only written
// by another Flush or when the buffer fills.
func (l *LogWriter) Close() error {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
	return l.Flush()
}
