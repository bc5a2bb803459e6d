package httpproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// call is one forwarded request: its context and deadlines, and why its
// body stream ended early, if it did.
type call struct {
	ctx       context.Context
	client    context.Context // the server's request context: done when the client leaves
	cancel    context.CancelFunc
	res       *gateway.Result
	timer     *time.Timer // the origin deadline, then the origin body's idle time
	streaming atomic.Bool // the header arrived: the timer is the body's idle time
	timedOut  atomic.Bool // the origin deadline passed
	stalled   atomic.Bool // the origin body stalled
	idle      time.Duration

	mu    sync.Mutex
	cause error
}

func (h *Handler) newCall(client context.Context, res *gateway.Result) *call {
	ctx, cancel := context.WithCancel(client)
	c := &call{ctx: ctx, client: client, cancel: cancel, res: res, idle: h.idle}
	c.timer = time.AfterFunc(h.timeout, c.expire)
	return c
}

// expire ends the call when its timer fires.
func (c *call) expire() {
	if c.streaming.Load() {
		c.stalled.Store(true)
	} else {
		c.timedOut.Store(true)
	}
	c.cancel()
}

func (c *call) end() {
	c.timer.Stop()
	c.cancel()
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

// Deadline causes.
var (
	errOriginStalled = errors.New("origin body stalled for the stream idle timeout")
)

// forward sends the core's Upstream to the origin and streams the answer
// back. It panics with http.ErrAbortHandler when the body breaks off after
// the header was sent, as httputil.ReverseProxy does, so that net/http
// aborts the connection.
func (h *Handler) forward(w *statusWriter, r *http.Request, c *call) {
	up := c.res.Forward
	out := &http.Request{
		Method:     up.Method,
		URL:        &url.URL{Scheme: h.origin.Scheme, Host: h.origin.Host, Path: h.origin.Path, RawQuery: up.Query},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header, len(up.Header)+1),
		Host:       h.origin.Host,
	}
	// The core checked the escaped path; forward it byte for byte.
	raw := h.rawPath + up.Path
	if p, err := url.PathUnescape(raw); err == nil {
		out.URL.Path, out.URL.RawPath = p, raw
	}
	for k, v := range up.Header {
		out.Header[canonicalKey(k)] = v
	}
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = nil // keep Go from adding its own
	}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		out.ContentLength = r.ContentLength
		// The Transport closes the body it is given, which would close the
		// client's; and it may read it after this handler has returned.
		body := &requestBody{r: http.MaxBytesReader(w, r.Body, h.maxBody)}
		out.Body = body
		defer body.Close()
	}
	out = out.WithContext(c.ctx)
	resp, err := h.transport.RoundTrip(out)
	if err == nil && !c.timer.Stop() {
		// The deadline fired as the header arrived.
		resp.Body.Close()
		err = context.DeadlineExceeded
	}
	if err != nil {
		h.originError(w, c, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The gateway never forwards Upgrade, so the origin has no reason
		// to switch.
		h.originError(w, c, errors.New("origin switched protocols unasked"))
		return
	}
	hdr := w.Header()
	copyResponseHeader(hdr, resp.Header)
	for k, v := range c.res.Header {
		hdr[canonicalKey(k)] = v
	}
	if len(resp.Trailer) > 0 {
		names := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			names = append(names, k)
		}
		hdr["Trailer"] = []string{strings.Join(names, ", ")}
	}
	w.WriteHeader(resp.StatusCode)

	var body io.Reader = resp.Body
	if resp.Body != http.NoBody {
		c.streaming.Store(true)
		c.timer.Reset(c.idle)
		body = &idleBody{r: resp.Body, c: c}
	}
	if err := copyBody(w, body, flushesEachWrite(resp)); err != nil {
		if !c.stalled.Load() {
			c.setCause(err)
		} else {
			c.setCause(errOriginStalled)
		}
		panic(http.ErrAbortHandler)
	}
	for k, v := range resp.Trailer {
		hdr[http.TrailerPrefix+k] = v
	}
}

// requestBody is the client's body as the Transport gets it: closing it
// only stops further reads, never the client's connection, so a Transport
// that reads on after the handler (a failed round trip) cannot race it.
type requestBody struct {
	mu     sync.Mutex
	r      io.ReadCloser
	closed bool
}

func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.ErrUnexpectedEOF
	}
	return b.r.Read(p)
}

func (b *requestBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// idleBody is the origin's response body; each read must return within
// the stream idle timeout, or the call is cancelled.
type idleBody struct {
	r io.Reader
	c *call
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == nil || err == io.EOF {
		b.c.timer.Reset(b.c.idle)
	} else if !b.c.stalled.Load() {
		err = fmt.Errorf("origin body: %w", err)
	}
	return n, err
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
// the limit, 504 after the timeout, 499 when the client left, 502
// otherwise.
func (h *Handler) originError(w http.ResponseWriter, c *call, err error) {
	res := c.res
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		res.Err = &gateway.Error{Status: 413, Code: gateway.CodeBodyTooLarge, Message: "request body too large"}
	case c.timedOut.Load() || errors.Is(err, context.DeadlineExceeded):
		res.Err = &gateway.Error{Status: 504, Code: gateway.CodeUpstreamTimeout, Message: "origin did not answer in time"}
	case c.client.Err() != nil:
		res.Err = &gateway.Error{Status: 499, Code: gateway.CodeUpstreamError, Message: "client went away"}
	default:
		res.Err = &gateway.Error{Status: 502, Code: gateway.CodeUpstreamError, Message: "origin unreachable"}
	}
	h.gw.Logger().WarnContext(c.ctx, "gateway: origin request failed", "request_id", res.RequestID, "status", res.Err.Status, "err", err)
	writeError(w, res, res.Err)
}
