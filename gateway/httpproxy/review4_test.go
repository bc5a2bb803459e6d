package httpproxy_test

// review4: a hostile review of the native gateway's client side, by tests
// on raw sockets (the origin side is hostile_origin_test.go's). The worst
// outcomes are a request the gateway did not frame as the client's HTTP
// stack (or a front proxy) did reaching the origin, and a client getting
// more answers than it sent requests, which shifts every later answer on
// a front proxy's pooled connection to the wrong user.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/gateway/httpproxy"
)

// r4Gateway serves a gateway with one public route in front of a raw
// origin that answers each request with its own path (answerOwn). It
// returns the gateway's address, the origin and the gateway's log.
func r4Gateway(t *testing.T, timeout, idle time.Duration) (string, *rawOrigin, interface{ String() string }) {
	t.Helper()
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, timeout, idle, 0, nil)
	return addr, o, logs
}

// r4Exchange writes raw on a new connection to addr and reads every
// answer until the gateway closes the connection (or within, then it
// reports open). A read error other than the end of the stream after the
// first answer ends the reading too.
// methods are the requests' methods in order, where not GET (a HEAD
// answer has no body).
func r4Exchange(t *testing.T, addr, raw string, within time.Duration, methods ...string) (answers []*http.Response, bodies []string, open bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(within))
	go io.WriteString(c, raw) // the gateway may answer before it has read all
	br := bufio.NewReader(c)
	for k := 0; ; {
		req := &http.Request{Method: "GET"}
		if k < len(methods) {
			req.Method = methods[k]
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open = true
			}
			return answers, bodies, open
		}
		if resp.StatusCode >= 200 {
			k++
		}
		b, err := io.ReadAll(resp.Body)
		answers, bodies = append(answers, resp), append(bodies, string(b))
		if err != nil {
			return answers, bodies, false
		}
	}
}

// r4ErrorCode returns the code of a gateway JSON error body, or "".
func r4ErrorCode(body string) string {
	var e struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || e.Error.RequestID == "" {
		return ""
	}
	return e.Error.Code
}

// r4Case is a raw exchange on one connection and what must come back:
// the answers' statuses in order (interim 1xx included), whether the
// gateway then closes the connection, and the paths the origin must never
// see (bytes of a body, requests after a close).
type r4Case struct {
	name    string
	raw     string
	status  []int
	closed  bool
	never   []string
	methods []string                  // the requests' methods where not GET
	headers map[int]map[string]string // answer index -> field -> value ("" = absent; "close": resp.Close)
}

func (tc r4Case) run(t *testing.T, addr string, origin *rawOrigin) {
	t.Helper()
	answers, bodies, open := r4Exchange(t, addr, tc.raw, 5*time.Second, tc.methods...)
	var got []int
	for _, a := range answers {
		got = append(got, a.StatusCode)
	}
	if fmt.Sprint(got) != fmt.Sprint(tc.status) {
		t.Errorf("statuses %v, want %v; bodies %.300q", got, tc.status, bodies)
	}
	if tc.closed == open {
		t.Errorf("connection open after the answers = %v, want %v", open, !tc.closed)
	}
	for i, want := range tc.headers {
		if i >= len(answers) {
			continue
		}
		for k, v := range want {
			g := answers[i].Header.Get(k)
			if k == "close" {
				g = fmt.Sprint(answers[i].Close)
			}
			if g != v {
				t.Errorf("answer %d: %s = %q, want %q", i, k, g, v)
			}
		}
	}
	for i, a := range answers {
		if a.StatusCode >= 400 && a.Request.Method != "HEAD" && r4ErrorCode(bodies[i]) == "" {
			t.Errorf("answer %d: %d is not the gateway's JSON error: %.200q", i, a.StatusCode, bodies[i])
		}
		if a.StatusCode == 200 && !strings.HasPrefix(bodies[i], "for:/") && bodies[i] != "" {
			t.Errorf("answer %d: body %q is not the origin's answer", i, bodies[i])
		}
	}
	for _, p := range tc.never {
		if n := origin.reached(p); n != 0 {
			t.Errorf("origin saw %s %d time(s), want never", p, n)
		}
	}
}

// TestReview4_connectionRules pins what net/http's server does for the
// gateway on one connection, which a server loop of its own must keep:
// keep-alive by version and Connection, HEAD framing, bodies the handler
// refuses without reading (skipped, never parsed as requests; closed when
// large), Expect: 100-continue, obs-fold, the JSON answers of the server's
// own refusals and their closed connections.
func TestReview4_connectionRules(t *testing.T) {
	t.Parallel()
	addr, origin, _ := r4Gateway(t, 5*time.Second, 2*time.Second)
	const h = "Host: gw.test\r\n"
	inBody := "GET /inbody HTTP/1.1\r\n" + h + "\r\n"
	cl := func(s string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(s), s) }
	last := func(p string) string { return "GET " + p + " HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n" }
	for _, tc := range []r4Case{
		{name: "HTTP/1.0 closes after its answer",
			raw: "GET /a10 HTTP/1.0\r\n" + h + "\r\n" + last("/after10"), status: []int{200}, closed: true, never: []string{"/after10"}},
		{name: "HTTP/1.0 keep-alive is kept",
			raw: "GET /k10 HTTP/1.0\r\n" + h + "Connection: keep-alive\r\n\r\n" + last("/k10b"), status: []int{200, 200}, closed: true,
			headers: map[int]map[string]string{0: {"Connection": "keep-alive"}}},
		{name: "Connection: close closes",
			raw: "GET /c HTTP/1.1\r\n" + h + "Connection: keep-alive, close\r\n\r\n" + last("/afterclose"), status: []int{200}, closed: true,
			never: []string{"/afterclose"}, headers: map[int]map[string]string{0: {"close": "true"}}},
		{name: "HEAD answer has no body on the wire",
			raw: "HEAD /head HTTP/1.1\r\n" + h + "\r\n" + last("/afterhead"), status: []int{200, 200}, closed: true,
			methods: []string{"HEAD"}, headers: map[int]map[string]string{0: {"Content-Length": "9"}}},
		{name: "pipelined bodies and requests each get their answer",
			raw: "POST /p1 HTTP/1.1\r\n" + h + cl(inBody) + "PUT /p2 HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n" +
				fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(inBody), inBody) + last("/p3"),
			status: []int{200, 200, 200}, closed: true, never: []string{"/inbody"}},
		{name: "refused request's unread body is not a request",
			raw: "TRACE /refused HTTP/1.1\r\n" + h + cl(inBody) + last("/afterrefused"), status: []int{405, 200}, closed: true,
			never: []string{"/inbody", "/refused"}},
		{name: "refused request's unread chunked body is not a request",
			raw:    "TRACE /refused HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(inBody), inBody) + last("/afterrefusedc"),
			status: []int{405, 200}, closed: true, never: []string{"/inbody", "/refused"}},
		{name: "refused request expecting 100-continue gets no 100",
			raw: "TRACE /refused HTTP/1.1\r\n" + h + "Expect: 100-continue\r\n" + cl(inBody), status: []int{405}, closed: true,
			never: []string{"/inbody", "/refused"}},
		{name: "100-continue then the answer",
			raw: "PUT /expect HTTP/1.1\r\n" + h + "Expect: 100-continue\r\n" + cl("hello") + last("/afterexpect"), status: []int{100, 200, 200}, closed: true},
		{name: "obs-fold does not start a field",
			raw:    "POST /fold HTTP/1.1\r\n" + h + "X-A: 1\r\n Transfer-Encoding: chunked\r\n" + cl(inBody) + last("/afterfold"),
			status: []int{200, 200}, closed: true, never: []string{"/inbody"}},
		{name: "header block over the limit",
			raw: "GET /big HTTP/1.1\r\n" + h + "X-Big: " + strings.Repeat("b", 40<<10) + "\r\n\r\n" + last("/afterbig"), status: []int{431}, closed: true,
			never: []string{"/big", "/afterbig"}},
		{name: "garbage request line",
			raw: "GET /x HTTP/1.1 extra\r\n" + h + "\r\n" + last("/aftergarbage"), status: []int{400}, closed: true, never: []string{"/aftergarbage"}},
		{name: "unsupported HTTP version",
			raw: "GET /v HTTP/3.0\r\n" + h + "\r\n" + last("/afterversion"), status: []int{505}, closed: true, never: []string{"/v", "/afterversion"}},
		{name: "two Host fields",
			raw: "GET /hosts HTTP/1.1\r\n" + h + "Host: other.test\r\n\r\n" + last("/afterhosts"), status: []int{400}, closed: true, never: []string{"/hosts", "/afterhosts"}},
		{name: "differing Content-Lengths",
			raw: "POST /cls HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd" + last("/aftercls"), status: []int{400}, closed: true, never: []string{"/cls", "/aftercls"}},
		{name: "signed Content-Length",
			raw: "POST /sign HTTP/1.1\r\n" + h + "Content-Length: +4\r\n\r\nabcd" + last("/aftersign"), status: []int{400}, closed: true, never: []string{"/sign", "/aftersign"}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, addr, origin) })
	}
}

// TestReview4_largeRefusedUploadStillGetsItsAnswer: a client that keeps
// uploading a large body the gateway refuses without reading must still
// receive the refusal: the server closes its side only after the answer
// is out and without resetting the connection under it (net/http's
// closeWriteAndWait), and the connection ends.
func TestReview4_largeRefusedUploadStillGetsItsAnswer(t *testing.T) {
	t.Parallel()
	addr, origin, _ := r4Gateway(t, 5*time.Second, 2*time.Second)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	const size = 4 << 20
	go func() {
		io.WriteString(cl.c, "TRACE /upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: "+fmt.Sprint(size)+"\r\n\r\n")
		chunk := make([]byte, 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := cl.c.Write(chunk); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatalf("no answer to the refused upload: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 405 || r4ErrorCode(string(body)) != "method_not_allowed" {
		t.Fatalf("answer %d %q, want 405 method_not_allowed", resp.StatusCode, body)
	}
	if _, err := http.ReadResponse(cl.br, nil); err == nil {
		t.Fatal("a second answer followed")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the connection stayed open with 4 MB of unread body")
	}
	if origin.reached("/upload") != 0 {
		t.Fatal("the refused upload reached the origin")
	}
}

// TestReview4_absoluteFormAndHosts: with Config.Hosts set, an absolute-form
// target names the host the request is for (RFC 9112 section 3.2.2: the
// Host field is then ignored): its own host is served whatever the Host
// field says, another host gets 421 whatever the Host field says, and the
// origin gets the target's path and query. A HEAD refusal has no body on
// the wire.
func TestReview4_absoluteFormAndHosts(t *testing.T) {
	t.Parallel()
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	gw, err := gateway.New(gateway.Config{
		Routes: []gateway.Route{{Prefix: "/", Public: true}},
		Hosts:  []string{"gw.test"},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpproxy.New(gw, "http://"+o.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(mustStart(t, h).URL, "http://")
	last := "GET /last HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n"
	for _, tc := range []r4Case{
		{name: "own host in the target, another in Host",
			raw: "GET http://gw.test/abs?q=1 HTTP/1.1\r\nHost: evil.test\r\n\r\n" + last, status: []int{200, 200}, closed: true},
		{name: "own host with its default port and upper case",
			raw: "GET http://GW.TEST:80/abs2 HTTP/1.1\r\nHost: gw.test\r\n\r\n" + last, status: []int{200, 200}, closed: true},
		{name: "another host in the target, own in Host",
			raw: "GET http://evil.test/abs3 HTTP/1.1\r\nHost: gw.test\r\n\r\n" + last, status: []int{421, 200}, closed: true, never: []string{"/abs3"}},
		{name: "userinfo naming the own host",
			raw: "GET http://gw.test@evil.test/abs4 HTTP/1.1\r\nHost: gw.test\r\n\r\n" + last, status: []int{421, 200}, closed: true, never: []string{"/abs4"}},
		{name: "another host in Host",
			raw: "GET /abs5 HTTP/1.1\r\nHost: evil.test\r\n\r\n" + last, status: []int{421, 200}, closed: true, never: []string{"/abs5"}},
		{name: "HEAD refusal has no body",
			raw: "HEAD /a/../b HTTP/1.1\r\nHost: gw.test\r\n\r\n" + last, methods: []string{"HEAD"}, status: []int{400, 200}, closed: true},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, addr, o) })
	}
	if n := o.reached("/abs"); n != 1 {
		t.Errorf("origin saw /abs %d times, want 1", n)
	}
}

// r4Vectors returns the repository's vectors with review4's cases
// (gateway/testdata/review4_vectors.json) instead of its own.
func r4Vectors(t *testing.T) *gatewaytest.Vectors {
	t.Helper()
	v := gatewaytest.MustLoad(t)
	mine, err := gatewaytest.Load(filepath.Join(filepath.Dir(gatewaytest.Path()), "review4_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	v.Cases = mine.Cases
	return v
}

// TestReview4_vectors runs review4's cases natively (cfworker runs them in
// workerd): every untrusted and hop-by-hop field, Connection-named fields
// on several lines in any case, Connection naming the gateway's own
// fields or Authorization, an origin setting the gateway's response fields.
func TestReview4_vectors(t *testing.T) {
	v := r4Vectors(t)
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	srv := newServer(t, v, seeded, origin.URL, io.Discard)
	gatewaytest.Run(t, v, gatewaytest.Target{Name: "native", URL: srv.URL, Origin: origin, Client: "127.0.0.1", Seeded: seeded})
}
