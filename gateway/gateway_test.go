package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, gateway.Limit, time.Time) (gateway.LimitDecision, error) {
	return gateway.LimitDecision{}, errors.New("limiter down")
}

func newTestGateway(t *testing.T, cfg gateway.Config) (*gateway.Gateway, string) {
	t.Helper()
	tok := "rpt_abcdefgh_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	rec := gateway.TokenRecord{ID: "abcdefgh", Hash: gateway.HashToken(tok), Tenant: "t1", Rate: 10, Burst: 10}
	if cfg.Tokens == nil {
		cfg.Tokens = gateway.TokenStoreFunc(func(_ context.Context, h string) (*gateway.TokenRecord, error) {
			if h == rec.ID {
				r := rec
				return &r, nil
			}
			return nil, gateway.ErrTokenNotFound
		})
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g, tok
}

func request(tok string, h map[string]string) *gateway.Request {
	r := &gateway.Request{Method: "GET", Path: "/x", Header: gateway.Header{}, RemoteAddr: "192.0.2.1", ContentLength: -1}
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func TestGateway_failsClosed(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{Limiter: failingLimiter{}})
	if res := g.Handle(context.Background(), request(tok, nil)); res.Err == nil || res.Err.Status != 503 || res.Forward != nil {
		t.Fatalf("failing limiter: %+v", res.Err)
	}
	g, tok = newTestGateway(t, gateway.Config{Tokens: gateway.TokenStoreFunc(func(context.Context, string) (*gateway.TokenRecord, error) {
		return nil, errors.New("store down")
	})})
	if res := g.Handle(context.Background(), request(tok, nil)); res.Err == nil || res.Err.Status != 503 {
		t.Fatalf("failing store: %+v", res.Err)
	}
}

func TestGateway_storeReturningAnotherRecord(t *testing.T) {
	// A store that matches loosely must not let a token through on another
	// token's record: the hash is compared again.
	other := gateway.TokenRecord{ID: "other", Hash: strings.Repeat("0", 64)}
	g, tok := newTestGateway(t, gateway.Config{Tokens: gateway.TokenStoreFunc(func(context.Context, string) (*gateway.TokenRecord, error) {
		return &other, nil
	})})
	if res := g.Handle(context.Background(), request(tok, nil)); res.Err == nil || res.Err.Code != gateway.CodeInvalidToken {
		t.Fatalf("got %+v, want invalid_token", res.Err)
	}
}

func TestGateway_platformAddressHeadersNotTrusted(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{})
	res := g.Handle(context.Background(), request(tok, map[string]string{
		"cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "203.0.113.9", "x-client-ip": "203.0.113.9",
	}))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	h := res.Forward.Header
	if h.Get("x-forwarded-for") != "192.0.2.1" || h.Get("cf-connecting-ip") != "" || h.Get("x-client-ip") != "" {
		t.Fatalf("forwarded %v", h)
	}
	if h.Get("authorization") != "" {
		t.Fatal("authorization forwarded by default")
	}
}

func TestGateway_forwardAuthorization(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{ForwardAuthorization: true})
	res := g.Handle(context.Background(), request(tok, nil))
	if res.Err != nil || res.Forward.Header.Get("authorization") != "Bearer "+tok {
		t.Fatalf("%+v", res)
	}
}

func TestGateway_duplicateAuthorization(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{})
	r := request(tok, nil)
	r.Header.Add("Authorization", "Bearer "+tok)
	if res := g.Handle(context.Background(), r); res.Err == nil || res.Err.Code != gateway.CodeInvalidToken {
		t.Fatalf("two Authorization fields: %+v", res.Err)
	}
}

func TestNew_badRoute(t *testing.T) {
	if _, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "api", Public: true}}}); err == nil {
		t.Error("prefix without / accepted")
	}
	if _, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/api"}}}); err == nil {
		t.Error("token route without a token store accepted")
	}
}

// TestGateway_upstreamEditsTheRequestHeader checks that the forwarded
// fields are the request's own map, edited in place, and that the one-value
// fields the gateway sets on the request and on the response can be
// appended to on either side without changing the other.
func TestGateway_upstreamEditsTheRequestHeader(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{})
	req := request(tok, nil)
	req.Header["accept"] = []string{"text/plain"}
	req.Header["connection"] = []string{"close, X-Hop"}
	req.Header["x-hop"] = []string{"1"}
	req.Header["x-request-id"] = []string{"spoofed"}
	res := g.Handle(context.Background(), req)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	up := res.Forward.Header
	if reflect.ValueOf(up).UnsafePointer() != reflect.ValueOf(req.Header).UnsafePointer() {
		t.Fatal("the forwarded fields are not the request's map")
	}
	for _, k := range []string{"connection", "x-hop", "authorization"} {
		if _, ok := up[k]; ok {
			t.Errorf("%s forwarded", k)
		}
	}
	if got := up["accept"]; len(got) != 1 || got[0] != "text/plain" {
		t.Errorf("forwarded accept = %q", got)
	}
	fwd := up["x-request-id"]
	if len(fwd) != 1 || fwd[0] != res.RequestID {
		t.Fatalf("forwarded x-request-id = %q, want [%q]", fwd, res.RequestID)
	}
	up.Add("x-request-id", "added")
	up.Add("x-forwarded-proto", "added")
	if got := res.Header["x-request-id"]; len(got) != 1 || got[0] != res.RequestID {
		t.Errorf("response x-request-id = %q after an append to the forwarded one", got)
	}
	res.Header.Add("ratelimit", "added")
	if got := res.Header["ratelimit"]; len(got) != 2 || strings.Contains(got[0], "added") {
		t.Errorf("response ratelimit = %q", got)
	}
	// Another request's X-Forwarded-Proto is not the one appended to.
	res = g.Handle(context.Background(), request(tok, nil))
	if got := res.Forward.Header["x-forwarded-proto"]; len(got) != 1 || got[0] != "http" {
		t.Errorf("next request's x-forwarded-proto = %q", got)
	}
	// A refused request's fields are left as they were.
	req = request("rpt_unknown1_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", map[string]string{"x-forwarded-for": "203.0.113.9"})
	if res := g.Handle(context.Background(), req); res.Err == nil || req.Header.Get("x-forwarded-for") != "203.0.113.9" || req.Header.Get("authorization") == "" {
		t.Errorf("refused request's header edited: %v %q", res.Err, req.Header)
	}
}

// TestGateway_underscoreTwins checks that a lowercase request's fields
// that name a removed or gateway-set field with "_" for "-" (one variable to
// a CGI-style origin) are not forwarded, and that other names with "_" are;
// nor is Proxy, a CGI origin's HTTP_PROXY (httpoxy).
func TestGateway_underscoreTwins(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{})
	req := request(tok, map[string]string{"x-rampart_tenant": "spoofed", "x_request_id": "spoofed", "x-forwarded_proto": "spoofed", "x_custom": "kept", "proxy": "spoofed"})
	res := g.Handle(context.Background(), req)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for k, v := range res.Forward.Header {
		if v[0] == "spoofed" {
			t.Errorf("forwarded %s: %q", k, v)
		}
	}
	if got := res.Forward.Header.Get("x_custom"); got != "kept" {
		t.Errorf("x_custom = %q, want it forwarded", got)
	}
}

// TestGateway_canonicalHeader checks that a request whose fields are named
// in net/http's canonical form gets the same decision as in lowercase, with
// the gateway's fields named canonically, and that a name in neither form
// is still matched in any case.
func TestGateway_canonicalHeader(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{ForwardedHost: "api.example"})
	for _, c := range []struct {
		name    string
		fields  map[string][]string
		status  int
		wantOut []string // forwarded field names besides the gateway's
	}{
		{"token", map[string][]string{"Authorization": {"Bearer " + tok}, "Accept": {"*/*"}, "User-Agent": {"x"}}, 0, []string{"Accept", "User-Agent"}},
		{"hop-by-hop and named", map[string][]string{
			"Authorization": {"Bearer " + tok}, "Connection": {"keep-alive, X-Secret"}, "Keep-Alive": {"5"}, "X-Secret": {"s"},
			"Te": {"trailers"}, "X-Forwarded-For": {"203.0.113.9"}, "X-Rampart-Tenant": {"other"}, "Accept": {"*/*"},
		}, 0, []string{"Accept"}},
		{"odd case still dropped", map[string][]string{
			"Authorization": {"Bearer " + tok}, "x-forwarded-for": {"203.0.113.9"}, "X-REAL-IP": {"203.0.113.9"}, "keep-ALIVE": {"5"}, "Accept": {"*/*"},
		}, 0, []string{"Accept"}},
		{"underscore twins dropped", map[string][]string{
			"Authorization": {"Bearer " + tok}, "X-Rampart_Tenant": {"spoofed"}, "X-Rampart-Token_id": {"spoofed"}, "X_forwarded_for": {"spoofed"},
			"X-Forwarded_Host": {"spoofed"}, "X-Request_id": {"spoofed"}, "X_real_ip": {"spoofed"}, "Keep_alive": {"5"}, "X_custom": {"kept"}, "Accept": {"*/*"},
		}, 0, []string{"Accept", "X_custom"}},
		{"missing", map[string][]string{"Accept": {"*/*"}}, 401, nil},
		{"a name that is not a token", map[string][]string{"Authorization": {"Bearer " + tok}, "Content-Length ": {"37"}}, 400, nil},
		{"a name with a control byte", map[string][]string{"Authorization": {"Bearer " + tok}, "X-A\x00": {"1"}}, 400, nil},
		{"an empty name", map[string][]string{"Authorization": {"Bearer " + tok}, "": {"1"}}, 400, nil},
		{"a name in another case is the same field", map[string][]string{"authorization": {"Bearer " + tok}, "ACCEPT": {"*/*"}}, 0, []string{"Accept"}},
		{"two spellings of Authorization are two fields", map[string][]string{"Authorization": {"Bearer " + tok}, "authorization": {"Bearer " + tok}}, 401, nil},
		{"two spellings of Transfer-Encoding", map[string][]string{"Authorization": {"Bearer " + tok}, "transfer-encoding": {"chunked"}, "Content-Length": {"3"}}, 400, nil},
		{"smuggling", map[string][]string{"Authorization": {"Bearer " + tok}, "Transfer-Encoding": {"chunked"}, "Content-Length": {"3"}}, 400, nil},
		{"expectation", map[string][]string{"Authorization": {"Bearer " + tok}, "Expect": {"nothing"}}, 417, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := &gateway.Request{Method: "GET", Path: "/x", Header: gateway.Header(c.fields), CanonicalHeader: true, RemoteAddr: "192.0.2.1", ContentLength: -1}
			sent := req.Header.Clone()
			res := g.Handle(context.Background(), req)
			for k := range sent {
				// A name in another case: the gateway works on a copy.
				if k != http.CanonicalHeaderKey(k) && !reflect.DeepEqual(gateway.Header(c.fields), sent) {
					t.Errorf("the caller's fields, with %q, were edited: %q", k, c.fields)
				}
			}
			if got := res.Header["X-Request-Id"]; len(got) != 1 || got[0] != res.RequestID {
				t.Errorf("response X-Request-Id = %q", got)
			}
			for k := range res.Header {
				if k != http.CanonicalHeaderKey(k) {
					t.Errorf("response field %q is not canonical", k)
				}
			}
			if c.status != 0 {
				if res.Err == nil || res.Err.Status != c.status {
					t.Fatalf("got %+v, want %d", res.Err, c.status)
				}
				if c.status == 400 && !res.Close {
					t.Errorf("400 without Close")
				}
				if c.status == 401 && res.Header["Www-Authenticate"] == nil {
					t.Errorf("401 without Www-Authenticate: %q", res.Header)
				}
				return
			}
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			want := map[string]string{
				"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Host": "api.example", "X-Forwarded-Proto": "http",
				"X-Request-Id": res.RequestID, "X-Rampart-Token-Id": "abcdefgh", "X-Rampart-Tenant": "t1",
			}
			for _, k := range c.wantOut {
				for ck, v := range c.fields {
					if strings.EqualFold(ck, k) {
						want[k] = v[0]
					}
				}
			}
			up := res.Forward.Header
			for k, v := range up {
				if w, ok := want[k]; !ok || len(v) != 1 || v[0] != w {
					t.Errorf("forwarded %s = %q", k, v)
				}
			}
			if len(up) != len(want) {
				t.Errorf("forwarded %d fields, want %d: %q", len(up), len(want), up)
			}
			if res.Header["Ratelimit"] == nil || res.Header["Ratelimit-Policy"] == nil {
				t.Errorf("response fields %q", res.Header)
			}
		})
	}
}

// TestGateway_badTokensAllSayInvalidToken checks that the response never
// tells a revoked or expired token from an unknown one, while the access
// log names the reason and the token id.
func TestGateway_badTokensAllSayInvalidToken(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	recs := map[string]gateway.TokenRecord{}
	mk := func(id string, mod func(*gateway.TokenRecord)) string {
		tok := "rpt_" + id + "_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
		r := gateway.TokenRecord{ID: id, Hash: gateway.HashToken(tok), Tenant: "t"}
		if mod != nil {
			mod(&r)
		}
		recs[id] = r
		return tok
	}
	revoked := mk("revoked1", func(r *gateway.TokenRecord) { r.Revoked = true })
	expired := mk("expired1", func(r *gateway.TokenRecord) { r.ExpiresAt = now.Add(-time.Second) })
	good := mk("goodgood", nil)
	var logs bytes.Buffer
	g, err := gateway.New(gateway.Config{
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Tokens: gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
			if r, ok := recs[id]; ok {
				return &r, nil
			}
			return nil, gateway.ErrTokenNotFound
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, auth, reason, id string }{
		{"revoked", "Bearer " + revoked, gateway.AuthRevoked, "revoked1"},
		{"expired", "Bearer " + expired, gateway.AuthExpired, "expired1"},
		{"wrong secret", "Bearer " + good[:len(good)-3] + "xyz", gateway.AuthWrongSecret, "goodgood"},
		{"unknown id", "Bearer rpt_nobody00_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", gateway.AuthUnknownID, "nobody00"},
		{"malformed", "Bearer rpt_x", gateway.AuthMalformed, ""},
		{"basic", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", gateway.AuthNotBearer, ""},
	} {
		logs.Reset()
		req := request("", map[string]string{"authorization": c.auth})
		res := g.Handle(context.Background(), req)
		if res.Err == nil || res.Err.Status != 401 || res.Err.Code != gateway.CodeInvalidToken {
			t.Errorf("%s: %+v, want 401 invalid_token", c.name, res.Err)
			continue
		}
		if body := string(gateway.ErrorBody(res.Err, res.RequestID)); strings.Contains(body, "revoked") || strings.Contains(body, "expired") || strings.Contains(body, "secret") {
			t.Errorf("%s: body %s names the reason", c.name, body)
		}
		g.LogAccess(context.Background(), req, res, res.Err.Status, 0)
		var rec map[string]any
		if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["auth_error"] != c.reason || rec["token_id"] != c.id {
			t.Errorf("%s: logged auth_error %v token_id %v, want %q %q", c.name, rec["auth_error"], rec["token_id"], c.reason, c.id)
		}
	}
}

// TestGateway_authFailureLimit floods one address with made-up tokens: past
// the failure budget the store is no longer asked, valid tokens from other
// addresses still pass, and the budget refills.
func TestGateway_authFailureLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var lookups int
	tok := "rpt_abcdefgh_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	rec := gateway.TokenRecord{ID: "abcdefgh", Hash: gateway.HashToken(tok), Tenant: "t1"}
	g, err := gateway.New(gateway.Config{
		AuthFailureLimit: gateway.LimitConfig{Rate: 1, Period: gateway.Duration(time.Second), Burst: 5},
		Now:              func() time.Time { return now },
		Tokens: gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
			lookups++
			if id == rec.ID {
				r := rec
				return &r, nil
			}
			return nil, gateway.ErrTokenNotFound
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	from := func(addr, token string) *gateway.Result {
		r := request(token, nil)
		r.RemoteAddr = addr
		return g.Handle(context.Background(), r)
	}
	for i := range 20 {
		res := from("192.0.2.7", fmt.Sprintf("rpt_bogus%03d_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", i))
		want := 401
		if i >= 5 {
			want = 429
		}
		if res.Err == nil || res.Err.Status != want {
			t.Fatalf("random token %d: %+v, want %d", i, res.Err, want)
		}
		if want == 429 && (res.AuthError != gateway.AuthThrottled || res.Header.Get("retry-after") == "") {
			t.Fatalf("throttled refusal: auth_error %q, retry-after %q", res.AuthError, res.Header.Get("retry-after"))
		}
	}
	if lookups != 5 {
		t.Errorf("%d store lookups for 20 made-up tokens, want 5 (the budget)", lookups)
	}
	// A valid token from the throttled address is refused too (the limit
	// is before authentication); from another address it passes.
	if res := from("192.0.2.7", tok); res.Err == nil || res.Err.Status != 429 {
		t.Errorf("valid token from the throttled address: %+v, want 429", res.Err)
	}
	if res := from("192.0.2.8", tok); res.Err != nil {
		t.Errorf("valid token from another address: %+v", res.Err)
	}
	// Successes do not spend the budget.
	for range 50 {
		if res := from("192.0.2.9", tok); res.Err != nil {
			t.Fatalf("valid token: %+v", res.Err)
		}
	}
	// IPv6 addresses in one /64 share a budget.
	for i := range 6 {
		res := from(fmt.Sprintf("2001:db8:1:2::%x", i+1), "rpt_bogus999_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG")
		if want := map[bool]int{true: 429, false: 401}[i >= 5]; res.Err == nil || res.Err.Status != want {
			t.Fatalf("IPv6 %d: %+v, want %d", i, res.Err, want)
		}
	}
	now = now.Add(time.Second)
	if res := from("192.0.2.7", "rpt_bogus998_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"); res.Err == nil || res.Err.Status != 401 {
		t.Errorf("after a second: %+v, want the budget refilled by one (401)", res.Err)
	}
}

func TestGateway_forwardedHostAndQuery(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{})
	r := request(tok, nil)
	r.Host = "evil.example"
	r.Query = "a=1&access_token=rpt_x_y&b=2;api_key=k&Access%5FToken=z&c"
	res := g.Handle(context.Background(), r)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if h := res.Forward.Header.Get("x-forwarded-host"); h != "" {
		t.Errorf("x-forwarded-host %q without configuration, want none", h)
	}
	if q := res.Forward.Query; q != "a=1&b=2&c" {
		t.Errorf("forwarded query %q, want a=1&b=2&c", q)
	}
	g, tok = newTestGateway(t, gateway.Config{ForwardedHost: "api.example.com", StripQuery: []string{}})
	r = request(tok, nil)
	r.Host, r.Query = "evil.example", "access_token=x"
	res = g.Handle(context.Background(), r)
	if res.Err != nil || res.Forward.Header.Get("x-forwarded-host") != "api.example.com" || res.Forward.Query != "access_token=x" {
		t.Errorf("configured: %+v %+v", res.Err, res.Forward)
	}
}

func TestGateway_hosts(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{Hosts: []string{"api.example.com", "127.0.0.1:8080"}})
	for host, want := range map[string]int{
		"api.example.com": 0, "API.example.com.": 0, "api.example.com:80": 0, "127.0.0.1:8080": 0,
		"127.0.0.1": 421, "evil.example": 421, "": 421, "api.example.com:8443": 421,
	} {
		r := request(tok, nil)
		r.Host = host
		res := g.Handle(context.Background(), r)
		if got := 0; res.Err != nil {
			got = res.Err.Status
			if got != want {
				t.Errorf("host %q: %d, want %d", host, got, want)
			}
		} else if want != 0 {
			t.Errorf("host %q forwarded, want %d", host, want)
		}
	}
}

func TestStripQuery(t *testing.T) {
	names := []string{"access_token"}
	tok, _, err := gateway.GenerateToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"":                               "",
		"a=1":                            "a=1",
		"access_token=x":                 "",
		"access_token":                   "",
		"a=1&access_token=x":             "a=1",
		"access_token=x&a=1":             "a=1",
		"a=1&access_token=x&b=2":         "a=1&b=2",
		"a=1;access_token=x;b=2":         "a=1;b=2",
		"ACCESS_TOKEN=x&a=%41":           "a=%41",
		"access%5ftoken=x&access+token=": "access+token=",
		"a=access_token&b=access_token=": "a=access_token&b=access_token=",
		"a=1&&b=2":                       "a=1&&b=2",
		"access_tokens=1&x_access_token": "access_tokens=1&x_access_token",
		"%zz=1&access_token=1":           "%zz=1",
		// A Rampart token under any name, encoded or not, is removed.
		"token=" + tok + "&a=1":                                  "a=1",
		"a=1&t=Bearer%20" + strings.Replace(tok, "_", "%5F", -1): "a=1",
		"a=rpt_report&b=rpt_x_short":                             "a=rpt_report&b=rpt_x_short",
		"next=rpt_rpt_" + tok[4:]:                                "",
		// ... and as a parameter's name, bare, encoded or inside one.
		tok + "&a=1":                         "a=1",
		"a=1&" + tok + "=1":                  "a=1",
		"a=1&%72pt_" + tok[4:] + "=1":        "a=1",
		"x[" + tok + "]=1&a=1":               "a=1",
		"a=1;" + strings.ToUpper(tok) + "=1": "a=1;" + strings.ToUpper(tok) + "=1", // not a token: the prefix is lowercase
	} {
		if got := gateway.StripQuery(in, names); got != want {
			t.Errorf("StripQuery(%q) = %q, want %q", in, got, want)
		}
	}
	// The longest token the format allows is found; one byte more is no
	// token (the scan is bounded there).
	longest := "rpt_" + strings.Repeat("i", 64) + "_" + strings.Repeat("s", 256)
	if got := gateway.StripQuery("a=1&t="+longest, names); got != "a=1" {
		t.Errorf("the longest token was kept: %q", got)
	}
	if q := "t=" + longest + "s"; gateway.StripQuery(q, names) != q {
		t.Errorf("a value one byte longer than any token was stripped")
	}
	// An empty list removes nothing, tokens included.
	if q := "token=" + tok; gateway.StripQuery(q, []string{}) != q {
		t.Errorf("StripQuery with no names removed %q", q)
	}
}

// BenchmarkStripQuery_repeatedPrefix: a 16 KB query value of candidates
// that are never tokens ("rpt_" and an id over 64 characters, repeated),
// the token scan's worst case: each candidate's run of token characters
// reaches the value's end, so unbounded scans cost quadratic work.
func BenchmarkStripQuery_repeatedPrefix(b *testing.B) {
	q := "x=" + strings.Repeat("rpt_"+strings.Repeat("a", 70), 220)
	for b.Loop() {
		if got := gateway.StripQuery(q, []string{"access_token"}); got != q {
			b.Fatal("a value without a token was stripped")
		}
	}
}

// TestHoldsToken_sameAsEachCandidateParsed compares the query-token scan
// with parsing every candidate on its own, on random strings of the bytes
// that matter (and tokens at the bounds).
func TestHoldsToken_sameAsEachCandidateParsed(t *testing.T) {
	parts := []string{"rpt_", "rpt", "_", "a", "Z", "9", "-", ".", "=", "&", "%5F", "%72", "+", " ",
		strings.Repeat("s", 16), strings.Repeat("s", 15), strings.Repeat("i", 64), strings.Repeat("s", 256), strings.Repeat("s", 200)}
	rng := mrand.New(mrand.NewPCG(17, 17))
	for n := range 30000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		v := b.String()
		if got, want := gateway.HoldsToken(v), gateway.HoldsTokenSlow(v); got != want {
			t.Fatalf("case %d: HoldsToken(%q) = %v, want %v", n, v, got, want)
		}
	}
}

// FuzzHoldsToken checks the query-token scan against parsing every
// candidate on its own.
func FuzzHoldsToken(f *testing.F) {
	f.Add("rpt_abcdefgh_0123456789abcdefghijkl")
	f.Add("x=rpt_rpt_rpt_rpt_rpt_rpt_rpt_rpt_rpt_")
	f.Add("%72pt_a_" + strings.Repeat("s", 16))
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := gateway.HoldsToken(v), gateway.HoldsTokenSlow(v); got != want {
			t.Fatalf("HoldsToken(%q) = %v, want %v", v, got, want)
		}
	})
}

// BenchmarkStripQuery_candidates: 16 KB queries of the scan's worst cases
// for per-candidate parsing: "rpt_" repeated (a bare name), and runs of
// "rpt_" as long as the longest token between separators.
func BenchmarkStripQuery_candidates(b *testing.B) {
	for _, bc := range []struct{ name, q string }{
		{"prefix-repeated", strings.Repeat("rpt_", 4096)},
		{"longest-runs", strings.Repeat(strings.Repeat("rpt_", 81)+".", 50)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				gateway.StripQuery(bc.q, []string{"access_token"})
			}
		})
	}
}

// TestGateway_methodOverride checks that on a route with Methods, the
// fields frameworks read as the request's real method must name allowed
// methods too, in either header form and any spelling.
func TestGateway_methodOverride(t *testing.T) {
	g, tok := newTestGateway(t, gateway.Config{Routes: []gateway.Route{
		{Name: "read", Prefix: "/x", Methods: []string{"GET", "POST"}},
		{Name: "any", Prefix: "/y"},
	}})
	for _, c := range []struct {
		name      string
		path      string
		field     string
		value     string
		canonical bool
		want      int // 0: forwarded
	}{
		{"allowed", "/x", "x-http-method-override", "post", false, 0},
		{"refused", "/x", "x-http-method-override", "DELETE", false, 405},
		{"refused canonical", "/x", "X-Http-Method-Override", "DELETE", true, 405},
		{"refused in another case than the form", "/x", "X-HTTP-METHOD", "put", true, 405},
		{"refused underscore twin", "/x", "X_Method_Override", "PATCH", true, 405},
		{"refused later in a list", "/x", "x-method-override", "GET, DELETE", false, 405},
		{"empty names nothing", "/x", "x-http-method-override", "", false, 0},
		{"route without Methods", "/y", "x-http-method-override", "DELETE", false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := request(tok, nil)
			req.Path = c.path
			if c.canonical {
				req.CanonicalHeader = true
				req.Header = gateway.Header{"Authorization": req.Header["authorization"]}
			}
			req.Header[c.field] = []string{c.value}
			res := g.Handle(context.Background(), req)
			switch {
			case c.want == 0 && res.Err != nil:
				t.Fatalf("refused: %+v", res.Err)
			case c.want != 0 && (res.Err == nil || res.Err.Status != c.want):
				t.Fatalf("got %+v, want %d", res.Err, c.want)
			}
		})
	}
}
