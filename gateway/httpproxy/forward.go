package httpproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// call is one forwarded request: the connection it uses, whether the
// client went away, and why its body stream ended early, if it did.
type call struct {
	res *gateway.Result

	mu    sync.Mutex
	conn  *originConn // the origin connection in use
	left  bool        // the client went away: the call is aborted
	cause error
}

// clientLeft aborts the call: the server has seen the client go away. It
// runs on another goroutine (context.AfterFunc).
func (c *call) clientLeft() {
	c.mu.Lock()
	c.left = true
	if c.conn != nil {
		c.conn.abort()
	}
	c.mu.Unlock()
}

// use makes conn the call's connection; it reports false when the client
// has already left.
func (c *call) use(conn *originConn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = conn
	return !c.left
}

// unwatch stops the abort that forward set up, by the connection g or the
// context's stop; it reports whether the call can be aborted no more and
// the client is still there, so that its connection may be reused.
func (c *call) unwatch(g *serverConn, stop func() bool) bool {
	if g != nil {
		g.unwatch()
	} else if !stop() {
		return false // clientLeft may be running
	}
	return !c.hasLeft()
}

func (c *call) hasLeft() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left
}

// setCause records the first reason the stream ended early.
func (c *call) setCause(err error) {
	c.mu.Lock()
	if c.cause == nil {
		c.cause = err
	}
	c.mu.Unlock()
}

func (c *call) getCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// Why a call ended early.
var (
	errOriginStalled = errors.New("origin body stalled for the stream idle timeout")
	errClientLeft    = errors.New("client went away")
)

// forward sends the core's Upstream to the origin and streams the answer
// back, all on the handler's goroutine (see originClient). It panics with
// http.ErrAbortHandler when the body breaks off after the header was sent,
// as httputil.ReverseProxy does, so that net/http aborts the connection.
func (h *Handler) forward(ctx context.Context, w *statusWriter, r *http.Request, c *call, g *serverConn, start time.Time) {
	up := c.res.Forward
	o := &outgoing{ // one allocation for the request and its URL
		url: url.URL{Scheme: h.origin.Scheme, Host: h.origin.Host, RawQuery: up.Query},
		req: http.Request{
			Method:     up.Method,
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header(up.Header), // the client's, edited by the core
			Host:       h.origin.Host,
		},
	}
	out := &o.req
	out.URL = &o.url
	// The core checked the escaped path; forward it byte for byte. As the
	// URL's opaque part it is written as it is (a path starting with "//"
	// would be taken for an authority there).
	raw := h.rawPath + up.Path
	if !strings.HasPrefix(raw, "//") {
		out.URL.Opaque = raw
	} else if p, err := url.PathUnescape(raw); err == nil {
		out.URL.Path, out.URL.RawPath = p, raw
	}
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = nil // keep Go from adding its own
	}
	var body *requestBody
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if b, ok := r.Body.(interface{ claim() }); ok {
			b.claim() // the Server's: read from the writer's goroutine, not drained
		}
		body = &requestBody{r: http.MaxBytesReader(w, r.Body, h.maxBody)}
		out.Body, out.ContentLength = body, r.ContentLength
		// The origin's answer may stream while the body still arrives.
		rc := http.NewResponseController(w)
		_ = rc.EnableFullDuplex()
		// When the writer is stopped before the body's end (an early
		// answer), its pending read of the client's body must end at once,
		// or the answer waits for the server's read deadline;
		body.stopUpload = func() { _ = rc.SetReadDeadline(aLongTimeAgo) }
		// and the body must be closed before the handler returns: with full
		// duplex, net/http would drain it itself after its background read
		// has started (golang/go#68560: "invalid concurrent Body.Read").
		// Deferred first, it runs after the writer has ended.
		defer r.Body.Close()
	}
	// A client that leaves aborts the call: the server's connection sees it
	// (g.watch), or else the request's context does.
	var stop func() bool
	if g != nil {
		if !g.watch(c) {
			c.clientLeft()
		}
	} else {
		stop = context.AfterFunc(ctx, c.clientLeft)
	}
	defer c.unwatch(g, stop)
	deadline := start.Add(h.timeout) // from the request's arrival: one clock read less
	resp, conn, err := h.roundTrip(ctx, c, out, body, deadline)
	if err != nil {
		h.originError(ctx, w, c, body, deadline, err)
		return
	}
	pooled := false
	if body != nil {
		defer func() { // on every way out, before the handler returns
			if !pooled { // once pooled, the connection is another request's
				conn.endWrite(body, 0)
			}
		}()
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The gateway never forwards Upgrade, so the origin has no reason
		// to switch.
		conn.conn.Close()
		h.originError(ctx, w, c, nil, deadline, errSwitchedProtocol)
		return
	}
	hdr := w.Header()
	copyResponseHeader(hdr, resp.Header)
	if _, ok := resp.Header["Content-Type"]; !ok {
		// Keep net/http from sniffing one: the client gets the origin's
		// fields as they are (a type guessed from the bytes could make an
		// upload active content).
		hdr["Content-Type"] = nil
	}
	maps.Copy(hdr, c.res.Header) // named canonically, as the request names its fields
	if len(resp.Trailer) > 0 {
		names := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			names = append(names, k)
		}
		hdr["Trailer"] = []string{strings.Join(names, ", ")}
	}
	if body != nil && !body.eof.Load() && !conn.writeFinished(headerGrace) {
		// The origin answers before it has the whole body: if the writer
		// has to be stopped, the rest of the client's body stays unread on
		// its connection, which then serves no further request. (A body
		// read to its end leaves nothing there, however long its writing
		// to the origin takes.)
		hdr["Connection"] = []string{"close"}
	}
	w.WriteHeader(resp.StatusCode)
	if resp.Body != http.NoBody {
		conn.idleRead = h.idle
		if err := copyBody(w, resp.Body, flushesEachWrite(resp)); err != nil {
			conn.conn.Close()
			if body != nil {
				conn.endWrite(body, 0)
			}
			var ne net.Error
			switch {
			case c.hasLeft():
				c.setCause(errClientLeft)
			case errors.As(err, &ne) && ne.Timeout():
				c.setCause(errOriginStalled)
			default:
				c.setCause(fmt.Errorf("origin body: %w", err))
			}
			panic(http.ErrAbortHandler)
		}
	}
	for k, v := range resp.Trailer {
		hdr[http.TrailerPrefix+k] = v
	}
	// Keep the connection only if the client cannot abort it any more and
	// the exchange left it clean.
	if !c.unwatch(g, stop) || resp.Close || conn.broken || body != nil && conn.endWrite(body, writeGrace) != nil || !conn.clean() {
		conn.conn.Close()
		return
	}
	pooled = true
	h.client.put(conn)
}

// writeGrace is how long a complete answer waits for its request's body
// writer to report before the connection is given up; headerGrace, how
// long the answer's header waits for it before the client's connection is
// marked to close after the answer.
const (
	writeGrace  = 50 * time.Millisecond
	headerGrace = 5 * time.Millisecond
)

// outgoing is the forwarded request with its URL.
type outgoing struct {
	req http.Request
	url url.URL
}

// roundTrip sends req on a pooled or new connection and returns the
// response with its header read, and the connection its body streams
// from. A request that fails on a reused connection before any response
// byte is sent once more on a new one when it is replayable.
func (h *Handler) roundTrip(ctx context.Context, c *call, req *http.Request, body *requestBody, deadline time.Time) (*http.Response, *originConn, error) {
	if hasCTL(req.URL.Opaque) || hasCTL(req.URL.RawQuery) {
		// Request.Write refuses it; writeHead would write it. (The other
		// parts of the URL are escaped when written.) Refused before any
		// connection, so that the call does not wait for an answer to a
		// request that was never sent.
		return nil, nil, errCTLInURL
	}
	for attempt := 0; ; attempt++ {
		var conn *originConn
		var err error
		if attempt == 0 {
			conn, err = h.client.get(ctx, deadline)
		} else {
			conn, err = h.client.dial(ctx, deadline) // not another pooled one: it may be as stale
		}
		if err != nil {
			return nil, nil, err
		}
		if !c.use(conn) {
			conn.conn.Close()
			return nil, nil, errClientLeft
		}
		resp, err := conn.exchange(req, deadline, body)
		if err == nil {
			return resp, conn, nil
		}
		conn.conn.Close()
		if attempt > 0 || !conn.reused || conn.read > 0 || !replayable(req, body) || c.hasLeft() || !time.Now().Before(deadline) {
			return nil, nil, err
		}
	}
}

// requestBody is the client's body as the request writer reads it (on its
// own goroutine): it keeps the first error, Close does nothing (the server
// owns the client's body), and close ends the writer's reads.
type requestBody struct {
	mu         sync.Mutex // held during a read, so that close waits for it
	r          io.Reader
	rerr       error
	closed     bool
	stopUpload func() // ends a pending read of the client's connection
	stopped    bool   // the handler stopped the writer (set and read on its goroutine)
	// stoppedWaiting: the writer was then waiting for the client's bytes.
	stoppedWaiting bool
	inRead         atomic.Bool // the writer is in a read of the client's body
	failed         atomic.Bool // rerr is set
	eof            atomic.Bool // the client's body was read to its end
}

var errBodyClosed = errors.New("request body closed: the exchange ended")

func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errBodyClosed
	}
	b.inRead.Store(true)
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.rerr == nil {
		b.rerr = err
		b.failed.Store(true)
	}
	if err == io.EOF {
		b.eof.Store(true)
	}
	b.inRead.Store(false) // after failed: a stop sees one or the other
	return n, err
}

func (b *requestBody) Close() error { return nil }

// close ends the reads: it waits for one in progress, and later ones fail.
func (b *requestBody) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

func (b *requestBody) err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rerr
}

// clientFault reports whether reading the client's body failed by the
// client's doing, not because the handler stopped the writer.
func (b *requestBody) clientFault() bool { return !b.stopped && b.err() != nil }

// malformedBody reports whether err, from reading the client's body, is
// the parser's refusal of its framing (a malformed chunk, a chunk line too
// long), not the connection failing or ending early.
func malformedBody(err error) bool {
	var ne net.Error
	return !errors.As(err, &ne) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) &&
		!errors.Is(err, net.ErrClosed) && !errors.Is(err, errBodyClosed) && !errors.Is(err, errBodyAfterClose)
}

// flushesEachWrite reports whether a response streams, so that each chunk
// must reach the client at once: server-sent events, and bodies of unknown
// length (as httputil.ReverseProxy decides).
func flushesEachWrite(resp *http.Response) bool {
	if resp.ContentLength == -1 {
		return true
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "text/event-stream") {
		return false
	}
	base, _, _ := mime.ParseMediaType(ct)
	return base == "text/event-stream"
}

// copyBody copies the origin's body to the client with a pooled buffer.
func copyBody(w *statusWriter, body io.Reader, flush bool) error {
	bp := bufferPool.Get().(*[]byte)
	defer bufferPool.Put(bp)
	buf := *bp
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if flush {
				w.Flush()
			}
		}
		switch {
		case rerr == io.EOF:
			return nil
		case rerr != nil:
			return rerr
		}
	}
}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// hopByHopResponse holds the response fields that describe one connection
// (RFC 9110 section 7.6.1), which the gateway never passes on.
var hopByHopResponse = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// copyResponseHeader copies the origin's fields to dst without the
// hop-by-hop ones and those its Connection field names.
func copyResponseHeader(dst, src http.Header) {
	var named map[string]bool
	for _, v := range src["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				if named == nil {
					named = map[string]bool{}
				}
				named[http.CanonicalHeaderKey(f)] = true
			}
		}
	}
	for k, v := range src {
		if hopByHopResponse[k] || named[k] {
			continue
		}
		dst[k] = v
	}
}

// originError answers a request the origin did not: 413 for a body over
// the limit, 499 when the client left (or its body broke off), 504 when
// the deadline passed, 408 when the client's body came too slowly, 502
// otherwise.
func (h *Handler) originError(ctx context.Context, w http.ResponseWriter, c *call, body *requestBody, deadline time.Time, err error) {
	res := c.res
	var mb *http.MaxBytesError
	switch {
	case body != nil && errors.As(body.err(), &mb):
		res.Err = &gateway.Error{Status: 413, Code: gateway.CodeBodyTooLarge, Message: "request body too large"}
	case body != nil && body.clientFault() && errors.Is(body.err(), os.ErrDeadlineExceeded) && !c.hasLeft():
		// The client is still there, uploading too slowly for the server's
		// read deadline (Config.Timeout).
		res.Err = &gateway.Error{Status: 408, Code: gateway.CodeRequestTimeout, Message: "request body not received in time"}
		err = fmt.Errorf("client body: %w", body.err())
	case body != nil && body.clientFault() && malformedBody(body.err()) && !c.hasLeft():
		// The client's body broke its own framing (a bad chunk): the
		// connection cannot serve another request.
		res.Err = &gateway.Error{Status: 400, Code: gateway.CodeBadRequest, Message: "malformed request body"}
		err = fmt.Errorf("client body: %w", body.err())
		w.Header()["Connection"] = []string{"close"}
	case c.hasLeft() || body != nil && body.clientFault() || ctx.Err() != nil && (body == nil || !body.stopped):
		// (Stopping the writer ends the server's read of the client,
		// which cancels the request's context: not the client's doing.)
		res.Err = &gateway.Error{Status: 499, Code: gateway.CodeUpstreamError, Message: "client went away"}
		if body != nil && body.clientFault() {
			err = fmt.Errorf("client body: %w", body.err())
		}
	case body != nil && body.stoppedWaiting && !time.Now().Before(deadline):
		// The deadline passed while the body was still coming: the client
		// is too slow, not the origin.
		res.Err = &gateway.Error{Status: 408, Code: gateway.CodeRequestTimeout, Message: "request body not received in time"}
	case !time.Now().Before(deadline):
		res.Err = &gateway.Error{Status: 504, Code: gateway.CodeUpstreamTimeout, Message: "origin did not answer in time"}
	default:
		res.Err = &gateway.Error{Status: 502, Code: gateway.CodeUpstreamError, Message: "origin unreachable"}
	}
	h.gw.Logger().LogAttrs(context.Background(), slog.LevelWarn, "gateway: origin request failed",
		slog.String("request_id", res.RequestID), slog.Int("status", res.Err.Status), slog.String("err", err.Error()))
	writeError(w, res, res.Err)
}
