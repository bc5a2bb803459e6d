package httpproxy

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// response is the Server's http.ResponseWriter: it writes the head and the
// body into the connection's buffered writer, chunked when the handler gave
// no Content-Length, and flushes once after the handler returns (or on
// Flush), so that a small answer costs one write system call.
type response struct {
	c   *serverConn
	req *http.Request
	hdr http.Header

	status     int
	wrote      bool  // the head is in the writer
	cl         int64 // the declared Content-Length, or -1
	n          int64 // body bytes written
	chunked    bool
	noBody     bool // HEAD, 1xx, 204, 304
	head       bool // HEAD: body writes are dropped
	closeAfter bool // close the connection after this answer

	expectContinue bool       // the client waits for 100 Continue before its body
	mu             sync.Mutex // with expectContinue: the head against the 100
	sentContinue   bool
	body           serverBody
	scratch        [24]byte
}

func (w *response) reset(req *http.Request) {
	clear(w.hdr)
	*w = response{c: w.c, hdr: w.hdr, req: req, cl: -1}
}

// Header implements http.ResponseWriter.
func (w *response) Header() http.Header { return w.hdr }

// WriteHeader implements http.ResponseWriter. Informational statuses are
// not passed on: the gateway never sends them.
func (w *response) WriteHeader(code int) {
	if w.wrote || code < 200 {
		return
	}
	if w.expectContinue {
		w.mu.Lock()
		defer w.mu.Unlock()
	}
	w.wrote, w.status = true, code
	h, req := w.hdr, w.req
	w.head = req.Method == "HEAD"
	w.noBody = w.head || code == 204 || code == 304
	if v := h["Content-Length"]; len(v) > 0 {
		if n, err := strconv.ParseInt(v[0], 10, 64); err == nil && n >= 0 && len(v) == 1 {
			w.cl = n
		} else {
			delete(h, "Content-Length")
		}
	}
	if code == 204 || code == 304 && w.cl < 0 {
		delete(h, "Content-Length")
		w.cl = -1
	}
	for _, v := range h["Connection"] {
		if hasToken(v, "close") {
			w.closeAfter = true
		}
	}
	http10 := !req.ProtoAtLeast(1, 1)
	if req.Close || w.c.s.closing.Load() {
		w.closeAfter = true
	}
	if !w.noBody && w.cl < 0 {
		if http10 {
			w.closeAfter = true // the body ends with the connection
		} else {
			w.chunked = true
		}
	}
	switch {
	case w.expectContinue && !w.sentContinue:
		// The client may never send the body it was about to announce.
		w.closeAfter = true
	case req.Body != http.NoBody && !w.body.claimed.Load() && !w.body.done:
		// (claimed first: a claimed body's done is its reader's.)
		// An answer without reading the body (a refusal): as http.Server,
		// read what is short enough to keep the connection, and say it
		// closes otherwise, so that no client or front proxy sends its
		// next request into a connection about to close.
		if req.ContentLength >= maxDrainBytes || w.body.drain() != nil {
			w.closeAfter = true
		}
		// The answer's write deadline counts from now, not from before the
		// body came in.
		_ = w.c.conn.SetWriteDeadline(time.Now().Add(w.c.s.writeTimeout))
	}

	b := w.c.bw
	b.WriteString("HTTP/1.1 ")
	b.Write(strconv.AppendInt(w.scratch[:0], int64(code), 10))
	b.WriteByte(' ')
	b.WriteString(http.StatusText(code))
	b.WriteString("\r\n")
	for k, vv := range h {
		switch k {
		case "Connection", "Transfer-Encoding", "Trailer", "Keep-Alive":
			if k != "Trailer" || !w.chunked {
				continue
			}
		}
		if strings.HasPrefix(k, http.TrailerPrefix) || !validFieldName(k) {
			continue
		}
		for _, v := range vv {
			b.WriteString(k)
			b.WriteString(": ")
			writeFieldValue(b, v)
			b.WriteString("\r\n")
		}
	}
	if _, ok := h["Date"]; !ok {
		writeDate(b)
	}
	if w.chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n")
	}
	switch {
	case w.closeAfter:
		b.WriteString("Connection: close\r\n")
	case http10:
		b.WriteString("Connection: keep-alive\r\n")
	}
	b.WriteString("\r\n")
}

// writeFieldValue writes the field value v with each CR and LF as a space,
// as net/http's header writer does, so that no value can end its line.
func writeFieldValue(b *bufio.Writer, v string) {
	for {
		i := strings.IndexAny(v, "\r\n")
		if i < 0 {
			b.WriteString(v)
			return
		}
		b.WriteString(v[:i])
		b.WriteByte(' ')
		v = v[i+1:]
	}
}

// hasToken reports whether the comma-separated field value v has token.
func hasToken(v, token string) bool {
	for f := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(f), token) {
			return true
		}
	}
	return false
}

// validFieldName reports whether k is a token (RFC 9110 section 5.6.2).
func validFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		b := k[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", b) >= 0 {
			return false
		}
	}
	return true
}

// Write implements http.ResponseWriter.
func (w *response) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.noBody {
		if w.head {
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	if w.cl >= 0 && w.n+int64(len(p)) > w.cl {
		return 0, http.ErrContentLength
	}
	if len(p) == 0 {
		return 0, nil
	}
	b := w.c.bw
	if w.chunked {
		b.Write(strconv.AppendInt(w.scratch[:0], int64(len(p)), 16))
		b.WriteString("\r\n")
	}
	n, err := b.Write(p)
	w.n += int64(n)
	if err == nil && w.chunked {
		_, err = b.WriteString("\r\n")
	}
	return n, err
}

// Flush implements http.Flusher.
func (w *response) Flush() { _ = w.FlushError() }

// FlushError sends what is buffered (http.ResponseController's Flush).
func (w *response) FlushError() error {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.c.bw.Flush()
}

// SetWriteDeadline sets the connection's write deadline
// (http.ResponseController).
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.conn.SetWriteDeadline(t) }

// SetReadDeadline sets the connection's read deadline
// (http.ResponseController).
func (w *response) SetReadDeadline(t time.Time) error { return w.c.conn.SetReadDeadline(t) }

// EnableFullDuplex implements http.ResponseController's: the server
// always lets the handler read the body while it answers.
func (w *response) EnableFullDuplex() error { return nil }

// finish completes the answer after the handler returned and reports
// whether the connection serves another request.
func (w *response) finish() bool {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	b := w.c.bw
	if w.chunked {
		_ = w.c.conn.SetWriteDeadline(time.Now().Add(w.c.s.writeTimeout))
		b.WriteString("0\r\n")
		w.writeTrailers()
		b.WriteString("\r\n")
	}
	if w.cl >= 0 && w.n != w.cl && !w.noBody {
		w.closeAfter = true // the client counts on bytes that will not come
	}
	if b.Flush() != nil {
		return false
	}
	if w.req.Body != http.NoBody && !w.body.done {
		// Keep the connection only if the rest of the body is short (a
		// client still waiting for 100 Continue made WriteHeader say close).
		if w.closeAfter || w.body.drain() != nil {
			w.c.closeWriteAndWait()
			return false
		}
	}
	return !w.closeAfter
}

// writeTrailers writes the trailer fields: those the handler declared in
// Trailer and set after the head, and those named with http.TrailerPrefix.
func (w *response) writeTrailers() {
	b := w.c.bw
	write := func(k string, vv []string) {
		if !validFieldName(k) {
			return
		}
		for _, v := range vv {
			if strings.ContainsAny(v, "\r\n") {
				continue
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\r\n")
		}
	}
	for _, decl := range w.hdr["Trailer"] {
		for k := range strings.SplitSeq(decl, ",") {
			k = http.CanonicalHeaderKey(strings.TrimSpace(k))
			write(k, w.hdr[k])
		}
	}
	for k, vv := range w.hdr {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			write(name, vv)
		}
	}
}

// serverBody is a request's body as the handler reads it: it sends 100
// Continue before the first read when the client expects it, tells the
// connection when the body has been read to its end, and its Close only
// stops reads (the server drains or drops the rest after the answer).
type serverBody struct {
	c       *serverConn
	w       *response
	r       io.ReadCloser
	done    bool // read to its end
	closed  bool
	err     error
	claimed atomic.Bool // the handler reads it (see claim)
}

// claim says the handler reads the body, perhaps from another goroutine
// and only later: the answer's head must not drain it.
func (b *serverBody) claim() { b.claimed.Store(true) }

var errBodyAfterClose = errors.New("http: invalid Read on closed Body")

func (b *serverBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errBodyAfterClose
	}
	if b.done {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.w.expectContinue && !b.w.sentContinue {
		if err := b.w.sendContinue(); err != nil {
			return 0, err
		}
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.done = true
		b.c.bodyRead()
	} else if err != nil {
		b.err = err
	}
	return n, err
}

func (b *serverBody) Close() error {
	b.closed = true
	return nil
}

// drain reads the rest of the body, at most maxDrainBytes of it, before or
// after the answer; an error means the connection must close.
func (b *serverBody) drain() error {
	if b.done {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	n, err := io.CopyN(io.Discard, b.r, maxDrainBytes+1)
	if err == io.EOF {
		b.done = true
		return nil
	}
	if err != nil {
		b.err = err
	}
	if err == nil && n > maxDrainBytes {
		err = errors.New("request body too long to drain")
	}
	return err
}

// sendContinue writes 100 Continue unless the answer's head is already
// written.
func (w *response) sendContinue() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wrote || w.sentContinue {
		return nil
	}
	w.sentContinue = true
	_ = w.c.conn.SetWriteDeadline(time.Now().Add(w.c.s.writeTimeout))
	_, err := io.WriteString(w.c.conn, "HTTP/1.1 100 Continue\r\n\r\n")
	return err
}
