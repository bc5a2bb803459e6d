package gateway

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero values of [Config].
const (
	DefaultMaxHeaderBytes    = 16 << 10
	DefaultMaxBodyBytes      = 10 << 20
	DefaultMaxPathBytes      = 2048
	DefaultTimeout           = 30 * time.Second
	DefaultStreamIdleTimeout = 30 * time.Second
)

// DefaultAuthFailureLimit is the failure budget of a client address when
// Config.AuthFailureLimit is zero: 30 failed authentications at once, then
// one every 2 seconds.
var DefaultAuthFailureLimit = LimitConfig{Rate: 30, Period: Duration(time.Minute), Burst: 30}

// Route selects requests by path prefix and says what they need.
type Route struct {
	// Name identifies the route in logs and in the RateLimit-Policy header.
	// Empty means the prefix.
	Name string `json:"name"`
	// Prefix matches the path segment-wise: "/api" matches "/api" and
	// "/api/x" but not "/apix". "/" matches everything.
	Prefix string `json:"prefix"`
	// Methods lists the allowed methods; empty allows every method the
	// gateway forwards. On a route with Methods, a method-override field
	// (X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override, in any
	// case and with "_" for "-") must name allowed methods too, or the
	// request gets 405: frameworks behind the gateway honour them.
	Methods []string `json:"methods,omitempty"`
	// Public routes need no token. They are limited per client address by
	// Config.AnonymousLimit.
	Public bool `json:"public,omitempty"`
	// Scope is a scope the token must grant; empty means any valid token.
	Scope string `json:"scope,omitempty"`
}

// Config configures a [Gateway]. The JSON form (the file given to
// `rampart gateway --config`, the Worker's GATEWAY_CONFIG variable, read by
// [ParseConfig]) holds the policy fields; the interface fields are wired by
// the caller.
type Config struct {
	// Routes are tried in order; the first match wins. No routes means one
	// route "/" that needs a token.
	Routes []Route `json:"routes"`
	// AnonymousLimit limits each client address on public routes. The zero
	// value leaves them unlimited.
	AnonymousLimit LimitConfig `json:"anonymous_limit"`
	// AuthFailureLimit is each client address's budget of failed
	// authentications, kept in this process (or Worker isolate): while an
	// address has spent it, its requests to token routes are refused with
	// 429 before their token is looked at, so a flood of made-up tokens
	// costs little. IPv6 addresses share a budget per /64. The zero value
	// means DefaultAuthFailureLimit; a negative Rate disables the limit.
	// Behind a proxy that hides client addresses, every client shares one
	// budget: raise or disable it there.
	AuthFailureLimit LimitConfig `json:"auth_failure_limit"`
	// Hosts lists the hosts (with a port where it is not the scheme's
	// default) the gateway answers for, in the Host field or in an
	// absolute-form request target. A request for another host gets 421.
	// Empty accepts any host.
	Hosts []string `json:"hosts,omitempty"`
	// ForwardedHost is the X-Forwarded-Host value sent to the origin: the
	// gateway's public host as the origin should build links to it. Empty
	// sends no X-Forwarded-Host. The client's Host is never copied.
	ForwardedHost string `json:"forwarded_host,omitempty"`
	// StripQuery lists query parameters that carry credentials and are
	// removed before forwarding, compared percent-decoded and in any case.
	// nil means DefaultStripQuery; an empty list removes none.
	StripQuery []string `json:"strip_query"`
	// ForwardAuthorization forwards the client's Authorization field to the
	// origin. By default it is removed: the origin trusts the gateway's
	// X-Rampart-Token-Id and X-Rampart-Tenant instead.
	ForwardAuthorization bool `json:"forward_authorization,omitempty"`
	// MaxHeaderBytes bounds the request's header fields; 0 means
	// DefaultMaxHeaderBytes. Larger requests get 431.
	MaxHeaderBytes int `json:"max_header_bytes,omitempty"`
	// MaxBodyBytes bounds the request body; 0 means DefaultMaxBodyBytes.
	// Larger requests get 413.
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`
	// MaxPathBytes bounds the escaped path; 0 means DefaultMaxPathBytes.
	MaxPathBytes int `json:"max_path_bytes,omitempty"`
	// Timeout bounds the origin's answer: from sending the request (its
	// body included) to the response's header. 0 means DefaultTimeout. A
	// later body streams for as long as it keeps moving (StreamIdleTimeout).
	// The adapters enforce it.
	Timeout Duration `json:"timeout,omitempty"`
	// StreamIdleTimeout bounds each stall of a response body stream: a read
	// from the origin or a write to the client that does not finish within
	// it ends the response, which is then logged as truncated. 0 means
	// DefaultStreamIdleTimeout. The native adapter enforces it; on Workers
	// the platform streams the body.
	StreamIdleTimeout Duration `json:"stream_idle_timeout,omitempty"`

	// Tokens finds token records. Required when a route needs a token.
	Tokens TokenStore `json:"-"`
	// Limiter applies rate limits; nil means a new MemoryLimiter.
	Limiter Limiter `json:"-"`
	// Now returns the current time; nil means time.Now.
	Now func() time.Time `json:"-"`
	// NewRequestID returns a new request id; nil means 128 random bits in hex.
	NewRequestID func() string `json:"-"`
	// Logger receives the access log and errors; nil means slog.Default().
	Logger *slog.Logger `json:"-"`
}

// LimitConfig is the JSON form of a [Limit].
type LimitConfig struct {
	Rate   int      `json:"rate,omitempty"`
	Period Duration `json:"period,omitempty"`
	Burst  int      `json:"burst,omitempty"`
}

// Limit returns c as a Limit.
func (c LimitConfig) Limit() Limit {
	return Limit{Rate: c.Rate, Period: time.Duration(c.Period), Burst: c.Burst}
}

// Request is what the gateway needs to know of an incoming request. The
// adapters fill it from net/http or from the Fetch API.
type Request struct {
	Method string
	Path   string // escaped path as on the request line, without the query
	Query  string // raw query, without "?"
	Host   string // the Host the client asked for
	Scheme string // "http" or "https"
	Proto  string // the client's HTTP version ("HTTP/1.1"), "" when the platform does not say
	// Header holds the request's fields, named in lowercase (as the Fetch
	// API gives them) or, with CanonicalHeader, in canonical form (as
	// net/http's server does), so that an adapter passes the map it has
	// rather than a copy. When the gateway forwards the request, Handle
	// edits Header in place into the fields to send: Upstream.Header is
	// this map (a refused request's is left as it was). A name in another
	// form (any other case) is still the same field: Handle then replaces
	// Header with a copy in the form, where fields whose names differ
	// only in case are one, and works on that.
	Header Header
	// CanonicalHeader says Header names its fields in net/http's canonical
	// form ("Content-Type") rather than lowercase. The fields the gateway
	// adds to the forwarded request and to the response (Result.Header)
	// are then named that way too.
	CanonicalHeader bool
	// RemoteAddr is the client's IP address as the platform established it
	// (the TCP peer natively, CF-Connecting-IP on Workers), never a value
	// from a client-supplied field.
	RemoteAddr string
	// ContentLength is the declared body length, or -1 when unknown.
	ContentLength int64
	// BadFraming is the adapter's finding that the message's framing is
	// ambiguous or could not be checked (RFC 9112 section 6.1), "" when it
	// is sound. The gateway refuses such a request with 400 and Close.
	BadFraming string
}

// Result is the gateway's decision on a request: either a refusal (Err set)
// or a request to forward (Forward set). Header holds the fields to add to
// the response in both cases.
type Result struct {
	RequestID string
	Route     string
	// TokenID is the id of the token presented, when it was well formed:
	// the token's on success, and on refusal the id the client sent (ids
	// are not secret), so that the log says whose token failed.
	TokenID string
	Tenant  string // set when the token was accepted
	Client  string
	// AuthError is why the token was refused (AuthUnknownID, AuthRevoked,
	// ...), for the log; the response says only invalid_token.
	AuthError string
	Err       *Error
	Forward   *Upstream
	// Header holds the fields to add to the response: X-Request-Id,
	// RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate, Allow;
	// named as the request's Header names its fields.
	Header Header
	// Close says the adapter must close the connection after answering:
	// the request's framing was refused, so the bytes after it on the
	// connection are not a request to serve.
	Close bool
}

// Upstream is the request to send to the origin.
type Upstream struct {
	Method string
	Path   string // the checked escaped path
	Query  string // the raw query without the StripQuery parameters
	// Header is the request's Header (the same map, edited in place): the
	// client's fields without the hop-by-hop, Connection-named and
	// untrusted ones (and Authorization unless Config.ForwardAuthorization),
	// plus the gateway's own X-Forwarded-For, X-Forwarded-Host,
	// X-Forwarded-Proto, X-Request-Id, X-Rampart-Token-Id and
	// X-Rampart-Tenant. The one-value slices the gateway sets are clipped,
	// so that an append copies them.
	Header Header
}

// form returns how r's Header names its fields.
func (r *Request) form() form {
	if r.CanonicalHeader {
		return canonical
	}
	return lowercase
}

// decision is a Result with its Upstream and the backing arrays of the
// one-value fields they set, allocated at once.
type decision struct {
	res Result
	up  Upstream
	err Error
	// limitKey is the token's rate-limit key when the token cache has it.
	limitKey string
	vals     [nVals]string
}

// refuse returns the decision's error, set to a refusal.
func (d *decision) refuse(status int, code, msg string) *Error {
	d.err = Error{Status: status, Code: code, Message: msg}
	return &d.err
}

// Indexes of decision.vals.
const (
	valRequestID = iota
	valForwardedFor
	valTokenID
	valTenant
	valPolicy
	valRateLimit
	valRetryAfter
	valAuthenticate // or Allow
	nVals
)

// one returns the value v as a field's values, backed by d.vals[i] and
// clipped: an append copies it.
func (d *decision) one(i int, v string) []string {
	d.vals[i] = v
	return d.vals[i : i+1 : i+1]
}

// Gateway decides what to do with requests. It is safe for concurrent use.
type Gateway struct {
	cfg      Config
	routes   []Route
	prefixes []string          // the routes' prefixes, decoded
	policies map[string]string // route name -> quoted, for RateLimit fields
	allow    map[string]string // route name -> its Methods joined, for Allow
	// forwardedHost is the X-Forwarded-Host value, nil for none.
	forwardedHost []string
	hosts         map[string]bool // canonical hosts; nil accepts any
	strip         queryNames
	failures      *failureLimiter // nil when disabled
	dropped       nameSet         // the client fields not forwarded
	// wallClock says cfg.Now is time.Now (a TokenCache on the wall clock
	// then takes the decision's time rather than reading its own).
	wallClock bool
	log       *slog.Logger
}

// New returns a Gateway for cfg. It does not modify cfg (or its Routes).
func New(cfg Config) (*Gateway, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, log: cfg.Logger}
	g.routes = append([]Route(nil), cfg.Routes...)
	if len(g.routes) == 0 {
		g.routes = []Route{{Name: "default", Prefix: "/"}}
	}
	g.policies = make(map[string]string, len(g.routes))
	g.allow = make(map[string]string, len(g.routes))
	for i, r := range g.routes {
		if r.Name == "" {
			g.routes[i].Name = r.Prefix
		}
		if !r.Public && cfg.Tokens == nil {
			return nil, fmt.Errorf("gateway: route %q needs tokens but Config.Tokens is nil", g.routes[i].Name)
		}
		g.policies[g.routes[i].Name] = strconv.Quote(g.routes[i].Name)
		g.allow[g.routes[i].Name] = strings.Join(r.Methods, ", ")
		dp, _ := url.PathUnescape(r.Prefix) // validate checked it
		g.prefixes = append(g.prefixes, dp)
	}
	if len(cfg.Hosts) > 0 {
		g.hosts = make(map[string]bool, 2*len(cfg.Hosts))
		for _, h := range cfg.Hosts {
			g.hosts[canonicalHost(h, "http")] = true
			g.hosts[canonicalHost(h, "https")] = true
		}
	}
	if cfg.ForwardedHost != "" {
		g.forwardedHost = []string{cfg.ForwardedHost}[:1:1]
	}
	if g.cfg.StripQuery == nil {
		g.cfg.StripQuery = DefaultStripQuery
	}
	g.strip = newQueryNames(g.cfg.StripQuery)
	g.dropped = notForwarded[0]
	if g.cfg.ForwardAuthorization {
		g.dropped = notForwarded[1]
	}
	if g.cfg.AuthFailureLimit == (LimitConfig{}) {
		g.cfg.AuthFailureLimit = DefaultAuthFailureLimit
	}
	if l := g.cfg.AuthFailureLimit.Limit(); l.Rate > 0 {
		g.failures = &failureLimiter{limit: l}
	}
	if g.cfg.Limiter == nil {
		g.cfg.Limiter = NewMemoryLimiter()
	}
	if g.cfg.Now == nil {
		g.wallClock = true
		g.cfg.Now = time.Now
	}
	if g.cfg.NewRequestID == nil {
		g.cfg.NewRequestID = randomID
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.cfg.MaxHeaderBytes <= 0 {
		g.cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if g.cfg.MaxBodyBytes <= 0 {
		g.cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if g.cfg.MaxPathBytes <= 0 {
		g.cfg.MaxPathBytes = DefaultMaxPathBytes
	}
	if g.cfg.Timeout <= 0 {
		g.cfg.Timeout = Duration(DefaultTimeout)
	}
	if g.cfg.StreamIdleTimeout <= 0 {
		g.cfg.StreamIdleTimeout = Duration(DefaultStreamIdleTimeout)
	}
	return g, nil
}

// Config returns the configuration with defaults filled in.
func (g *Gateway) Config() Config { return g.cfg }

// Logger returns the gateway's logger.
func (g *Gateway) Logger() *slog.Logger { return g.log }

// NewRequestID returns a new request id from Config.NewRequestID, for
// answers the adapters give without asking the core (net/http's own
// refusals).
func (g *Gateway) NewRequestID() string { return g.cfg.NewRequestID() }

var forwardedMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
}

// methodOverrides are the fields with which a client asks frameworks
// (Rails' Rack::MethodOverride, Express's method-override, Laravel,
// Symfony) to treat a POST as another method.
var methodOverrides = newNameSet([]string{"x-http-method-override", "x-http-method", "x-method-override"})

// overridesAllowed reports whether every method a method-override field of
// h names (each comma-separated value, in any case) is in methods, so that
// a route's Methods cannot be bypassed at an origin that honours them.
func overridesAllowed(h Header, f form, methods []string) bool {
	for k, vs := range h {
		if !methodOverrides.has(k, f) {
			continue
		}
		for _, v := range vs {
			for m := range strings.SplitSeq(v, ",") {
				if m = strings.TrimSpace(m); m != "" && !contains(methods, strings.ToUpper(m)) {
					return false
				}
			}
		}
	}
	return true
}

// Handle decides on req. It never returns nil. A failing token store or
// limiter makes a 503 refusal (the gateway fails closed) and is logged.
func (g *Gateway) Handle(ctx context.Context, req *Request) *Result {
	d := &decision{}
	res := &d.res
	f := req.form()
	res.RequestID, res.Client, res.Header = g.cfg.NewRequestID(), req.RemoteAddr, make(Header, 4)
	res.Header[fieldRequestID[f]] = d.one(valRequestID, res.RequestID)
	if e := g.decide(ctx, req, d, f); e != nil {
		res.Err = e
		res.Forward = nil
		switch {
		case e.Status == 401 && e.Code == CodeMissingToken:
			res.Header[fieldWWWAuthenticate[f]] = d.one(valAuthenticate, `Bearer realm="rampart"`)
		case e.Status == 401:
			res.Header[fieldWWWAuthenticate[f]] = d.one(valAuthenticate, `Bearer realm="rampart", error="invalid_token"`)
		case e.Status == 403:
			res.Header[fieldWWWAuthenticate[f]] = d.one(valAuthenticate, `Bearer realm="rampart", error="insufficient_scope"`)
		}
	}
	return res
}

func (g *Gateway) decide(ctx context.Context, req *Request, d *decision, f form) *Error {
	res := &d.res
	size, inF, valid := req.Header.measure(f)
	if !valid {
		// A name such as "Content-Length " (a space before the colon) is
		// read by some servers as the field it resembles: the request's
		// framing is in doubt.
		res.Close = true
		return d.refuse(400, CodeBadRequest, "invalid header field name")
	}
	if !inF {
		// Names the adapter did not write in its form: look them up in a
		// copy that is (it is what Upstream.Header will be).
		req.Header = req.Header.inForm(f)
	}
	te := len(req.Header[fieldTransferEncoding[f]]) > 0
	switch {
	case req.BadFraming != "":
		res.Close = true
		return d.refuse(400, CodeBadRequest, req.BadFraming)
	case te && len(req.Header[fieldContentLength[f]]) > 0:
		// RFC 9112 section 6.1: the framing is ambiguous (request
		// smuggling), and what follows on the connection is suspect.
		res.Close = true
		return d.refuse(400, CodeBadRequest, "both Transfer-Encoding and Content-Length")
	case te && req.Proto == "HTTP/1.0":
		res.Close = true
		return d.refuse(400, CodeBadRequest, "Transfer-Encoding in an HTTP/1.0 request")
	}
	if e := first(req.Header[fieldExpect[f]]); e != "" && !asciiEqualFold(e, "100-continue") {
		// RFC 9110 section 10.1.1: no other expectation is defined.
		return d.refuse(417, CodeExpectationFailed, "only the expectation 100-continue is supported")
	}
	if !forwardedMethods[req.Method] {
		return d.refuse(405, CodeMethodNotAllowed, "method not allowed")
	}
	if size > g.cfg.MaxHeaderBytes {
		return d.refuse(431, CodeHeadersTooLarge, "request header fields too large")
	}
	if g.hosts != nil && !g.hosts[canonicalHost(req.Host, req.Scheme)] {
		return d.refuse(421, CodeMisdirected, "this gateway does not serve that host")
	}
	if req.ContentLength > g.cfg.MaxBodyBytes {
		return d.refuse(413, CodeBodyTooLarge, "request body too large")
	}
	path, err := CleanPath(req.Path, g.cfg.MaxPathBytes)
	if err != nil {
		return d.refuse(400, CodeBadPath, strings.TrimPrefix(err.Error(), "gateway: "))
	}
	decoded, _ := url.PathUnescape(path) // CleanPath checked the escapes
	route := g.match(decoded)
	if route == nil {
		return d.refuse(404, CodeNoRoute, "no route for path")
	}
	res.Route = route.Name
	if len(route.Methods) > 0 && !(contains(route.Methods, req.Method) && overridesAllowed(req.Header, f, route.Methods)) {
		res.Header[fieldAllow[f]] = d.one(valAuthenticate, g.allow[route.Name])
		return d.refuse(405, CodeMethodNotAllowed, "method not allowed on this route")
	}
	now := g.cfg.Now()

	var limitKey string
	var limit Limit
	var tok *TokenRecord
	if route.Public {
		limit = g.cfg.AnonymousLimit.Limit()
		if !limit.Unlimited() {
			if req.RemoteAddr == "" {
				return d.refuse(400, CodeBadRequest, "client address unknown")
			}
			limitKey = clientKey(req.RemoteAddr)
		}
	} else {
		var e *Error
		if tok, e = g.authorize(ctx, req, now, d, f); e != nil {
			return e
		}
		res.TokenID, res.Tenant = tok.ID, tok.Tenant
		if !tok.HasScope(route.Scope) {
			return d.refuse(403, CodeInsufficientScope, "token lacks scope "+strconv.Quote(route.Scope))
		}
		limit = tok.Limit()
		limitKey = d.limitKey
		if limitKey == "" {
			limitKey = tokenLimitKey(tok.ID)
		}
	}
	if limitKey != "" {
		ld, err := g.cfg.Limiter.Allow(ctx, limitKey, limit, now)
		if err != nil {
			g.log.ErrorContext(ctx, "gateway: rate limiter failed", "request_id", res.RequestID, "key_kind", limitKey[:strings.IndexByte(limitKey, ':')], "err", err)
			return d.refuse(503, CodeUnavailable, "rate limiter unavailable")
		}
		setRateLimitHeaders(d, f, g.policies[route.Name], ld)
		if !ld.Allowed {
			return d.refuse(429, CodeRateLimited, "rate limit exceeded")
		}
	}
	g.upstream(req, path, d, f, tok)
	return nil
}

// tokenLimitKey returns the rate-limit key of the token id.
func tokenLimitKey(id string) string { return "tok:" + id }

// first returns the first of vs, or "".
func first(vs []string) string {
	if len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// authorize authenticates the request's token, first checking the client
// address's failure budget, and spends from that budget when the token is
// refused.
func (g *Gateway) authorize(ctx context.Context, req *Request, now time.Time, d *decision, f form) (*TokenRecord, *Error) {
	res := &d.res
	if g.failures == nil {
		return g.authenticate(ctx, req, now, d, f)
	}
	if ld := g.failures.check(req.RemoteAddr, now.UnixNano()); !ld.Allowed {
		res.AuthError = AuthThrottled
		res.Header[fieldRetryAfter[f]] = d.one(valRetryAfter, strconv.FormatInt(max(1, ceilSeconds(ld.RetryAfter)), 10))
		return nil, d.refuse(429, CodeRateLimited, "too many failed authentications from this address")
	}
	tok, e := g.authenticate(ctx, req, now, d, f)
	if e != nil && e.Status == 401 {
		g.failures.fail(req.RemoteAddr, now.UnixNano())
	}
	return tok, e
}

// match returns the first route whose decoded prefix is the decoded path
// p or above it.
func (g *Gateway) match(p string) *Route {
	for i := range g.routes {
		if hasPathPrefix(p, g.prefixes[i]) {
			return &g.routes[i]
		}
	}
	return nil
}

// upstream makes the forwarded request: it edits the request's fields in
// place, removing the hop-by-hop and untrusted ones and setting the
// gateway's own, so that the fields cost no copy.
func (g *Gateway) upstream(req *Request, path string, d *decision, f form, tok *TokenRecord) {
	h := req.Header
	if h == nil {
		h = make(Header, 6)
		req.Header = h
	}
	conn := h[fieldConnection[f]] // read before it is deleted
	for k := range h {
		if g.dropped.has(k, f) || len(conn) > 0 && connectionNamed(conn, k) {
			delete(h, k)
		}
	}
	if req.RemoteAddr != "" {
		h[fieldXForwardedFor[f]] = d.one(valForwardedFor, req.RemoteAddr)
	}
	if g.forwardedHost != nil {
		h[fieldXForwardedHost[f]] = g.forwardedHost
	}
	if req.Scheme == "https" {
		h[fieldXForwardedProto[f]] = protoHTTPS
	} else {
		h[fieldXForwardedProto[f]] = protoHTTP
	}
	h[fieldRequestID[f]] = d.res.Header[fieldRequestID[f]]
	if tok != nil {
		h[fieldTokenID[f]] = d.one(valTokenID, tok.ID)
		h[fieldTenant[f]] = d.one(valTenant, tok.Tenant)
	}
	d.up = Upstream{Method: req.Method, Path: path, Query: g.strip.strip(req.Query), Header: h}
	d.res.Forward = &d.up
}

// Values of X-Forwarded-Proto, shared by every request (clipped: an append
// copies them).
var (
	protoHTTP  = []string{"http"}[:1:1]
	protoHTTPS = []string{"https"}[:1:1]
)

// setRateLimitHeaders sets the IETF RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers): the policy as quota q per window w
// seconds, and the remaining quota r with t seconds until it is full again;
// on refusal also Retry-After. policy is the route's name, quoted. The
// values share one string.
func setRateLimitHeaders(d *decision, f form, policy string, ld LimitDecision) {
	var buf [192]byte
	b := append(buf[:0], policy...)
	b = append(b, ";q="...)
	b = strconv.AppendInt(b, int64(ld.Limit), 10)
	b = append(b, ";w="...)
	b = strconv.AppendInt(b, ceilSeconds(ld.Window), 10)
	i := len(b)
	b = append(b, policy...)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, int64(ld.Remaining), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, ceilSeconds(ld.ResetAfter), 10)
	j := len(b)
	if !ld.Allowed {
		b = strconv.AppendInt(b, max(1, ceilSeconds(ld.RetryAfter)), 10)
	}
	s := string(b)
	h := d.res.Header
	h[fieldRateLimitPolicy[f]] = d.one(valPolicy, s[:i])
	h[fieldRateLimit[f]] = d.one(valRateLimit, s[i:j])
	if !ld.Allowed {
		h[fieldRetryAfter[f]] = d.one(valRetryAfter, s[j:])
	}
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// randomID returns 128 random bits in hex. Request ids must be unique, not
// secret, so they come from math/rand/v2's per-thread ChaCha8 generator
// (seeded from the system's entropy) rather than a crypto/rand call per
// request, which costs a JavaScript crossing in the Worker.
func randomID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// LogAccess writes one access-log record for a finished request: the
// request id, route, token id (never the token), client, status, latency
// and, for refusals, the error code and the authentication failure's
// reason. The adapters call it once the status is known.
func (g *Gateway) LogAccess(ctx context.Context, req *Request, res *Result, status int, latency time.Duration, extra ...slog.Attr) {
	level := slog.LevelInfo
	if res.Err != nil && (res.Err.Status >= 500 || res.Err.Code == CodeResponseTruncated) {
		level = slog.LevelError
	}
	if ctx == nil {
		ctx = context.Background()
	}
	h := g.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	now, latencyMS := time.Now(), float64(latency.Microseconds())/1000
	if lh, ok := h.(*logHandler); ok && lh.handleAccess(now, level, req, res, status, latencyMS, extra) {
		return // the same bytes, without a slog.Record
	}
	// What Logger.LogAttrs does, without the attribute slice and the
	// caller's program counter (one per request; an access record's
	// source would be this line).
	r := slog.NewRecord(now, level, "access", 0)
	r.AddAttrs(
		slog.String("request_id", res.RequestID),
		slog.String("method", req.Method),
		slog.String("path", req.Path),
		slog.String("route", res.Route),
		slog.String("token_id", res.TokenID),
		slog.String("tenant", res.Tenant),
		slog.String("client", res.Client),
		slog.Int("status", status),
		slog.Float64("latency_ms", latencyMS),
	)
	if res.Err != nil {
		r.AddAttrs(slog.String("error", res.Err.Code))
	}
	if res.AuthError != "" {
		r.AddAttrs(slog.String("auth_error", res.AuthError))
	}
	r.AddAttrs(extra...)
	_ = h.Handle(ctx, r)
}
