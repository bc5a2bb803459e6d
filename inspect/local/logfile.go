package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampartdev/rampart/inspect"
)

// DefaultMaxLogBytes is the size at which a [LogFile] rotates when its
// maxBytes is zero: 16 MiB, so the two generations searched by a query stay
// well within the read model's latency budget.
const DefaultMaxLogBytes = 16 << 20

// LogFile appends log lines to a file, rotating it to path+".1" (replacing
// the previous generation) before a write would take it past its size cap.
// It is safe for concurrent use; each Write should be whole lines, as
// log/slog's handlers write them.
type LogFile struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	size int64
}

// OpenLogFile opens (creating it and its folder) the log file at path.
// maxBytes caps its size; zero or less means DefaultMaxLogBytes.
func OpenLogFile(path string, maxBytes int64) (*LogFile, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxLogBytes
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	l := &LogFile{path: path, max: maxBytes}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *LogFile) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log file: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Write appends p, rotating first when p would take the file past its cap.
func (l *LogFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, os.ErrClosed
	}
	if l.size > 0 && l.size+int64(len(p)) > l.max {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

func (l *LogFile) rotate() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("rotate log file: %w", err)
	}
	l.f = nil
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		return fmt.Errorf("rotate log file: %w", err)
	}
	return l.open()
}

// Close closes the file.
func (l *LogFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// maxLine is the longest log line read; longer lines are skipped.
const maxLine = 1 << 20

// QueryLogFile returns the lines of the log file at path and its rotated
// generation (path+".1") that match q, oldest first. The cursor names a
// generation by a checksum of its first line and an offset in it, so that
// it survives a rotation; if its generation was rotated away, the query
// restarts at the oldest line kept.
func QueryLogFile(ctx context.Context, path string, q inspect.LogQuery) (inspect.Page[inspect.LogEntry], error) {
	limit := inspect.PageSize(q.Limit)
	page := inspect.Page[inspect.LogEntry]{Items: []inspect.LogEntry{}}
	var fromID uint32
	var fromOff int64
	if q.After != "" {
		id, off, ok := strings.Cut(q.After, ":")
		n, err1 := strconv.ParseUint(id, 16, 32)
		o, err2 := strconv.ParseInt(off, 10, 64)
		if !ok || err1 != nil || err2 != nil || o < 0 {
			return page, fmt.Errorf("%w: %q", inspect.ErrInvalidCursor, q.After)
		}
		fromID, fromOff = uint32(n), o
	}
	gens := []string{path + ".1", path}
	type gen struct {
		f  *os.File
		id uint32
	}
	var files []gen
	defer func() {
		for _, g := range files {
			g.f.Close()
		}
	}()
	for _, p := range gens {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return page, err
		}
		id, err := firstLineID(f)
		if err != nil {
			f.Close()
			return page, err
		}
		files = append(files, gen{f, id})
	}
	start, off := 0, int64(0)
	if q.After != "" {
		for i, g := range files {
			if g.id == fromID {
				start, off = i, fromOff
			}
		}
	}
	since, until := q.Since, q.Until
	for i := start; i < len(files); i++ {
		g := files[i]
		if _, err := g.f.Seek(off, io.SeekStart); err != nil {
			return page, err
		}
		name := filepath.Base(gens[0])
		if g.f.Name() == path {
			name = filepath.Base(path)
		}
		br := bufio.NewReaderSize(g.f, 64<<10)
		pos := off
		for lines := 0; ; lines++ {
			if lines%4096 == 0 && ctx.Err() != nil {
				return page, ctx.Err()
			}
			line, n, err := readLine(br)
			lineStart := pos
			pos += n
			if len(line) > 0 && q.Prefilter(line) && timeMayMatch(line, since, until) {
				if e, ok := inspect.ParseLogLine(line); ok && q.Match(e) {
					if len(page.Items) == limit {
						page.Next = strconv.FormatUint(uint64(g.id), 16) + ":" + strconv.FormatInt(lineStart, 10)
						return page, nil
					}
					e.Stream = name
					page.Items = append(page.Items, e)
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return page, fmt.Errorf("read log %s: %w", name, err)
			}
		}
		off = 0
	}
	return page, nil
}

// readLine returns the next line with its newline and the bytes it
// consumed. A line longer than maxLine is consumed but returned empty.
func readLine(br *bufio.Reader) ([]byte, int64, error) {
	line, err := br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, int64(len(line)), err
	}
	buf := append([]byte(nil), line...)
	n := int64(len(line))
	for err == bufio.ErrBufferFull {
		line, err = br.ReadSlice('\n')
		n += int64(len(line))
		if buf != nil && len(buf)+len(line) <= maxLine {
			buf = append(buf, line...)
		} else {
			buf = nil
		}
	}
	return buf, n, err
}

// firstLineID returns the checksum of the file's first line (0 for an
// empty file) and rewinds it.
func firstLineID(f *os.File) (uint32, error) {
	buf := make([]byte, 512)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return 0, err
	}
	buf = buf[:n]
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i]
	}
	return crc32.ChecksumIEEE(buf), nil
}

var timePrefix = []byte(`{"time":"`)

// timeMayMatch rejects, without parsing the JSON, a slog line whose leading
// time attribute is outside [since, until).
func timeMayMatch(line []byte, since, until time.Time) bool {
	if since.IsZero() && until.IsZero() || !bytes.HasPrefix(line, timePrefix) {
		return true
	}
	rest := line[len(timePrefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	if err != nil {
		return true
	}
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
}
