package httpproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// Server serves a [Handler] over HTTP/1.1: `rampart gateway`'s server. It
// is not http.Server, and why is measured (see the package doc): it keeps
// net/http's request parser ([http.ReadRequest], with its body framing and
// its refusals) and drops the per-request machinery around it. Each
// connection is served by one goroutine that reads a request, runs the
// handler and writes the answer through a buffered writer of its own (one
// write system call for a small answer), with no goroutine, context or
// writer allocated per request. What it does, per connection:
//
//   - timeouts: ReadHeaderTimeout for a request's head, Config.Timeout for
//     the whole request with its body, an idle timeout between requests;
//     the handler gives every answer its write deadline;
//   - Config.MaxHeaderBytes (431), malformed requests (400), unknown
//     transfer codings (501), other HTTP versions (505) and expectations
//     other than 100-continue (417) are answered with the gateway's JSON
//     error, logged, and the connection closed;
//   - the request framing is followed below the parser (see framer), so
//     that a request with both Transfer-Encoding and Content-Length, or
//     Transfer-Encoding in HTTP/1.0, is refused with 400 and a closed
//     connection (RFC 9112 section 6.1);
//   - pipelined requests are answered in order; Connection: close and
//     HTTP/1.0 without keep-alive close after the answer; Expect:
//     100-continue is answered when the handler first reads the body;
//     answers without a length are chunked (HTTP/1.1) or end with the
//     connection (HTTP/1.0); an unread request body is drained up to 256
//     KiB, else the connection closes after the answer;
//   - a client that leaves while its request is forwarded is noticed by a
//     read of the connection that starts only when a forwarded request has
//     taken watchDelay (one timer for the server's connections, see
//     watchList), so that a fast request costs no goroutine or timer for it;
//   - a handler panic ends its connection only; Shutdown stops accepting,
//     closes idle connections and waits for the others to finish;
//   - on Linux, its sockets (and the origin's) are read and written with
//     raw system calls that wait in Go's netpoller as net.Conn does (see
//     rawIO): net.Conn's own calls wake the runtime's monitor thread
//     whenever the process was idle, twice per request at a moderate rate.
type Server struct {
	h                 *Handler
	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	idleTimeout       time.Duration
	writeTimeout      time.Duration // the server's own answers
	maxHeaderBytes    int

	mu        sync.Mutex
	listeners map[*net.Listener]struct{}
	conns     map[*serverConn]struct{}
	closing   atomic.Bool
	watches   *watchList
}

// Server timeouts that Config does not set.
const (
	serverHeaderTimeout = 10 * time.Second
	serverIdleTimeout   = 2 * time.Minute
)

// watchDelay is how long a forwarded request runs before a read of its
// connection starts to notice the client leave.
const watchDelay = 20 * time.Millisecond

// maxDrainBytes bounds the unread request body read after an answer to
// keep the connection (net/http's maxPostHandlerReadBytes).
const maxDrainBytes = 256 << 10

// NewServer returns the server for h: the gateway's header limit (Config.MaxHeaderBytes), timeouts against slow
// clients (head 10 s, whole request Config.Timeout, idle connection 2 min;
// each write of an answer Config.StreamIdleTimeout), its errors in the
// gateway's JSON log.
func NewServer(h *Handler) *Server {
	cfg := h.gw.Config()
	return &Server{
		h:                 h,
		readHeaderTimeout: serverHeaderTimeout,
		readTimeout:       time.Duration(cfg.Timeout),
		idleTimeout:       serverIdleTimeout,
		writeTimeout:      time.Duration(cfg.StreamIdleTimeout),
		maxHeaderBytes:    cfg.MaxHeaderBytes,
		listeners:         map[*net.Listener]struct{}{},
		conns:             map[*serverConn]struct{}{},
		watches:           newWatchList(),
	}
}

// Serve accepts connections on ln and serves each on its own goroutine.
// It closes ln on return, and returns http.ErrServerClosed after Shutdown
// or Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.listeners[&ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, &ln)
		s.mu.Unlock()
		ln.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) {
				// Out of descriptors or memory for a moment: wait, as
				// http.Server does, rather than spin or stop serving.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.h.gw.Logger().Warn("gateway: accept failed; retrying", "err", err.Error(), "retry_in_ms", backoff.Milliseconds())
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := s.newConn(nc)
		if c == nil {
			nc.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

// Shutdown stops the server gracefully: it closes the listeners and the
// idle connections, then waits for the active ones to finish their
// request (they close after it) or for ctx to end, when it returns ctx's
// error with those connections still open.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.closeListeners()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if s.closeIdle() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		c.conn.Close()
	}
	s.mu.Unlock()
	return nil
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	for ln := range s.listeners {
		(*ln).Close()
	}
	s.mu.Unlock()
}

// closeIdle closes the connections between requests and returns how many
// connections are left.
func (s *Server) closeIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.conn.Close()
		}
	}
	return len(s.conns)
}

func (s *Server) newConn(nc net.Conn) *serverConn {
	nc = newRawIO(nc)
	c := &serverConn{s: s, h: s.h, conn: nc, remoteAddr: nc.RemoteAddr().String(),
		f: newFramer(s.maxHeaderBytes), remain: math.MaxInt64, bodyDone: true,
		watchDone: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.br = bufio.NewReaderSize(c, connBufferSize)
	c.w.c = c
	c.w.hdr = make(http.Header)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return nil
	}
	s.conns[c] = struct{}{}
	return c
}

// Connection states, for Shutdown.
const (
	stateIdle   int32 = iota // between requests: Shutdown may close it
	stateActive              // reading or serving a request
	stateClosed
)

// serverConn is one client connection. Its goroutine reads the requests,
// runs the handler and writes the answers; the request body may be read
// from the handler's body writer goroutine, and the watch read (see
// watchRead) runs on one of its own.
type serverConn struct {
	s          *Server
	h          *Handler
	conn       net.Conn
	remoteAddr string
	br         *bufio.Reader // reads through the serverConn (Read)
	bw         *bufio.Writer // while a request is served; pooled while idle
	f          *framer
	remain     int64 // bytes Read may still take: the head's bound while reading one
	ctx        context.Context
	cancel     context.CancelFunc // the client has left, or the connection ended
	state      atomic.Int32
	w          response // the answer in progress, reused

	mu        sync.Mutex
	active    *call // the origin call of the running handler
	gone      bool  // a read failed: the client has left
	watching  bool  // between watch and unwatch
	bodyDone  bool  // the request has no body left to read
	reading   bool  // a watch read was started this request
	pending   bool  // the watch read got a byte (the next request's)
	pendByte  byte
	watchDone chan struct{}

	// In the server's watch list (its lock):
	queued     bool
	watchSince time.Time
	prev, next *serverConn
}

// watchList holds the connections whose forwarded request may need a
// watch read, oldest first, with one timer for them all: a request costs
// two list operations, not a timer of its own (adding a timer that is the
// earliest wakes a thread of the runtime, which is most of a fast
// request's cost at a moderate rate).
type watchList struct {
	mu         sync.Mutex
	head, tail *serverConn
	timer      *time.Timer
	armed      bool
}

func newWatchList() *watchList {
	l := &watchList{}
	l.timer = time.AfterFunc(time.Hour, l.sweep)
	l.timer.Stop()
	return l
}

// add queues c, whose forwarded request starts now (c.mu is held).
func (l *watchList) add(c *serverConn) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.queued {
		return
	}
	c.queued, c.watchSince = true, now
	c.prev, c.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = c
	} else {
		l.head = c
	}
	l.tail = c
	if !l.armed {
		l.armed = true
		l.timer.Reset(watchDelay)
	}
}

// remove takes c off the list (c.mu is held).
func (l *watchList) remove(c *serverConn) {
	l.mu.Lock()
	if c.queued {
		l.unlink(c)
	}
	l.mu.Unlock()
}

func (l *watchList) unlink(c *serverConn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		l.tail = c.prev
	}
	c.queued, c.prev, c.next = false, nil, nil
}

// sweep starts the watch reads of the connections queued for watchDelay
// and schedules itself for the next one.
func (l *watchList) sweep() {
	now := time.Now()
	var due []*serverConn
	l.mu.Lock()
	for l.head != nil && now.Sub(l.head.watchSince) >= watchDelay {
		c := l.head
		l.unlink(c)
		due = append(due, c)
	}
	if l.head != nil {
		l.timer.Reset(watchDelay - now.Sub(l.head.watchSince))
	} else {
		l.armed = false
	}
	l.mu.Unlock()
	for _, c := range due {
		go c.watchRead()
	}
}

// Read is the buffered reader's source: it applies the head's bound, hands
// out the byte a watch read got, and feeds the framer.
func (c *serverConn) Read(p []byte) (int, error) {
	if c.remain <= 0 {
		return 0, io.EOF // the head's bound: 431
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	if c.pending { // set by the watch read, which has ended
		c.pending = false
		p[0] = c.pendByte
		c.remain--
		return 1, nil
	}
	n, err := c.conn.Read(p)
	c.remain -= int64(n)
	if n > 0 {
		c.f.feed(p[:n])
	}
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		c.left()
	}
	return n, err
}

// left records that the client has gone and aborts its origin call.
func (c *serverConn) left() {
	c.mu.Lock()
	c.gone = true
	if c.active != nil {
		c.active.clientLeft()
	}
	c.mu.Unlock()
	c.cancel()
}

// watch makes the client leaving abort call, from now until unwatch; it
// reports false when the client has already left.
func (c *serverConn) watch(cl *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active = cl
	c.watching = true
	if c.bodyDone {
		c.s.watches.add(c)
	}
	return !c.gone
}

// bodyRead is called when the request's body has been read to its end:
// from then on the connection may be watched.
func (c *serverConn) bodyRead() {
	c.mu.Lock()
	c.bodyDone = true
	if c.watching && !c.reading {
		c.s.watches.add(c)
	}
	c.mu.Unlock()
}

// watchRead is the watch read, started by the watch list: with nothing
// else reading the connection, a read that fails means the client has
// left; a byte is the next request's, kept for it. It may start late, for
// the connection's next request: watching early does no harm.
func (c *serverConn) watchRead() {
	c.mu.Lock()
	if !c.watching || c.reading || c.gone || !c.bodyDone || c.pending {
		c.mu.Unlock()
		return
	}
	c.reading = true
	_ = c.conn.SetReadDeadline(time.Time{})
	c.mu.Unlock()
	var b [1]byte
	n, err := c.conn.Read(b[:])
	c.mu.Lock()
	if n > 0 {
		c.pending, c.pendByte = true, b[0]
		c.f.feed(b[:1])
	} else if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		c.gone = true
		if c.active != nil {
			c.active.clientLeft()
		}
		c.cancel()
	}
	c.mu.Unlock()
	c.watchDone <- struct{}{}
}

// unwatch ends watch: once it returns, nothing reads the connection for
// the watch and the client leaving aborts the call no more.
func (c *serverConn) unwatch() {
	c.mu.Lock()
	c.watching = false
	c.active = nil
	c.s.watches.remove(c)
	reading := c.reading
	if reading {
		_ = c.conn.SetReadDeadline(aLongTimeAgo) // ends the watch read
	}
	c.mu.Unlock()
	if reading {
		<-c.watchDone
		c.mu.Lock()
		c.reading = false
		c.mu.Unlock()
	}
}

// checkFraming returns why the framing of r, the request just read, is
// refused, or "".
func (c *serverConn) checkFraming(r *http.Request) string {
	fr, ok := c.f.next()
	switch {
	case !ok:
		return "request framing could not be followed on this connection"
	case fr.line != requestLineHash(r.Method, r.RequestURI):
		return "request framing could not be followed on this connection"
	}
	return fr.bad
}

func (c *serverConn) close() {
	if c.bw != nil {
		_ = c.bw.Flush() // what an aborted answer had buffered: the client sees where it broke off
		putWriter(c.bw)
		c.bw = nil
	}
	c.cancel()
	c.conn.Close()
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
}

// closeWriteAndWait closes the connection's sending side and reads what
// the client still sends for a moment, so that its unread bytes do not
// make the kernel reset the connection before the client has read the
// answer (http.Server waits the same 500 ms).
func (c *serverConn) closeWriteAndWait() {
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var buf [4 << 10]byte
	for {
		if _, err := c.conn.Read(buf[:]); err != nil {
			return
		}
	}
}

// serve serves the connection's requests in order until one closes it.
func (c *serverConn) serve() {
	defer c.close()
	defer func() {
		if p := recover(); p != nil && p != http.ErrAbortHandler {
			c.h.gw.Logger().Error("gateway: panic serving a connection", "client", c.remoteAddr, "panic", p)
		}
	}()
	for first := true; ; first = false {
		// The head's bound counts from here: the bytes a pipelining client
		// sent after the last request were read without it (at most a
		// buffer's worth, as http.Server's).
		c.remain = int64(c.s.maxHeaderBytes) + 4096
		var headDeadline time.Time
		if c.br.Buffered() == 0 && !c.pending {
			// An idle connection holds no write buffer.
			if c.bw != nil {
				putWriter(c.bw)
				c.bw = nil
			}
			// The first request's head is due ReadHeaderTimeout after the
			// accept; later ones may wait the idle timeout to begin.
			if first {
				headDeadline = time.Now().Add(c.s.readHeaderTimeout)
				_ = c.conn.SetReadDeadline(headDeadline)
			} else {
				_ = c.conn.SetReadDeadline(time.Now().Add(c.s.idleTimeout))
			}
			if _, err := c.br.Peek(1); err != nil {
				return
			}
		}
		if !c.state.CompareAndSwap(stateIdle, stateActive) {
			return // Shutdown closed it
		}
		if c.bw == nil {
			c.bw = getWriter(c.conn)
		}
		if !c.serveRequest(headDeadline) || c.s.closing.Load() {
			return
		}
		c.state.Store(stateIdle)
	}
}

// serveRequest reads one request and answers it; it reports whether the
// connection stays open for the next one. headDeadline is the head's
// deadline when already set, or zero.
func (c *serverConn) serveRequest(headDeadline time.Time) bool {
	start := time.Now()
	if headDeadline.IsZero() {
		_ = c.conn.SetReadDeadline(start.Add(c.s.readHeaderTimeout))
	}
	c.mu.Lock()
	c.bodyDone = true
	c.mu.Unlock()
	req, err := http.ReadRequest(c.br)
	hitLimit := c.remain <= 0
	c.remain = math.MaxInt64
	if err != nil {
		switch {
		case hitLimit:
			c.refuse(431, "request header fields too large")
			c.closeWriteAndWait()
		case err == io.EOF || isNetError(err):
			// The client left or stalled before a request: no answer.
		case strings.HasPrefix(err.Error(), "unsupported transfer encoding"):
			c.refuse(501, "unsupported transfer encoding")
		default:
			c.refuse(400, err.Error())
		}
		return false
	}
	if reason := checkRequest(req); reason != "" {
		status := 400
		if req.ProtoMajor != 1 {
			status = 505
		}
		c.refuse(status, reason)
		return false
	}
	req.RemoteAddr = c.remoteAddr
	w := &c.w
	w.reset(req)
	if req.Body != http.NoBody {
		_ = c.conn.SetReadDeadline(start.Add(c.s.readTimeout))
		c.mu.Lock()
		c.bodyDone = false
		c.mu.Unlock()
		w.body = serverBody{c: c, w: w, r: req.Body}
		req.Body = &w.body
	}
	if ex, ok := req.Header["Expect"]; ok {
		if len(ex) != 1 || !strings.EqualFold(ex[0], "100-continue") {
			c.refuse(417, "unsupported expectation")
			return false
		}
		w.expectContinue = req.ProtoAtLeast(1, 1) && req.Body != http.NoBody
	}
	if !c.runHandler(w, req) {
		return false
	}
	return w.finish()
}

// runHandler runs the handler; it reports false when the handler aborted
// the answer (http.ErrAbortHandler), so that the connection is dropped.
func (c *serverConn) runHandler(w *response, req *http.Request) (ok bool) {
	defer func() {
		if !ok {
			if p := recover(); p != nil && p != http.ErrAbortHandler {
				c.h.gw.Logger().Error("gateway: panic serving a request", "client", c.remoteAddr, "panic", p)
			}
		}
		c.unwatch()
	}()
	c.h.serve(c.ctx, w, req, c)
	return true
}

// isNetError reports whether err is the connection's, not the request's.
func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) && ne.Timeout() || errors.As(err, &oe) && oe.Op == "read"
}

// checkRequest applies http.Server's checks after the parse (which has
// already refused a doubled Host field, and invalid bytes in values): the
// version, the Host (the field itself is checked by the framer), and the
// field names.
func checkRequest(r *http.Request) string {
	switch {
	case r.ProtoMajor != 1:
		return "unsupported protocol version"
	case r.Host == "" && r.ProtoAtLeast(1, 1) && r.Method != "CONNECT":
		return "missing required Host header"
	case !validHost(r.Host):
		return "malformed Host header"
	}
	// The parser keeps a name with a space before its colon ("Content-Length
	// : 5"), which then frames nothing: a front proxy that trims the space
	// would frame a body the gateway reads as the next request.
	for k := range r.Header {
		if !validFieldName(k) {
			return "invalid header name"
		}
	}
	return ""
}

// validHost reports whether h has only the bytes a Host field may have
// (golang.org/x/net/http/httpguts.ValidHostHeader's rule).
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		b := h[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("!$%&'()*+,-.:;=[]_~", b) >= 0:
		default:
			return false
		}
	}
	return true
}

// serverErrors maps the server's own refusals to the gateway's error.
var serverErrors = map[int]gateway.Error{
	400: {Status: 400, Code: gateway.CodeBadRequest, Message: "malformed request"},
	417: {Status: 417, Code: gateway.CodeExpectationFailed, Message: "only the expectation 100-continue is supported"},
	431: {Status: 431, Code: gateway.CodeHeadersTooLarge, Message: "request header fields too large"},
	501: {Status: 501, Code: gateway.CodeNotImplemented, Message: "unsupported transfer coding"},
	505: {Status: 505, Code: gateway.CodeVersionNotSupported, Message: "unsupported HTTP version"},
}

// refuse writes the JSON answer for a request the server refuses before
// the handler, logs it, and leaves the connection to be closed.
func (c *serverConn) refuse(status int, reason string) {
	e := serverErrors[status]
	id := c.h.gw.NewRequestID()
	body := gateway.ErrorBody(&e, id)
	b := c.bw
	b.WriteString("HTTP/1.1 ")
	b.WriteString(strconv.Itoa(status))
	b.WriteByte(' ')
	b.WriteString(http.StatusText(status))
	b.WriteString("\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n")
	writeDate(b)
	b.WriteString("X-Request-Id: ")
	b.WriteString(id)
	b.WriteString("\r\nContent-Length: ")
	b.WriteString(strconv.Itoa(len(body)))
	b.WriteString("\r\n\r\n")
	b.Write(body)

	reason = refusalReason(reason)
	client, _, err := net.SplitHostPort(c.remoteAddr)
	if err != nil {
		client = c.remoteAddr
	}
	req := &gateway.Request{RemoteAddr: client}
	res := &gateway.Result{RequestID: id, Client: client, Err: &e}
	c.h.gw.LogAccess(context.Background(), req, res, status, 0,
		slog.String("refused_by", "http_server"), slog.String("reason", reason))

	// Logged before the answer is sent: whoever reads the answer finds it
	// in the log.
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.writeTimeout))
	_ = b.Flush()
}

// refusalReason is what the access log says of a refusal: the parser's
// text without the client's bytes it quotes ("malformed MIME header line:
// \"Authorization: Bearer ...\"" is "malformed MIME header line"), which
// may hold a token's secret, bounded.
func refusalReason(text string) string {
	if i := strings.IndexByte(text, '"'); i >= 0 {
		text = text[:i]
	}
	text = strings.TrimRight(text, " :")
	if len(text) > 100 {
		text = text[:100]
	}
	return text
}

// writerPool holds the write buffers of idle connections' (see serve).
var writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, connBufferSize) }}

func getWriter(w io.Writer) *bufio.Writer {
	b := writerPool.Get().(*bufio.Writer)
	b.Reset(w)
	return b
}

func putWriter(b *bufio.Writer) {
	b.Reset(nil)
	writerPool.Put(b)
}

// dateLine caches the Date field of the current second.
type dateLine struct {
	sec  int64
	line []byte
}

var dateCache atomic.Pointer[dateLine]

// writeDate writes the Date field line.
func writeDate(b *bufio.Writer) {
	now := time.Now()
	d := dateCache.Load()
	if d == nil || d.sec != now.Unix() {
		line := append([]byte("Date: "), now.UTC().AppendFormat(nil, http.TimeFormat)...)
		d = &dateLine{sec: now.Unix(), line: append(line, "\r\n"...)}
		dateCache.Store(d)
	}
	b.Write(d.line)
}
