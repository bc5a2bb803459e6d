package gateway_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// vectorSeeds returns the vectors file's cases and configuration, the
// seeds of every fuzz target here.
func vectorSeeds(tb testing.TB) (paths, headerLines []string, config []byte) {
	tb.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var v struct {
		Config json.RawMessage `json:"config"`
		Cases  []struct {
			Path    string            `json:"path"`
			Raw     string            `json:"raw"`
			Headers map[string]string `json:"headers"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	for _, c := range v.Cases {
		p, _, _ := strings.Cut(c.Path, "?")
		if c.Raw != "" {
			line, rest, _ := strings.Cut(c.Raw, "\r\n")
			if f := strings.Fields(line); len(f) == 3 {
				p, _, _ = strings.Cut(f[1], "?")
			}
			head, _, _ := strings.Cut(rest, "\r\n\r\n")
			headerLines = append(headerLines, strings.ReplaceAll(head, "\r\n", "\n"))
		}
		if p != "" {
			paths = append(paths, p)
		}
		var hl []string
		for k, val := range c.Headers {
			hl = append(hl, k+": "+val)
		}
		headerLines = append(headerLines, strings.Join(hl, "\n"))
	}
	return paths, headerLines, v.Config
}

// FuzzCleanPath checks the path the gateway forwards: accepted paths are
// kept byte for byte, never leave the origin's space, never name another
// host, and mean the same to net/url (which the native client sends) as to
// the gateway, including which route they match.
func FuzzCleanPath(f *testing.F) {
	paths, _, _ := vectorSeeds(f)
	for _, p := range paths {
		f.Add(p)
	}
	f.Add("/%61dmin/users")
	f.Add("/admin;x=1/users")
	f.Fuzz(func(t *testing.T, p string) {
		out, err := gateway.CleanPath(p, 0)
		if err != nil {
			return
		}
		if out != p {
			t.Fatalf("CleanPath(%q) = %q: not byte for byte", p, out)
		}
		// Behind an origin with a base path, as httpproxy joins them.
		u, err := url.Parse("http://origin.example/base" + out)
		if err != nil {
			t.Fatalf("net/url cannot parse the forwarded %q: %v", out, err)
		}
		if u.Host != "origin.example" || u.User != nil {
			t.Fatalf("%q names another host or user: %+v", out, u)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			t.Fatalf("%q carries a query or fragment for net/url", out)
		}
		if got := u.EscapedPath(); got != "/base"+out {
			t.Fatalf("net/url would send %q for %q", got, out)
		}
		clean := path.Clean(u.Path)
		if !strings.HasPrefix(clean+"/", "/base/") {
			t.Fatalf("%q leaves the origin's space: %q", out, clean)
		}
		dec, _ := url.PathUnescape(out)
		for _, seg := range strings.Split(dec, "/")[1:] {
			if seg == "." || seg == ".." || strings.ContainsAny(seg, "\\;") {
				t.Fatalf("%q decodes to the segment %q", out, seg)
			}
		}
		if strings.Contains(dec, "//") || u.Path != "/base"+dec {
			t.Fatalf("%q decodes to %q (net/url: %q)", out, dec, u.Path)
		}
		// The route the gateway picks is the one for the decoded path,
		// which is what the origin routes on.
		want := "rest"
		for _, r := range fuzzRoutes[:3] {
			dp, _ := url.PathUnescape(strings.TrimSuffix(r.Prefix, "/"))
			if dec == dp || strings.HasPrefix(dec, dp+"/") {
				want = r.Name
				break
			}
		}
		res := routeGateway().Handle(context.Background(), &gateway.Request{Method: "GET", Path: out, Header: gateway.Header{}, RemoteAddr: "192.0.2.1"})
		if res.Err != nil || res.Route != want {
			t.Fatalf("%q (decoded %q): route %q, err %v; want route %q", out, dec, res.Route, res.Err, want)
		}
	})
}

var fuzzRoutes = []gateway.Route{
	{Name: "admin", Prefix: "/admin", Public: true},
	{Name: "api", Prefix: "/api/", Public: true},
	{Name: "cafe", Prefix: "/caf%C3%A9", Public: true},
	{Name: "rest", Prefix: "/", Public: true},
}

var routeGateway = sync.OnceValue(func() *gateway.Gateway {
	g, err := gateway.New(gateway.Config{Routes: fuzzRoutes, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	return g
})

// FuzzUpstreamHeader checks the forwarded header fields for any client
// fields: no hop-by-hop field, none the Connection field names, no
// client-chosen forwarding or identity field, the gateway's own values,
// and every other field as the client sent it.
func FuzzUpstreamHeader(f *testing.F) {
	_, lines, _ := vectorSeeds(f)
	for _, l := range lines {
		f.Add(l)
	}
	f.Add("connection: x-a, keep-alive\nx-a: 1\nx-b: 2\nkeep-alive: 5\nte: trailers")
	f.Fuzz(func(t *testing.T, lines string) {
		g, tok := newTestGateway(t, gateway.Config{ForwardedHost: "api.example"})
		req := request(tok, nil)
		for _, l := range strings.Split(lines, "\n") {
			k, v, ok := strings.Cut(l, ":")
			k = strings.ToLower(strings.TrimSpace(k))
			if !ok || k == "" || k == "authorization" || k == "content-length" || k == "transfer-encoding" || k == "expect" {
				continue
			}
			req.Header.Add(k, strings.TrimSpace(v))
		}
		sent := req.Header.Clone() // Handle edits the request's fields into the forwarded ones
		// The same fields in canonical form get the same decision.
		creq := *req
		creq.Header, creq.CanonicalHeader = gateway.Header{}, true
		for k, v := range sent {
			ck := http.CanonicalHeaderKey(k)
			creq.Header[ck] = append(creq.Header[ck], v...)
		}
		res := g.Handle(context.Background(), req)
		cres := g.Handle(context.Background(), &creq)
		if (res.Err == nil) != (cres.Err == nil) {
			t.Fatalf("lowercase: %v; canonical: %v", res.Err, cres.Err)
		}
		if res.Err != nil {
			return // too large, say
		}
		up := res.Forward.Header
		if cup := cres.Forward.Header; len(cup) != len(up) {
			t.Fatalf("canonical form forwards %q, lowercase %q", cup, up)
		}
		for k, v := range cres.Forward.Header {
			if k != http.CanonicalHeaderKey(k) {
				t.Fatalf("canonical form forwards %q", k)
			}
			lk := strings.ToLower(k)
			if lk == "x-request-id" {
				continue
			}
			if w := up[lk]; !reflect.DeepEqual(w, v) {
				t.Fatalf("canonical form forwards %s = %q, lowercase %q", k, v, w)
			}
		}
		named := map[string]bool{}
		for _, v := range sent["connection"] {
			for _, n := range strings.Split(v, ",") {
				named[strings.ToLower(strings.TrimSpace(n))] = true
			}
		}
		// removed reports whether the client's field k must not be
		// forwarded: hop-by-hop, named by Connection, untrusted, or one of
		// those with "_" for "-" (the same variable to a CGI origin).
		removed := func(k string) bool {
			n := strings.ReplaceAll(k, "_", "-")
			return gateway.IsHopByHop(n) || named[k] || n == "host" || n == "authorization" || gateway.IsUntrusted(n)
		}
		own := map[string]string{
			"x-forwarded-for": "192.0.2.1", "x-forwarded-host": "api.example", "x-forwarded-proto": "http",
			"x-request-id": res.RequestID, "x-rampart-token-id": "abcdefgh", "x-rampart-tenant": "t1",
		}
		for k, v := range up {
			if k != strings.ToLower(k) {
				t.Fatalf("forwarded field name %q is not lowercase", k)
			}
			if want, ok := own[k]; ok {
				if len(v) != 1 || v[0] != want {
					t.Fatalf("forwarded %s = %q, want [%q]", k, v, want)
				}
				continue
			}
			if removed(k) {
				t.Fatalf("forwarded %s = %q", k, v)
			}
		}
		for k, v := range sent {
			if _, ok := own[k]; ok || removed(k) {
				continue
			}
			if !reflect.DeepEqual(up[k], v) {
				t.Fatalf("client field %s = %q forwarded as %q", k, v, up[k])
			}
		}
		for k := range own {
			if _, ok := up[k]; !ok {
				t.Fatalf("forwarded request lacks %s", k)
			}
		}
	})
}

// FuzzParseAuthorization checks the Authorization parser: it accepts
// exactly one "Bearer <token>" field with a well-formed token and returns
// that token; anything else has a reason.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("Bearer rpt_abcdefgh_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", "")
	f.Add("bearer   rpt_abcdefgh_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG ", "")
	f.Add("Basic YWxhZGRpbjpvcGVuc2VzYW1l", "")
	f.Add("Bearer rpt_a_b", "Bearer x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, v, second string) {
		values := []string{v}
		if second != "" {
			values = append(values, second)
		}
		token, id, reason := gateway.ParseAuthorization(values)
		if reason != "" {
			if token != "" || id != "" {
				t.Fatalf("reason %q with token %q id %q", reason, token, id)
			}
			if len(values) > 1 && reason != gateway.AuthMultiple {
				t.Fatalf("two fields: reason %q", reason)
			}
			return
		}
		if len(values) != 1 || !strings.EqualFold(v[:7], "bearer ") {
			t.Fatalf("accepted %q", values)
		}
		if strings.TrimRight(strings.TrimLeft(v[7:], " "), " \t") != token {
			t.Fatalf("token %q from %q", token, v)
		}
		gotID, _, err := gateway.ParseToken(token)
		if err != nil || gotID != id {
			t.Fatalf("token %q: id %q, ParseToken %q %v", token, id, gotID, err)
		}
	})
}

// FuzzParseConfig checks the configuration loader: what it accepts makes a
// gateway, and survives a JSON round trip unchanged.
func FuzzParseConfig(f *testing.F) {
	_, _, cfg := vectorSeeds(f)
	f.Add(cfg)
	f.Add([]byte(`{"routes":[{"name":"health","prefix":"/health","public":true,"methods":["GET","HEAD"]},{"name":"api","prefix":"/","scope":"read"}],"anonymous_limit":{"rate":60,"period":"1m","burst":10},"timeout":"30s"}`))
	f.Add([]byte(`{"strip_query":[],"hosts":["api.example.com:8443"],"auth_failure_limit":{"rate":-1}}`))
	f.Add([]byte(`{"routes":[{"prefix":"api"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := gateway.ParseConfig(data)
		if err != nil {
			return
		}
		c.Tokens = gateway.TokenStoreFunc(func(context.Context, string) (*gateway.TokenRecord, error) { return nil, gateway.ErrTokenNotFound })
		if _, err := gateway.New(c); err != nil {
			t.Fatalf("ParseConfig accepted %s, New refused it: %v", data, err)
		}
		c.Tokens = nil
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := gateway.ParseConfig(b)
		if err != nil {
			t.Fatalf("round trip of %s: %s: %v", data, b, err)
		}
		if !reflect.DeepEqual(normal(c), normal(again)) {
			t.Fatalf("round trip changed the configuration:\n%+v\n%+v", c, again)
		}
	})
}

// normal drops the difference JSON cannot keep: a nil and an empty slice of
// methods or hosts mean the same.
func normal(c gateway.Config) gateway.Config {
	c.Routes = append([]gateway.Route(nil), c.Routes...)
	for i := range c.Routes {
		if len(c.Routes[i].Methods) == 0 {
			c.Routes[i].Methods = nil
		}
	}
	if len(c.Routes) == 0 {
		c.Routes = nil
	}
	if len(c.Hosts) == 0 {
		c.Hosts = nil
	}
	c.Timeout = gateway.Duration(time.Duration(c.Timeout))
	return c
}

// FuzzErrorBody checks the hand-written error body against encoding/json.
func FuzzErrorBody(f *testing.F) {
	f.Add("rate_limited", "rate limit exceeded", "abc")
	f.Add("x", "<a href=\"&\">\u2028\x00\xff\\", "\t\n")
	f.Fuzz(func(t *testing.T, code, msg, id string) {
		got := gateway.ErrorBody(&gateway.Error{Status: 400, Code: code, Message: msg}, id)
		var want struct {
			Error struct {
				Code      string `json:"code"`
				Message   string `json:"message"`
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		want.Error.Code, want.Error.Message, want.Error.RequestID = code, msg, id
		w, _ := json.Marshal(want)
		if string(got) != string(w)+"\n" {
			t.Fatalf("ErrorBody = %s, encoding/json %s", got, w)
		}
	})
}
