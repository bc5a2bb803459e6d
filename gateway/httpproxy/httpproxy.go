// Package httpproxy is the native target of the Rampart gateway: an
// HTTP/1.1 server ([Server]) and an http.Handler that adapt net/http's
// parsing to the [gateway.Gateway] core and forward the requests it allows
// to an origin.
//
// The core decides (auth, rate limits, path and header checks); this
// package serves HTTP/1.1 on net/http's parser, follows the request
// framing below the parser, translates requests, forwards them (no copy of
// the request's fields: the core has edited them into the forwarded ones),
// enforces the body limit and the origin deadlines, and writes the access
// log.
// Log through [NewLogHandler] (slog's JSON, byte for byte, cheaper per
// access record) into a [LogWriter], so that logging costs no system call
// per request (`rampart gateway` does).
//
// # Serving
//
// Serve a [Handler] with the server from [NewServer]:
//
//	srv := httpproxy.NewServer(h)
//	err := srv.Serve(ln)
//
// [Server] is not net/http's http.Server, but stays on net/http's audited
// HTTP/1.1 parsing: each request is read by [http.ReadRequest] (request
// line, header fields, Content-Length and chunked body framing, and its
// refusals), and answers are written by a small writer of its own. What it
// leaves out is http.Server's machinery around each request on a keep-alive
// connection: a goroutine that reads the connection in the background while
// the handler runs (and the deadline, wake-up and wait that end it), a
// context and a response writer with its buffers allocated per request.
// Those cost more CPU than the gateway's own work: measured with `rampart
// gateway bench --peers --baseline OLD` (OLD a build of v0.2.0, the same
// gateway on http.Server; three interleaved rounds, load average 6-17),
// http.Server cost 1.25-1.35x this server's CPU per proxied request at
// saturation and 1.09-1.37x at 500 and 2,000 req/s; with the raw socket
// I/O on Linux (rawIO) and the other changes since, v0.2.0 costs 1.43-1.45x
// at saturation and 1.82-2.50x at the fixed rates, and Rampart 1.89-1.93x
// nginx's CPU at saturation, 1.16-1.30x at the fixed rates (the README's
// gateway figures, `make bench-gateway-peers`, load 1.8-2.8). The
// server follows each connection's request framing below the parser, which
// hides it, and refuses a request with both Transfer-Encoding and
// Content-Length (or Transfer-Encoding in HTTP/1.0) with 400 and a closed
// connection (RFC 9112 section 6.1), so that no request can be smuggled
// behind it; its own refusals (400, 417, 431, 501, 505) are the gateway's
// JSON error, logged. See [Server] for what it does per connection.
//
// The Handler is also an http.Handler for any other server; there, it
// refuses every HTTP/1 request with a chunked body, whose framing it
// cannot check, and notices a client leave through the request's context.
//
// # Deadlines
//
// Config.Timeout bounds the origin's answer, from sending the request to
// the response's header (504 when it passes). The body then streams as long
// as it moves: each read from the origin and each write to the client must
// finish within Config.StreamIdleTimeout. A body cut short, by a stall, the
// origin or the client, is logged as an error record with the request id,
// the bytes sent and the cause, and the access record says
// response_truncated. A client that leaves aborts the origin call (499).
//
// # Origin connections
//
// The origin side stays on net/http's wire code where it parses: the
// response is read by [http.ReadResponse], the code http.Transport runs; a
// request with a body is written by [http.Request.Write], and a bodyless
// one's head (request line, Host, the fields) directly, as Request.Write
// would write it (without its sorting and allocations). What it leaves out is the Transport's machinery
// around that code (a reader and a writer goroutine per connection, the
// channels between them and the caller, a timer per request), which cost
// more CPU than the exchange itself on a small request: the handler writes
// the request, reads the response and streams its body on its own
// goroutine, with the deadlines set on the connection. A request with a
// body is the exception: its body is written from a goroutine of its own
// while the handler reads the answer, as http.Transport does, so that an
// origin may answer early (413 while the client uploads) or stream its
// answer as it reads (full duplex); the handler stops that writer before it
// returns. Keep-alive
// connections come from the handler's pool ([Options]: bounded idle
// connections, idle timeout, dial and TLS handshake timeouts); one is
// reused only after a complete, clean exchange, and a request that fails on
// a reused connection before any answer is retried once on a new one when
// that is safe (no body, an idempotent method), as http.Transport does. Interim 1xx answers are not passed on; 101 is an error (the gateway
// never forwards Upgrade).
package httpproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// Handler forwards allowed requests to the origin and answers refused ones
// with the gateway's JSON error. It is safe for concurrent use.
type Handler struct {
	gw      *gateway.Gateway
	origin  *url.URL
	rawPath string // origin.EscapedPath(), computed once
	client  *originClient
	timeout time.Duration
	idle    time.Duration
	maxBody int64
	now     func() time.Time
}

// Options configure a Handler's connections to the origin. A nil *Options
// means the defaults; so does the zero value of each field.
type Options struct {
	// MaxIdleConns bounds the keep-alive connections kept idle for the
	// origin; 0 means DefaultMaxIdleConns.
	MaxIdleConns int
	// IdleConnTimeout is how long an idle connection is kept; 0 means
	// DefaultIdleConnTimeout.
	IdleConnTimeout time.Duration
	// DialTimeout bounds connecting to the origin, and the TLS handshake
	// separately; 0 means DefaultDialTimeout (and DefaultHandshakeTimeout).
	// The call's deadline (Config.Timeout) bounds both too.
	DialTimeout time.Duration
	// TLSClientConfig configures TLS to an https origin; nil means the
	// system's roots and the origin's host name. It is cloned; its
	// NextProtos are replaced by HTTP/1.1.
	TLSClientConfig *tls.Config
}

// New returns a Handler forwarding to origin, an http or https URL whose
// path, if any, is prefixed to forwarded paths.
func New(gw *gateway.Gateway, origin string, opts *Options) (*Handler, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return nil, errors.New("httpproxy: origin must be an http(s) URL with a host and no query, fragment or credentials")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	cfg := gw.Config()
	h := &Handler{
		gw: gw, origin: u, rawPath: u.EscapedPath(), now: time.Now,
		timeout: time.Duration(cfg.Timeout), idle: time.Duration(cfg.StreamIdleTimeout), maxBody: cfg.MaxBodyBytes,
		client: newOriginClient(u.Scheme, u.Host, opts),
	}
	return h, nil
}

// CloseIdleConnections closes the idle keep-alive connections to the
// origin (a server shutting down calls it after Shutdown).
func (h *Handler) CloseIdleConnections() { h.client.closeIdle() }

// Request converts r to the core's request. Its Header is r.Header itself
// (net/http's parser names fields canonically: CanonicalHeader is set),
// with the Transfer-Encoding net/http took out of it put back, so that the
// core sees the framing; when the core forwards the request it edits
// r.Header into the forwarded fields, which costs no copy of them (the
// server reads what it needs of r.Header before the handler runs). The
// client address is the TCP peer: no header can change it. An
// absolute-form target (RFC 9112 section 3.2.2) gives the path and query;
// net/http has already taken r.Host from it.
func Request(r *http.Request) *gateway.Request { return request(r, r.Header) }

// request is Request with the fields hdr in place of r.Header.
func request(r *http.Request, hdr http.Header) *gateway.Request {
	if hdr == nil {
		hdr = http.Header{}
	}
	if len(r.TransferEncoding) > 0 {
		hdr["Transfer-Encoding"] = r.TransferEncoding
	}
	target := r.RequestURI
	if target == "" { // a client-side request, as in tests
		target = r.URL.RequestURI()
	}
	if target != "" && target[0] != '/' && (r.URL.Scheme == "http" || r.URL.Scheme == "https") {
		target = originForm(target[len(r.URL.Scheme)+len("://"):])
	}
	path, query, _ := strings.Cut(target, "?")
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return &gateway.Request{
		Method: r.Method, Path: path, Query: query, Host: r.Host, Scheme: scheme, Proto: r.Proto,
		Header: gateway.Header(hdr), CanonicalHeader: true, RemoteAddr: host, ContentLength: r.ContentLength,
	}
}

// originForm returns the path and query of an absolute-form target after
// its "scheme://": the bytes from the authority's end, "/" when empty.
func originForm(rest string) string {
	i := strings.IndexAny(rest, "/?")
	switch {
	case i < 0:
		return "/"
	case rest[i] == '?':
		return "/" + rest[i:]
	}
	return rest[i:]
}

// ServeHTTP implements http.Handler. As the interface asks, it leaves r as
// it is: the core edits a copy of r.Header's map into the forwarded fields
// (the values are shared, not copied). Served by [Server], which owns its
// requests, the handler edits r.Header itself.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.serve(r.Context(), w, r, nil) }

// serve answers r; g is the Server's connection it came on, or nil.
func (h *Handler) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, g *serverConn) {
	start := h.now()
	hdr := r.Header
	if g == nil { // another server's request
		hdr = maps.Clone(hdr)
	}
	req := request(r, hdr)
	req.BadFraming = framingProblem(r, g)
	sw := &statusWriter{ResponseWriter: w, idle: h.idle}
	var res *gateway.Result
	defer func() {
		p := recover()
		if res == nil {
			// The decision itself panicked (a caller's TokenStore or
			// Limiter): the answer is still the gateway's JSON 500.
			id := h.gw.NewRequestID()
			res = &gateway.Result{RequestID: id, Client: req.RemoteAddr, Header: gateway.Header{"X-Request-Id": {id}}}
		}
		if h.finish(ctx, req, res, sw, sw.call, p, h.now().Sub(start)) {
			// The response is incomplete: make net/http abort the
			// connection, so the client sees the truncation.
			panic(http.ErrAbortHandler)
		}
	}()
	res = h.gw.Handle(ctx, req)
	if res.Err != nil {
		if res.Close {
			w.Header().Set("Connection", "close")
		}
		writeError(sw, res, res.Err)
		return
	}
	sw.own.res = res
	sw.call = &sw.own
	h.forward(ctx, sw, r, sw.call, g, start)
}

// finish logs the request: the access record and, for a response cut short
// after its header, an error record with the bytes sent and the cause. p
// is what the handler panicked with, if anything. It reports whether the
// response was cut short, so that the connection must be aborted.
func (h *Handler) finish(ctx context.Context, req *gateway.Request, res *gateway.Result, sw *statusWriter, c *call, p any, latency time.Duration) (abort bool) {
	log := h.gw.Logger()
	abort = p != nil && (sw.status != 0 || p == http.ErrAbortHandler)
	if p != nil && p != http.ErrAbortHandler {
		// A bug, not a client: log it (no stack in the response) and
		// answer 500 if nothing was written yet.
		log.ErrorContext(ctx, "gateway: handler panic", "request_id", res.RequestID, "panic", fmt.Sprint(p))
		if sw.status == 0 {
			res.Err = &gateway.Error{Status: 500, Code: gateway.CodeInternal, Message: "internal error"}
			writeError(sw, res, res.Err)
		}
	}
	var extra []slog.Attr
	if abort {
		var cause error
		if c != nil {
			cause = c.getCause()
		}
		if cause == nil {
			cause = errors.New("response aborted")
		}
		res.Err = &gateway.Error{Status: sw.status, Code: gateway.CodeResponseTruncated, Message: cause.Error()}
		extra = append(extra, slog.Int64("bytes_sent", sw.written))
		log.LogAttrs(ctx, slog.LevelError, "gateway: response truncated",
			slog.String("request_id", res.RequestID),
			slog.Int("status", sw.status),
			slog.Int64("bytes_sent", sw.written),
			slog.String("cause", cause.Error()),
		)
	}
	status := sw.status
	if status == 0 {
		status = 499 // the client went away before an answer
	}
	h.gw.LogAccess(ctx, req, res, status, latency, extra...)
	return abort
}

func writeError(w http.ResponseWriter, res *gateway.Result, e *gateway.Error) {
	hdr := w.Header()
	maps.Copy(hdr, res.Header) // named canonically, as the request names its fields
	body := gateway.ErrorBody(e, res.RequestID)
	hdr["Content-Type"] = jsonType
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	hdr["Cache-Control"] = noStore
	hdr["X-Content-Type-Options"] = noSniff
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// Values of the fields of the gateway's own answers (never modified).
var (
	jsonType = []string{"application/json"}
	noStore  = []string{"no-store"}
	noSniff  = []string{"nosniff"}
)

// statusWriter records the status and the body bytes written, for the
// access log, and gives each write to the client the stream idle timeout.
type statusWriter struct {
	http.ResponseWriter
	status  int
	written int64
	idle    time.Duration
	call    *call // nil for the gateway's own answers
	own     call  // the call's memory, allocated with the writer
	fresh   bool  // WriteHeader set the write deadline: the first Write needs none
}

// writeDeadliner is the method of net/http's response writer that
// http.ResponseController calls.
type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// deadline gives the next write to the client the stream idle timeout.
//
// Every answer gets it, the gateway's own too, from WriteHeader on (a
// bodiless answer is written after the handler returns, still within it),
// so that a client that stops reading cannot hold its handler.
func (w *statusWriter) deadline() {
	if w.fresh {
		w.fresh = false // WriteHeader has just set it
		return
	}
	if d, ok := w.ResponseWriter.(writeDeadliner); ok {
		_ = d.SetWriteDeadline(time.Now().Add(w.idle))
	} else {
		_ = http.NewResponseController(w.ResponseWriter).SetWriteDeadline(time.Now().Add(w.idle))
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.deadline()
		w.fresh = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.deadline()
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	if err != nil && w.call != nil {
		w.call.setCause(fmt.Errorf("client write: %w", err))
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer so streamed responses stream.
func (w *statusWriter) Flush() {
	w.deadline()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
