package httpproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// originClient carries forwarded requests to one origin on the handler's
// goroutine. It stays on net/http where it parses: the response is read by
// [http.ReadResponse], the wire code http.Transport runs; a request with a
// body is written by [http.Request.Write], a bodyless one by writeHead. What it leaves out is the Transport's
// machinery around that code, which costs more than the exchange itself on
// a small request: a reader and a writer goroutine per connection, the
// channels and selects between them and the caller, and a timer per
// request. Here the handler writes the request (a body from a goroutine
// of its own: see [originConn.exchange]), reads the header and streams the
// body itself, and the deadlines are the connection's:
//
//   - the request (with its body) and the response's header must be done
//     by the deadline the handler gives (Config.Timeout);
//   - then each read of the body from the network must finish within the
//     stream idle time (Config.StreamIdleTimeout); reads served from the
//     connection's buffer cost nothing;
//   - a client that leaves aborts the call (the Server's watch read sees it,
//     or, under another server, the request context's AfterFunc): the
//     connection's deadline moves to the past.
//
// Connections are kept alive in a pool (at most maxIdle idle ones, each
// for at most idleTimeout; the newest is reused first). A connection goes
// back to the pool only when its response's body was read to the end, the
// response did not ask to close, and nothing more is buffered from it;
// before it is reused, a non-blocking peek at its socket (on Unix) drops it
// if the origin has closed it or sent bytes nobody asked for, which is what
// the Transport's per-connection reader notices. A request that still
// fails on a reused connection before any response byte is sent again, once,
// on a new connection when that is safe: it has no body and its method is
// idempotent (or it has an Idempotency-Key), the rule of http.Transport.
type originClient struct {
	addr             string      // host:port to dial
	tls              *tls.Config // nil for an http origin
	dialer           net.Dialer
	handshakeTimeout time.Duration
	maxIdle          int
	idleTimeout      time.Duration

	mu       sync.Mutex
	idle     []*originConn // oldest first
	sweeping bool          // a sweep of expired idle connections is scheduled
}

// Defaults of the origin client ([Options]).
const (
	DefaultMaxIdleConns     = 512
	DefaultIdleConnTimeout  = 90 * time.Second
	DefaultDialTimeout      = 5 * time.Second
	DefaultHandshakeTimeout = 5 * time.Second
)

// maxResponseHeaderBytes bounds one response head from the origin (each
// informational one too), as http.Transport's MaxResponseHeaderBytes.
const maxResponseHeaderBytes = 1 << 20

// maxInformational bounds the 1xx responses skipped before the final one.
const maxInformational = 16

// connBufferSize is the size of each connection's read and write buffers,
// as http.Transport's.
const connBufferSize = 4 << 10

var (
	errHeaderTooLarge   = errors.New("origin response header too large")
	errTooManyInterim   = errors.New("origin sent too many informational responses")
	errSwitchedProtocol = errors.New("origin switched protocols unasked")
)

func newOriginClient(scheme, host string, opts *Options) *originClient {
	c := &originClient{
		maxIdle: DefaultMaxIdleConns, idleTimeout: DefaultIdleConnTimeout,
		handshakeTimeout: DefaultHandshakeTimeout,
		dialer:           net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second},
	}
	var tlsConf *tls.Config
	if opts != nil {
		if opts.MaxIdleConns > 0 {
			c.maxIdle = opts.MaxIdleConns
		}
		if opts.IdleConnTimeout > 0 {
			c.idleTimeout = opts.IdleConnTimeout
		}
		if opts.DialTimeout > 0 {
			c.dialer.Timeout = opts.DialTimeout
			c.handshakeTimeout = opts.DialTimeout
		}
		tlsConf = opts.TLSClientConfig
	}
	port := "80"
	if scheme == "https" {
		port = "443"
		if tlsConf == nil {
			tlsConf = &tls.Config{}
		} else {
			tlsConf = tlsConf.Clone()
		}
		if tlsConf.ServerName == "" {
			tlsConf.ServerName = hostname(host)
		}
		tlsConf.NextProtos = []string{"http/1.1"} // this client speaks HTTP/1.1 only
		c.tls = tlsConf
	}
	if _, _, err := net.SplitHostPort(host); err == nil {
		c.addr = host
	} else {
		c.addr = net.JoinHostPort(hostname(host), port)
	}
	return c
}

// hostname returns host without its port and IPv6 brackets.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		return host[1 : len(host)-1]
	}
	return host
}

// originConn is one keep-alive connection to the origin.
type originConn struct {
	conn   net.Conn        // TCP, or TLS over it
	raw    syscall.RawConn // the TCP socket, for the liveness peek; nil if unavailable
	br     *bufio.Reader   // reads through the originConn (Read below)
	bw     *bufio.Writer
	idleAt time.Time // when it went back to the pool
	reused bool      // it served a request before this one

	peek    func(fd uintptr) // the liveness peek (alive_unix.go)
	peekBuf [1]byte
	peekOK  bool

	// Per exchange:
	read      int64         // bytes read from the network since the request was written
	headLimit int64         // while reading a head: bytes it may still take; <0 when not reading one
	idleRead  time.Duration // while streaming the body: each network read's deadline; 0 before
	broken    bool          // writing the request failed: never reuse
	aborted   atomic.Bool   // the client went away (set from another goroutine)
	writeDone chan error    // the body writer's result; nil when none runs
	werr      error         // the body writer's result, once received
}

// Read is the buffered reader's source: it applies the head's bound and,
// while the body streams, gives each network read the stream idle time.
func (c *originConn) Read(p []byte) (int, error) {
	if c.headLimit >= 0 {
		if c.headLimit == 0 {
			return 0, errHeaderTooLarge
		}
		if int64(len(p)) > c.headLimit {
			p = p[:c.headLimit]
		}
	}
	if c.idleRead > 0 {
		_ = c.conn.SetReadDeadline(time.Now().Add(c.idleRead))
		if c.aborted.Load() { // abort's deadline may have been overwritten
			return 0, errAborted
		}
	}
	n, err := c.conn.Read(p)
	c.read += int64(n)
	if c.headLimit >= 0 {
		c.headLimit -= int64(n)
	}
	return n, err
}

// abort makes the connection's pending and future reads and writes fail at
// once; it is safe to call from another goroutine. The flag makes it stick
// when the handler sets a new deadline just after it.
func (c *originConn) abort() {
	c.aborted.Store(true)
	_ = c.conn.SetDeadline(aLongTimeAgo)
}

var errAborted = errors.New("origin call aborted: the client went away")

var aLongTimeAgo = time.Unix(1, 0)

// get returns an idle connection that still looks usable, or dials one.
func (oc *originClient) get(ctx context.Context, deadline time.Time) (*originConn, error) {
	now := time.Now()
	for {
		oc.mu.Lock()
		n := len(oc.idle)
		if n == 0 {
			oc.mu.Unlock()
			break
		}
		c := oc.idle[n-1]
		oc.idle[n-1] = nil
		oc.idle = oc.idle[:n-1]
		oc.mu.Unlock()
		if now.Sub(c.idleAt) < oc.idleTimeout && c.alive() {
			c.reused = true
			return c, nil
		}
		c.conn.Close()
	}
	return oc.dial(ctx, deadline)
}

// dial opens a new connection, bounded by the dial timeout, the handshake
// timeout (https) and the call's deadline.
func (oc *originClient) dial(ctx context.Context, deadline time.Time) (*originConn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	nc, err := oc.dialer.DialContext(ctx, "tcp", oc.addr)
	if err != nil {
		return nil, err
	}
	nc = newRawIO(nc)
	c := &originConn{conn: nc, headLimit: -1}
	if sc, ok := nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	if oc.tls != nil {
		tc := tls.Client(nc, oc.tls)
		hctx, hcancel := context.WithTimeout(ctx, oc.handshakeTimeout)
		err := tc.HandshakeContext(hctx)
		hcancel()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		c.conn = tc
	}
	c.br = bufio.NewReaderSize(c, connBufferSize)
	c.bw = bufio.NewWriterSize(c.conn, connBufferSize)
	return c, nil
}

// clean reports whether nothing more is buffered from the connection after
// a response: in its reader and, over TLS, inside tls.Conn (decrypted
// bytes, or complete records read from the socket), which neither
// br.Buffered nor the socket peek can see. The TLS check reads with a
// deadline in the past: tls.Conn serves what it holds without the network,
// and a timeout, which it does not keep, means there is nothing.
func (c *originConn) clean() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	if _, ok := c.conn.(*tls.Conn); !ok {
		return true
	}
	c.idleRead, c.headLimit = 0, -1
	if c.conn.SetReadDeadline(aLongTimeAgo) != nil {
		return false
	}
	_, err := c.br.Peek(1)
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// put returns c to the pool after a complete exchange, or closes it when
// the pool is full.
func (oc *originClient) put(c *originConn) {
	c.idleAt = time.Now()
	c.idleRead, c.headLimit = 0, -1
	oc.mu.Lock()
	if len(oc.idle) >= oc.maxIdle {
		oc.mu.Unlock()
		c.conn.Close()
		return
	}
	oc.idle = append(oc.idle, c)
	if !oc.sweeping {
		oc.sweeping = true
		time.AfterFunc(oc.idleTimeout, oc.sweep)
	}
	oc.mu.Unlock()
}

// sweep closes the connections idle for longer than the idle timeout and
// schedules itself again while some remain: one timer per pool, not per
// request.
func (oc *originClient) sweep() {
	now := time.Now()
	oc.mu.Lock()
	n := 0
	for n < len(oc.idle) && now.Sub(oc.idle[n].idleAt) >= oc.idleTimeout {
		n++
	}
	expired := append([]*originConn(nil), oc.idle[:n]...)
	m := copy(oc.idle, oc.idle[n:])
	clear(oc.idle[m:])
	oc.idle = oc.idle[:m]
	if len(oc.idle) > 0 {
		time.AfterFunc(oc.idleTimeout-now.Sub(oc.idle[0].idleAt), oc.sweep)
	} else {
		oc.sweeping = false
	}
	oc.mu.Unlock()
	for _, c := range expired {
		c.conn.Close()
	}
}

// closeIdle closes every idle connection.
func (oc *originClient) closeIdle() {
	oc.mu.Lock()
	idle := oc.idle
	oc.idle = nil
	oc.mu.Unlock()
	for _, c := range idle {
		c.conn.Close()
	}
}

// exchange writes req on c and reads the final response's header; 1xx
// responses other than 101 are skipped. The connection's deadline is the
// call's until the header is in.
//
// A request without a body is written, then its answer read, on the
// handler's goroutine. A request with a body is written on a goroutine of
// its own while the handler reads the answer, as http.Transport does: an
// origin may answer before it has read the whole body (an early 413) or
// stream its answer while it reads (full duplex), and a synchronous write
// would wait on it until the deadline. [originConn.endWrite] stops and
// waits for that writer.
func (c *originConn) exchange(req *http.Request, deadline time.Time, body *requestBody) (*http.Response, error) {
	c.read, c.idleRead = 0, 0
	if err := c.conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if c.aborted.Load() {
		return nil, errAborted
	}
	if body != nil {
		c.writeDone = make(chan error, 1)
		go c.writeRequest(req, body)
		resp, err := c.readHead(req)
		if err != nil {
			// The writer's outcome says more when the client's body failed.
			if werr := c.endWrite(body, 0); werr != nil && body.clientFault() {
				return nil, werr
			}
			return nil, err
		}
		return resp, nil
	}
	werr := writeHead(c.bw, req)
	if werr == nil {
		werr = c.bw.Flush()
	}
	if werr != nil {
		c.broken = true
		var ne net.Error
		if errors.As(werr, &ne) && ne.Timeout() {
			return nil, werr
		}
		// The origin may have answered and closed before reading it all:
		// read what it said, and close the connection after it.
	}
	resp, err := c.readHead(req)
	if err != nil {
		if werr != nil {
			return nil, werr
		}
		return nil, err
	}
	if c.broken {
		resp.Close = true
	}
	return resp, nil
}

// writeHead writes req, which has no body, as [http.Request.Write] would:
// the request line with the URL's request URI, Host, then the header
// fields (a field with no value, as a nil User-Agent, is not written; a
// line break in a value becomes a space), with none of Request.Write's
// sorting and allocation per request. Fields that frame a body
// (Content-Length, Transfer-Encoding, Trailer) are the writer's: there is
// none, so as Request.Write it says Content-Length: 0 for POST, PUT and
// PATCH. A request with a body is written by Request.Write.
func writeHead(b *bufio.Writer, req *http.Request) error {
	b.WriteString(req.Method)
	b.WriteByte(' ')
	if u := req.URL; u.Opaque != "" && !strings.HasPrefix(u.Opaque, "//") {
		b.WriteString(u.Opaque)
		if u.RawQuery != "" || u.ForceQuery {
			b.WriteByte('?')
			b.WriteString(u.RawQuery)
		}
	} else {
		b.WriteString(u.RequestURI())
	}
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(req.Host)
	b.WriteString("\r\n")
	for k, vv := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		if !validFieldName(k) {
			continue
		}
		for _, v := range vv {
			b.WriteString(k)
			b.WriteString(": ")
			writeFieldValue(b, v)
			b.WriteString("\r\n")
		}
	}
	if req.Method == "POST" || req.Method == "PUT" || req.Method == "PATCH" {
		// As Request.Write: many servers want a length with these methods,
		// even an empty one (411 without it).
		b.WriteString("Content-Length: 0\r\n")
	}
	_, err := b.WriteString("\r\n")
	return err
}

// errCTLInURL is Request.Write's refusal of a control byte in the request
// target, which could end the request line and start fields of the
// client's choosing at the origin.
var errCTLInURL = errors.New("net/http: can't write control character in Request.URL")

// hasCTL reports whether s has an ASCII control byte or DEL, as
// net/http's check of the request target.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// writeRequest is the writer of a request with a body. When the client's
// body fails, what went out is no request: it aborts the exchange, so that
// the handler stops waiting for an answer.
func (c *originConn) writeRequest(req *http.Request, body *requestBody) {
	err := req.Write(c.bw)
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil && body.err() != nil {
		c.abort()
	}
	c.writeDone <- err
}

// endWrite waits for the request's writer, if there is one, and returns
// its error. A writer still at work is stopped first (the connection is
// aborted, the body's stopUpload, if set, ends a pending read of the
// client's body, and the body is closed for it, which waits for a read in
// progress), so that nothing reads the client's body after the handler
// returns; after a complete answer, grace gives a writer that has just
// finished the time to say so (http.Transport waits 50 ms there). The
// connection is then reusable only if the writer had finished without
// error.
func (c *originConn) endWrite(body *requestBody, grace time.Duration) error {
	if c.writeDone == nil {
		return c.werr
	}
	select {
	case c.werr = <-c.writeDone:
	default:
		if grace > 0 {
			t := time.NewTimer(grace)
			select {
			case c.werr = <-c.writeDone:
				t.Stop()
				c.writeDone = nil
				return c.werr
			case <-t.C:
			}
		}
		c.abort()
		// What the body read says from now on is this stop's doing, unless
		// it has already failed: then the client's (its own read deadline
		// may have passed just before the call's).
		body.stopped = !body.failed.Load() // (not err(): a read in progress holds its lock)
		body.stoppedWaiting = body.inRead.Load()
		if body.stopUpload != nil {
			body.stopUpload() // a writer blocked reading the client's body returns
		}
		body.close()
		c.werr = <-c.writeDone
		if c.werr == nil {
			c.werr = errAborted
		}
	}
	c.writeDone = nil
	return c.werr
}

// writeFinished reports whether the request's writer, if any, is done,
// waiting up to grace for one that may just be reporting.
func (c *originConn) writeFinished(grace time.Duration) bool {
	if c.writeDone == nil {
		return true
	}
	select {
	case c.werr = <-c.writeDone:
		c.writeDone = nil
		return true
	default:
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case c.werr = <-c.writeDone:
		c.writeDone = nil
		return true
	case <-t.C:
		return false
	}
}

// readHead reads the final response's head, skipping interim ones.
func (c *originConn) readHead(req *http.Request) (*http.Response, error) {
	for range maxInformational {
		c.headLimit = maxResponseHeaderBytes
		resp, err := http.ReadResponse(c.br, req)
		c.headLimit = -1
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
		// 100 Continue, 102, 103 Early Hints: the gateway does not pass
		// interim answers on; the final one follows on the connection.
	}
	return nil, errTooManyInterim
}

// replayable reports whether a request that failed on a reused connection
// before any response byte may be sent again on a new one: it has no body
// (its body would have been read), and its method is idempotent or it
// carries an idempotency key (http.Transport's rule).
func replayable(req *http.Request, body *requestBody) bool {
	if body != nil {
		return false // its writer has read some of it, or may have
	}
	switch req.Method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	_, k1 := req.Header["Idempotency-Key"]
	_, k2 := req.Header["X-Idempotency-Key"]
	return k1 || k2
}
