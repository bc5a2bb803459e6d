// Package gatewaytest runs the gateway's shared test vectors
// (gateway/testdata/vectors.json) against any target that speaks HTTP: the
// native server and the Cloudflare Worker running in workerd pass the same
// table.
//
// A test loads the vectors, seeds its target's token store with [Seed],
// starts an [Origin], points the target at it and calls [Run].
package gatewaytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
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
	Name       string            `json:"name"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`  // path and query, sent byte for byte
	Token      string            `json:"token"` // name of a seeded token to send as a bearer token
	Tamper     bool              `json:"tamper"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	BodySize   int               `json:"body_size"`   // send this many bytes instead of Body
	HeaderSize int               `json:"header_size"` // add a padding field of this size
	Repeat     int               `json:"repeat"`      // send the request this many times (default 1)
	RawPath    bool              `json:"raw_path"`    // informational: the path is deliberately unusual
	Expect     Expect            `json:"expect"`
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
	Forwarded *bool             `json:"forwarded"`
	Origin    *OriginExpect     `json:"origin"`
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
	byHash := map[string]gateway.TokenRecord{}
	for _, r := range s.Records {
		byHash[r.Hash] = r
	}
	return gateway.TokenStoreFunc(func(_ context.Context, hash string) (*gateway.TokenRecord, error) {
		r, ok := byHash[hash]
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
	URL string
	mu  sync.Mutex
	n   int
	by  map[string]Seen
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
	base, err := url.Parse(tg.URL)
	if err != nil {
		return err
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
		return err
	}
	req.URL = u
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	if c.Token != "" {
		tok, ok := tg.Seeded.Tokens[c.Token]
		if !ok {
			return fmt.Errorf("unknown token name %q", c.Token)
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
	before := tg.Origin.Count()
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
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
	if reqID == "" {
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
		return fmt.Errorf("%s %s:\n\t%s", c.Method, c.Path, strings.Join(problems, "\n\t"))
	}
	return nil
}
