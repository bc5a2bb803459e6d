// Package httpproxy is the native target of the Rampart gateway: an
// http.Handler that adapts net/http to the [gateway.Gateway] core and
// forwards the requests it allows to an origin with net/http/httputil.
//
// The core decides (auth, rate limits, path and header checks); this
// package only translates requests, enforces the body limit and the origin
// timeout, and writes the access log. One httputil.ReverseProxy serves every
// request. Put a [LogWriter] under the access log's handler so that logging
// costs no system call per request (`rampart gateway` does).
package httpproxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// Handler forwards allowed requests to the origin and answers refused ones
// with the gateway's JSON error. It is safe for concurrent use.
type Handler struct {
	gw      *gateway.Gateway
	origin  *url.URL
	rawPath string // origin.EscapedPath(), computed once
	proxy   *httputil.ReverseProxy
	now     func() time.Time
}

// Options configure a Handler. A nil *Options means the defaults.
type Options struct {
	// Transport carries requests to the origin; nil means a transport
	// tuned for one origin on a fast network (see NewTransport).
	Transport http.RoundTripper
}

// New returns a Handler forwarding to origin, an http or https URL whose
// path, if any, is prefixed to forwarded paths.
func New(gw *gateway.Gateway, origin string, opts *Options) (*Handler, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return nil, errors.New("httpproxy: origin must be an http(s) URL with a host and no query or credentials")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	h := &Handler{gw: gw, origin: u, rawPath: u.EscapedPath(), now: time.Now}
	var transport http.RoundTripper
	if opts != nil {
		transport = opts.Transport
	}
	if transport == nil {
		transport = NewTransport(time.Duration(gw.Config().Timeout))
	}
	// One ReverseProxy serves every request; what differs per request
	// travels in the request's context (see call).
	h.proxy = &httputil.ReverseProxy{
		Transport:      transport,
		Rewrite:        h.rewrite,
		ModifyResponse: modifyResponse,
		ErrorHandler:   h.proxyError,
		BufferPool:     copyBuffers{},
	}
	return h, nil
}

// NewTransport returns the default transport to the origin: bounded dial and
// response-header times, and enough idle connections for one busy origin.
func NewTransport(timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // never send origin traffic through an environment proxy
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
}

// NewServer returns an http.Server for h on addr with the gateway's header
// limit and timeouts against slow clients.
func NewServer(addr string, h *Handler) *http.Server {
	cfg := h.gw.Config()
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Duration(cfg.Timeout),
		WriteTimeout:      time.Duration(cfg.Timeout) + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
	}
}

// Request converts r to the core's request. The client address is the TCP
// peer: no header can change it.
func Request(r *http.Request) *gateway.Request {
	h := make(gateway.Header, len(r.Header)+1)
	for k, v := range r.Header {
		h[lowerKey(k)] = v
	}
	if len(r.TransferEncoding) > 0 {
		h["transfer-encoding"] = r.TransferEncoding
	}
	path, query, _ := strings.Cut(r.RequestURI, "?")
	if r.RequestURI == "" { // a client-side request, as in tests
		path, query = r.URL.EscapedPath(), r.URL.RawQuery
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return &gateway.Request{
		Method: r.Method, Path: path, Query: query, Host: r.Host, Scheme: scheme,
		Header: h, RemoteAddr: host, ContentLength: r.ContentLength,
	}
}

// call is the context of one forwarded request: it carries the gateway's
// result to the shared ReverseProxy's hooks.
type call struct {
	context.Context
	res *gateway.Result
}

type callKey struct{}

func (c *call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func resultOf(r *http.Request) *gateway.Result {
	return r.Context().Value(callKey{}).(*call).res
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	req := Request(r)
	res := h.gw.Handle(r.Context(), req)
	sw := &statusWriter{ResponseWriter: w}
	defer func() { h.gw.LogAccess(r.Context(), req, res, sw.status, h.now().Sub(start)) }()
	if res.Err != nil {
		writeError(sw, res, res.Err)
		return
	}
	cfg := h.gw.Config()
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(cfg.Timeout))
	defer cancel()
	r = r.WithContext(&call{Context: ctx, res: res})
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(sw, r.Body, cfg.MaxBodyBytes)
	}
	h.proxy.ServeHTTP(sw, r)
}

// rewrite turns the ReverseProxy's copy of the client's request into the
// core's Upstream.
func (h *Handler) rewrite(pr *httputil.ProxyRequest) {
	up := resultOf(pr.In).Forward
	out := pr.Out
	out.URL = &url.URL{
		Scheme:   h.origin.Scheme,
		Host:     h.origin.Host,
		Path:     h.origin.Path, // replaced below
		RawQuery: up.Query,
	}
	// The core checked the escaped path; forward it byte for byte.
	raw := h.rawPath + up.Path
	if p, err := url.PathUnescape(raw); err == nil {
		out.URL.Path, out.URL.RawPath = p, raw
	}
	out.Host = h.origin.Host
	// Reuse the clone's map: the core's fields replace all of it.
	clear(out.Header)
	for k, v := range up.Header {
		out.Header[canonicalKey(k)] = v
	}
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = nil // keep Go from adding its own
	}
}

// modifyResponse adds the gateway's fields to the origin's response,
// replacing the origin's fields of the same names.
func modifyResponse(resp *http.Response) error {
	for k, v := range resultOf(resp.Request).Header {
		resp.Header[canonicalKey(k)] = v
	}
	return nil
}

// proxyError answers a request the origin did not: 413 for a body over the
// limit, 504 after the timeout, 499 when the client left, 502 otherwise.
func (h *Handler) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	res := resultOf(r)
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		res.Err = &gateway.Error{Status: 413, Code: gateway.CodeBodyTooLarge, Message: "request body too large"}
	case errors.Is(err, context.DeadlineExceeded):
		res.Err = &gateway.Error{Status: 504, Code: gateway.CodeUpstreamTimeout, Message: "origin did not answer in time"}
	case errors.Is(err, context.Canceled):
		res.Err = &gateway.Error{Status: 499, Code: gateway.CodeUpstreamError, Message: "client went away"}
	default:
		res.Err = &gateway.Error{Status: 502, Code: gateway.CodeUpstreamError, Message: "origin unreachable"}
	}
	h.gw.Logger().WarnContext(r.Context(), "gateway: origin request failed", "request_id", res.RequestID, "err", err)
	writeError(w, res, res.Err)
}

// copyBuffers pools the ReverseProxy's 32 KiB body-copy buffers, which it
// would otherwise allocate for every response.
type copyBuffers struct{}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (copyBuffers) Get() []byte  { return *bufferPool.Get().(*[]byte) }
func (copyBuffers) Put(b []byte) { bufferPool.Put(&b) }

func writeError(w http.ResponseWriter, res *gateway.Result, e *gateway.Error) {
	hdr := w.Header()
	for k, v := range res.Header {
		hdr[canonicalKey(k)] = v
	}
	body := gateway.ErrorBody(e, res.RequestID)
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// statusWriter records the status written, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer so streamed responses stream.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
