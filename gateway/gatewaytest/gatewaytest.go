// Package gatewaytest runs the gateway's shared test vectors
// (gateway/testdata/vectors.json) against any target that speaks HTTP: the
// native server and the Cloudflare Worker running in workerd pass the same
// table.
//
// A test loads the vectors, seeds its target's token store with [Seed],
// starts an [Origin], points the target at it and calls [Run].
package gatewaytest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// Vectors is the parsed vectors file.
type Vectors struct {
	Config json.RawMessage      `json:"config"` // a gateway.Config in JSON
	Tokens map[string]TokenSpec `json:"tokens"`
	Cases  []Case               `json:"cases"`
}

// TokenSpec describes a token to create before the cases run.
type TokenSpec struct {
	Tenant    string           `json:"tenant"`
	Scopes    []string         `json:"scopes"`
	Rate      int              `json:"rate"`
	Period    gateway.Duration `json:"period"`
	Burst     int              `json:"burst"`
	ExpiresIn gateway.Duration `json:"expires_in"` // relative to seeding; 0 never expires
	Revoked   bool             `json:"revoked"`
}

// Case is one request and the decision expected for it.
type Case struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	Path   string `json:"path"` // path and query, sent byte for byte
	// Raw, when set, is sent as it is on a new TCP connection instead of a
	// request built from the fields above: for what HTTP clients never
	// send (a smuggled request behind an ambiguous one, absolute-form
	// targets). $host is the target's host:port and $token:NAME a seeded
	// token. Only the first response is read; Expect.Closed says whether
	// the connection must then be closed.
	Raw string `json:"raw"`
	// OriginResponse lists fields the origin adds to its answer to this
	// case (to check which ones the gateway passes on).
	OriginResponse map[string]string `json:"origin_response"`
	Token          string            `json:"token"` // name of a seeded token to send as a bearer token
	Tamper         bool              `json:"tamper"`
	Headers        map[string]string `json:"headers"`
	Body           string            `json:"body"`
	BodySize       int               `json:"body_size"`   // send this many bytes instead of Body
	HeaderSize     int               `json:"header_size"` // add a padding field of this size
	Repeat         int               `json:"repeat"`      // send the request this many times (default 1)
	RawPath        bool              `json:"raw_path"`    // informational: the path is deliberately unusual
	Expect         Expect            `json:"expect"`
	// ExpectOn overrides Expect for the targets named, where the platform
	// changes the request before the gateway sees it; Why says how.
	ExpectOn map[string]Expect `json:"expect_on"`
	Why      string            `json:"why"`
}

// Expect is the expected decision. A header value starting with "~" is a
// regular expression the value must match.
type Expect struct {
	Status    int               `json:"status"`
	Error     string            `json:"error"`   // the JSON error code
	Headers   map[string]string `json:"headers"` // response fields, exact
	Absent    []string          `json:"absent"`  // response fields that must not be there
	Forwarded *bool             `json:"forwarded"`
	// Closed, when set, says whether the gateway must close the
	// connection after its answer (only for Raw cases).
	Closed *bool `json:"closed"`
	// ByPlatform says the platform's own HTTP server answers before the
	// gateway runs (in an ExpectOn, with the Why): no X-Request-Id then.
	ByPlatform bool          `json:"by_platform"`
	Origin     *OriginExpect `json:"origin"`
}

// OriginExpect is what the origin must have seen.
type OriginExpect struct {
	Path    string            `json:"path"`
	Query   string            `json:"query"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"`
	Absent  []string          `json:"absent"`
}

// Path returns the path of the repository's vectors file.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "vectors.json")
}

// Load reads a vectors file.
func Load(path string) (*Vectors, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v Vectors
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("gatewaytest: %s: %w", path, err)
	}
	return &v, nil
}

// MustLoad loads the repository's vectors or fails tb.
func MustLoad(tb testing.TB) *Vectors {
	tb.Helper()
	v, err := Load(Path())
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// GatewayConfig decodes the vectors' configuration.
func (v *Vectors) GatewayConfig() (gateway.Config, error) {
	var c gateway.Config
	err := json.Unmarshal(v.Config, &c)
	return c, err
}

// Seeded holds the tokens created for a run: the token strings by name (to
// send) and their records (to store).
type Seeded struct {
	Tokens  map[string]string
	Records map[string]gateway.TokenRecord
}

// Seed creates the vectors' tokens with random secrets, expiry relative to
// now.
func (v *Vectors) Seed(now time.Time) (*Seeded, error) {
	s := &Seeded{Tokens: map[string]string{}, Records: map[string]gateway.TokenRecord{}}
	for name, spec := range v.Tokens {
		tok, id, err := gateway.GenerateToken(rand.Reader)
		if err != nil {
			return nil, err
		}
		rec := gateway.TokenRecord{
			ID: id, Hash: gateway.HashToken(tok), Tenant: spec.Tenant, Scopes: spec.Scopes,
			Rate: spec.Rate, Period: spec.Period, Burst: spec.Burst, CreatedAt: now.UTC(),
			Revoked: spec.Revoked, Note: "vector " + name,
		}
		if spec.ExpiresIn != 0 {
			rec.ExpiresAt = now.Add(time.Duration(spec.ExpiresIn)).UTC()
		}
		s.Tokens[name], s.Records[name] = tok, rec
	}
	return s, nil
}

// Store returns a token store holding the seeded records.
func (s *Seeded) Store() gateway.TokenStore {
	byID := map[string]gateway.TokenRecord{}
	for _, r := range s.Records {
		byID[r.ID] = r
	}
	return gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
		r, ok := byID[id]
		if !ok {
			return nil, gateway.ErrTokenNotFound
		}
		return &r, nil
	})
}

// Seen is one request as the origin received it.
type Seen struct {
	Method string
	Path   string // escaped, as on the request line
	Query  string
	Header http.Header
	Body   string
}

// Origin is a test origin on 127.0.0.1 that answers 200 "ok" and records
// what it saw, by the gateway's X-Request-Id.
type Origin struct {
	URL     string
	mu      sync.Mutex
	n       int
	by      map[string]Seen
	respond map[string]string // fields to add to the answers, see Respond
}

// Respond makes the origin add fields to its answers until the next call
// (nil for none).
func (o *Origin) Respond(fields map[string]string) {
	o.mu.Lock()
	o.respond = fields
	o.mu.Unlock()
}

// NewOrigin starts an Origin, closed when tb ends.
func NewOrigin(tb testing.TB) *Origin {
	tb.Helper()
	o := &Origin{by: map[string]Seen{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		path, query, _ := strings.Cut(r.RequestURI, "?")
		o.mu.Lock()
		o.n++
		o.by[r.Header.Get("X-Request-Id")] = Seen{Method: r.Method, Path: path, Query: query, Header: r.Header.Clone(), Body: string(body)}
		for k, v := range o.respond {
			w.Header().Set(k, v)
		}
		o.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok")
	}))
	tb.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

// Count returns how many requests the origin has received.
func (o *Origin) Count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// Seen returns the request the origin saw with X-Request-Id id.
func (o *Origin) Seen(id string) (Seen, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.by[id]
	return s, ok
}

// Target is a running gateway to test.
type Target struct {
	Name   string  // "native" or "worker": selects Case.ExpectOn
	URL    string  // base URL, e.g. http://127.0.0.1:8080
	Origin *Origin // the origin the gateway forwards to
	Client string  // the client address the gateway sees for this test's requests
	Seeded *Seeded
	HTTP   *http.Client // nil means a plain client
}

// Run runs every case of v against target, in order, as subtests.
func Run(t *testing.T, v *Vectors, target Target) {
	t.Helper()
	hc := target.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if e, ok := c.ExpectOn[target.Name]; ok {
				t.Logf("%s expectation: %s", target.Name, c.Why)
				c.Expect = e
			}
			n := max(c.Repeat, 1)
			for i := range n {
				if err := runCase(hc, target, c); err != nil {
					t.Fatalf("request %d of %d: %v", i+1, n, err)
				}
			}
		})
	}
}

// matches reports whether got is want, or matches want's regular
// expression when want starts with "~" (for values that depend on timing,
// such as seconds counted down while the case runs).
func matches(got, want string) bool {
	if re, ok := strings.CutPrefix(want, "~"); ok {
		return regexp.MustCompile(re).MatchString(got)
	}
	return got == want
}

func runCase(hc *http.Client, tg Target, c Case) error {
	tg.Origin.Respond(c.OriginResponse)
	defer tg.Origin.Respond(nil)
	before := tg.Origin.Count()
	var resp *http.Response
	var respBody []byte
	var closed bool
	var err error
	if c.Raw != "" {
		resp, respBody, closed, err = sendRaw(tg, c)
	} else {
		resp, respBody, err = send(hc, tg, c)
	}
	if err != nil {
		return err
	}
	return check(tg, c, before, resp, respBody, closed)
}

// send sends the case's request with an HTTP client.
func send(hc *http.Client, tg Target, c Case) (*http.Response, []byte, error) {
	base, err := url.Parse(tg.URL)
	if err != nil {
		return nil, nil, err
	}
	var body io.Reader
	switch {
	case c.BodySize > 0:
		body = strings.NewReader(strings.Repeat("x", c.BodySize))
	case c.Body != "":
		body = strings.NewReader(c.Body)
	}
	path, query, _ := strings.Cut(c.Path, "?")
	// Opaque keeps the path byte for byte: no cleaning, no re-escaping.
	u := &url.URL{Scheme: base.Scheme, Host: base.Host, Opaque: path, RawQuery: query}
	req, err := http.NewRequest(c.Method, u.String(), body)
	if err != nil {
		return nil, nil, err
	}
	req.URL = u
	for k, v := range c.Headers {
		v, err := substTokens(tg, v)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set(k, v)
	}
	if c.Token != "" {
		tok, ok := tg.Seeded.Tokens[c.Token]
		if !ok {
			return nil, nil, fmt.Errorf("unknown token name %q", c.Token)
		}
		if c.Tamper {
			tok = tok[:len(tok)-4] + "AAAA"
			if tok == tg.Seeded.Tokens[c.Token] {
				tok = tok[:len(tok)-4] + "BBBB"
			}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if c.HeaderSize > 0 {
		req.Header.Set("X-Padding", strings.Repeat("p", c.HeaderSize))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
	return resp, respBody, nil
}

var rawToken = regexp.MustCompile(`\$token:([a-z0-9_]+)`)

// substTokens replaces each $token:NAME in s with the seeded token NAME.
func substTokens(tg Target, s string) (string, error) {
	var missing string
	s = rawToken.ReplaceAllStringFunc(s, func(m string) string {
		name := strings.TrimPrefix(m, "$token:")
		tok, ok := tg.Seeded.Tokens[name]
		if !ok {
			missing = name
		}
		return tok
	})
	if missing != "" {
		return "", fmt.Errorf("unknown token name %q", missing)
	}
	return s, nil
}

// sendRaw writes the case's raw request on a new connection, reads the
// first response, and then whether the connection is closed: it waits for
// the end of the stream, and reports a second response as an error.
func sendRaw(tg Target, c Case) (*http.Response, []byte, bool, error) {
	base, err := url.Parse(tg.URL)
	if err != nil {
		return nil, nil, false, err
	}
	raw, err := substTokens(tg, c.Raw)
	if err != nil {
		return nil, nil, false, err
	}
	raw = strings.ReplaceAll(raw, "$host", base.Host)
	conn, err := net.DialTimeout("tcp", base.Host, 5*time.Second)
	if err != nil {
		return nil, nil, false, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		return nil, nil, false, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, false, fmt.Errorf("reading the response: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, false, fmt.Errorf("reading the response body: %w", err)
	}
	if c.Expect.Closed == nil || !*c.Expect.Closed {
		return resp, body, false, nil
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if second, err := http.ReadResponse(br, nil); err == nil {
		b, _ := io.ReadAll(second.Body)
		return resp, body, false, fmt.Errorf("the connection stayed open: a second response %d %.200q followed", second.StatusCode, b)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return resp, body, false, nil // still open, nothing sent
	}
	return resp, body, true, nil
}

// check compares what came back with the case's expectation.
func check(tg Target, c Case, before int, resp *http.Response, respBody []byte, closed bool) error {
	reqID := resp.Header.Get("X-Request-Id")
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if resp.StatusCode != c.Expect.Status {
		fail("status %d, want %d (body %.200q)", resp.StatusCode, c.Expect.Status, respBody)
	}
	if c.Expect.Error != "" {
		var eb struct {
			Error struct {
				Code      string `json:"code"`
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		if err := json.Unmarshal(respBody, &eb); err != nil {
			fail("error body is not JSON: %.200q", respBody)
		} else {
			if eb.Error.Code != c.Expect.Error {
				fail("error code %q, want %q", eb.Error.Code, c.Expect.Error)
			}
			if eb.Error.RequestID == "" || eb.Error.RequestID != reqID {
				fail("error request_id %q, response X-Request-Id %q", eb.Error.RequestID, reqID)
			}
		}
	}
	switch {
	case c.Expect.ByPlatform && reqID != "":
		fail("X-Request-Id %q: the gateway answered, want the platform's own answer", reqID)
	case !c.Expect.ByPlatform && reqID == "":
		fail("no X-Request-Id in the response")
	}
	subst := func(s string) string {
		switch {
		case s == "$client":
			return tg.Client
		case s == "$request_id":
			return reqID
		case strings.HasPrefix(s, "$token_id:"):
			return tg.Seeded.Records[strings.TrimPrefix(s, "$token_id:")].ID
		}
		return s
	}
	for k, want := range c.Expect.Headers {
		if got := resp.Header.Get(k); !matches(got, subst(want)) {
			fail("response %s = %q, want %q", k, got, subst(want))
		}
	}
	for _, k := range c.Expect.Absent {
		if got := resp.Header.Values(k); len(got) > 0 {
			fail("response has %s = %q, want none", k, got)
		}
	}
	if c.Expect.Closed != nil && *c.Expect.Closed != closed {
		fail("connection closed after the answer = %v, want %v", closed, *c.Expect.Closed)
	}
	forwarded := tg.Origin.Count() > before
	if c.Expect.Forwarded != nil && *c.Expect.Forwarded != forwarded {
		fail("forwarded to the origin = %v, want %v", forwarded, *c.Expect.Forwarded)
	}
	if oe := c.Expect.Origin; oe != nil {
		seen, ok := tg.Origin.Seen(reqID)
		if !ok {
			fail("origin did not see request %q", reqID)
		} else {
			if oe.Path != "" && seen.Path != oe.Path {
				fail("origin path %q, want %q", seen.Path, oe.Path)
			}
			if oe.Query != "" && seen.Query != oe.Query {
				fail("origin query %q, want %q", seen.Query, oe.Query)
			}
			if oe.Body != "" && seen.Body != oe.Body {
				fail("origin body %q, want %q", seen.Body, oe.Body)
			}
			for k, want := range oe.Headers {
				if got := seen.Header.Values(k); len(got) != 1 || !matches(got[0], subst(want)) {
					fail("origin %s = %q, want [%q]", k, got, subst(want))
				}
			}
			for _, k := range oe.Absent {
				if got := seen.Header.Values(k); len(got) > 0 {
					fail("origin saw %s = %q, want none", k, got)
				}
			}
		}
	}
	if len(problems) > 0 {
		what := c.Method + " " + c.Path
		if c.Raw != "" {
			what = fmt.Sprintf("raw %.80q", c.Raw)
		}
		return fmt.Errorf("%s:\n\t%s", what, strings.Join(problems, "\n\t"))
	}
	return nil
}
