package httpproxy

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// Listener returns ln with every connection guarded, for serving h with
// the server from [NewServer]:
//
//   - the request framing is followed below net/http (see the framing
//     checks in the package doc), so that a request with both
//     Transfer-Encoding and Content-Length, or Transfer-Encoding in HTTP/1.0,
//     is refused with 400 and its connection closed;
//   - the answers net/http gives without calling the handler (400 for a
//     malformed request, 431, 501 for an unknown transfer coding, 505,
//     417) are rewritten into the gateway's JSON error body and logged.
//
// Without it, h refuses every HTTP/1 request with a chunked body, whose
// framing it cannot check.
func (h *Handler) Listener(ln net.Listener) net.Listener {
	return &guardListener{Listener: ln, h: h}
}

type guardListener struct {
	net.Listener
	h *Handler
}

func (l *guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, h: l.h, f: newFramer(l.h.gw.Config().MaxHeaderBytes)}, nil
}

// guardConn is one guarded connection. net/http reads it from one
// goroutine at a time (the connection's, or its background reader while a
// handler runs) and the handler takes frames concurrently, hence the lock.
//
// It also sees the client leave first: while a handler runs, net/http keeps
// a read pending on the connection, and that read failing (other than by
// net/http's own deadline, which ends it) means the client is gone. The
// guard then aborts the handler's origin call, the work context.AfterFunc
// on the request's context would do, without its cost per request.
type guardConn struct {
	net.Conn
	h      *Handler
	mu     sync.Mutex
	f      *framer
	active *call // the origin call of the running handler
	gone   bool  // a read failed: the client has left
}

func (c *guardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 || err != nil {
		c.mu.Lock()
		if n > 0 {
			c.f.feed(p[:n])
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			c.gone = true
			if c.active != nil {
				c.active.clientLeft()
			}
		}
		c.mu.Unlock()
	}
	return n, err
}

// watch makes a failing read of the connection abort call; it reports
// false when the client has already left.
func (c *guardConn) watch(call *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active = call
	return !c.gone
}

// unwatch ends watch: once it returns, the guard aborts call no more.
func (c *guardConn) unwatch() {
	c.mu.Lock()
	c.active = nil
	c.mu.Unlock()
}

// checkFraming returns why the framing of r, the next request on the
// connection, is refused, or "".
func (c *guardConn) checkFraming(r *http.Request) string {
	c.mu.Lock()
	fr, ok := c.f.next()
	c.mu.Unlock()
	switch {
	case !ok:
		return "request framing could not be followed on this connection"
	case fr.line != requestLineHash(r.Method, r.RequestURI):
		return "request framing could not be followed on this connection"
	}
	return fr.bad
}

// httpPrefix starts every response head net/http writes.
var httpPrefix = []byte("HTTP/1.")

// Write passes the handler's responses through and rewrites net/http's own
// error answers. Those are recognised by their head: net/http writes it
// whole in one Write, and it has no X-Request-Id, which every response of
// the handler carries.
func (c *guardConn) Write(p []byte) (int, error) {
	if status, ok := serverErrorStatus(p); ok {
		return len(p), c.writeServerError(status, p)
	}
	return c.Conn.Write(p)
}

// serverErrorStatus reports whether p is a complete response head (and
// perhaps body) of status 4xx or 5xx without X-Request-Id. net/http writes
// the handler's header names as the handler set them, and the gateway sets
// X-Request-Id in that canonical form on every answer.
func serverErrorStatus(p []byte) (int, bool) {
	if len(p) < 12 || p[9] < '4' || p[9] > '5' || !bytes.HasPrefix(p, httpPrefix) || p[8] != ' ' {
		return 0, false
	}
	end := bytes.Index(p, []byte("\r\n\r\n"))
	if end < 0 || bytes.Contains(p[:end+2], []byte("\r\nX-Request-Id:")) {
		return 0, false
	}
	status, err := strconv.Atoi(string(p[9:12]))
	if err != nil {
		return 0, false
	}
	return status, true
}

// serverErrors maps net/http's own statuses to the gateway's error.
var serverErrors = map[int]gateway.Error{
	400: {Status: 400, Code: gateway.CodeBadRequest, Message: "malformed request"},
	417: {Status: 417, Code: gateway.CodeExpectationFailed, Message: "only the expectation 100-continue is supported"},
	431: {Status: 431, Code: gateway.CodeHeadersTooLarge, Message: "request header fields too large"},
	501: {Status: 501, Code: gateway.CodeNotImplemented, Message: "unsupported transfer coding"},
	505: {Status: 505, Code: gateway.CodeVersionNotSupported, Message: "unsupported HTTP version"},
}

// writeServerError writes the JSON answer for net/http's answer orig of
// status, and logs it. net/http closes the connection after each of them.
func (c *guardConn) writeServerError(status int, orig []byte) error {
	e, ok := serverErrors[status]
	if !ok {
		e = gateway.Error{Status: status, Code: gateway.CodeBadRequest, Message: http.StatusText(status)}
		if status >= 500 {
			e.Code = gateway.CodeInternal
		}
	}
	id := c.h.gw.NewRequestID()
	body := gateway.ErrorBody(&e, id)
	var b bytes.Buffer
	b.Grow(256 + len(body))
	b.WriteString("HTTP/1.1 ")
	b.WriteString(strconv.Itoa(status))
	b.WriteByte(' ')
	b.WriteString(http.StatusText(status))
	b.WriteString("\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nDate: ")
	b.WriteString(time.Now().UTC().Format(http.TimeFormat))
	b.WriteString("\r\nX-Request-Id: ")
	b.WriteString(id)
	b.WriteString("\r\nContent-Length: ")
	b.WriteString(strconv.Itoa(len(body)))
	b.WriteString("\r\n\r\n")
	b.Write(body)
	_, err := c.Conn.Write(b.Bytes())

	// net/http's own text says what was wrong ("missing required Host
	// header"); it has no client data in it, but keep it short.
	reason := orig
	if i := bytes.Index(orig, []byte("\r\n\r\n")); i >= 0 {
		reason = orig[i+4:]
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	client, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	req := &gateway.Request{RemoteAddr: client}
	res := &gateway.Result{RequestID: id, Client: client, Err: &e}
	c.h.gw.LogAccess(context.Background(), req, res, status, 0,
		slog.String("refused_by", "http_server"), slog.String("reason", string(reason)))
	return err
}

type guardKey struct{}

// connContext is the server's ConnContext: it makes the guarded connection
// reachable from the handler.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if g, ok := c.(*guardConn); ok {
		return context.WithValue(ctx, guardKey{}, g)
	}
	return ctx
}

// guardOf returns the guarded connection r came on, or nil.
func guardOf(r *http.Request) *guardConn {
	g, _ := r.Context().Value(guardKey{}).(*guardConn)
	return g
}

// framingProblem returns why r's framing is refused, or "". g is the
// guarded connection r came on, or nil.
func framingProblem(r *http.Request, g *guardConn) string {
	if r.ProtoMajor != 1 {
		return "" // HTTP/2 and 3 frame messages themselves
	}
	if g != nil {
		return g.checkFraming(r)
	}
	if len(r.TransferEncoding) > 0 {
		return "chunked request bodies need the guarded listener (httpproxy.Handler.Listener)"
	}
	return ""
}
