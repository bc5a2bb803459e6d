package httpproxy_test

// review4: a hostile review of the native gateway's client side, by tests
// on raw sockets (the origin side is hostile_origin_test.go's). The worst
// outcomes are a request the gateway did not frame as the client's HTTP
// stack (or a front proxy) did reaching the origin, and a client getting
// more answers than it sent requests, which shifts every later answer on
// a front proxy's pooled connection to the wrong user.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/gateway/httpproxy"
	"github.com/rampartdev/rampart/internal/testingutil"
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

// TestReview4_bodyThatLooksLikeAnErrorAnswerPassesUntouched: an origin
// body (a stored upload, a log file) holding an error answer's head where
// a body part starts reaches the client byte for byte: nothing below the
// handler takes it for the server's own refusal (the guarded connection of
// b0b1c38 rewrote it into a JSON 404: the client got the wrong bytes, short
// of the Content-Length, and its keep-alive connection then read the next
// answer as the rest of this body). The origin sends 64 KB, waits until
// the client has them, and sends a 404 head and 5000 bytes.
func TestReview4_bodyThatLooksLikeAnErrorAnswerPassesUntouched(t *testing.T) {
	t.Parallel()
	part1 := strings.Repeat("a", 64<<10)
	part2 := "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" + strings.Repeat("b", 5000)
	got1 := make(chan struct{})
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path != "/file" {
			return answerOwn(req, br, c)
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n%s", len(part1)+len(part2), part1)
		select {
		case <-got1:
		case <-time.After(5 * time.Second):
		}
		io.WriteString(c, part2)
		return true
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, 5*time.Second, 2*time.Second, 0, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(cl.c, "GET /file HTTP/1.1\r\nHost: gw.test\r\n\r\n")
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b1 := make([]byte, len(part1))
	if _, err := io.ReadFull(resp.Body, b1); err != nil {
		t.Fatal(err)
	}
	close(got1)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != part2 {
		t.Errorf("after the first 64 KB the client got %d bytes (%v), want the origin's %d: %.120q", len(rest), err, len(part2), rest)
	}
	if strings.Contains(logs.String(), `"refused_by":"http_server"`) {
		t.Errorf("the gateway took the body for net/http's own answer:\n%s", logs)
	}
	// The connection still frames answers as the gateway sent them.
	resp2, body2, err := cl.do("GET", "/next", "")
	checkOwn(t, "GET", "/next", resp2, body2, err)
}

// TestReview4_malformedChunkedBodyEndsTheConnection: a chunked request body
// that net/http's chunked reader refuses part-way (a chunk-size line with
// whitespace before its extension, which RFC 9112's BWS allows and front
// proxies pass on; a size over 64 bits; a bare LF; chunk data not followed
// by CRLF) leaves net/http's connection open at the point where its reader
// stopped, and net/http parses the rest of the body as the next request.
// The client (or the front proxy that framed the body whole) sent one
// request: it must get one answer (400, the gateway's JSON) and a closed
// connection, and no byte of its body may reach the origin as a request.
func TestReview4_malformedChunkedBodyEndsTheConnection(t *testing.T) {
	t.Parallel()
	addr, origin, logs := r4Gateway(t, 5*time.Second, 2*time.Second)
	// The body of "bws": one 0x3a-byte chunk to a front proxy (and to the
	// gateway's framer), whose data is a complete GET with a body holding
	// the chunked body's end and a request line the framer then agrees on.
	bws := func(path string) string {
		tail := "PPPPPPPPPP\r\n0\r\n\r\nGET " + path + " HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n"
		inner := "GET " + path + " HTTP/1.1\r\nHost: gw.test\r\nContent-Length: " + fmt.Sprint(len(tail)) + "\r\n\r\n"
		return fmt.Sprintf("%x ;ext=1\r\n", len(inner)+10) + inner + tail
	}
	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: gw.test\r\n\r\n" }
	for k, tc := range []struct {
		name string
		body func(smuggled string) string
	}{
		{"whitespace before a chunk extension", bws},
		{"chunk size over 64 bits", func(p string) string { return "fffffffffffffffff\r\n" + get(p) }},
		{"bare LF after the chunk size", func(p string) string { return "3\n" + get(p) }},
		{"chunk data without its CRLF", func(p string) string { return "3\r\nabcXY" + get(p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			smuggled := fmt.Sprintf("/smuggled%d", k)
			raw := "POST /upload HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n" + tc.body(smuggled)
			answers, bodies, open := r4Exchange(t, addr, raw, 5*time.Second)
			var got []string
			for i, a := range answers {
				got = append(got, fmt.Sprintf("%d %.120s", a.StatusCode, bodies[i]))
			}
			if len(answers) != 1 {
				t.Errorf("one request, %d answers: %q", len(answers), got)
			}
			if len(answers) > 0 && (answers[0].StatusCode < 400 || r4ErrorCode(bodies[0]) == "") {
				t.Errorf("answer %q, want the gateway's JSON error", got[0])
			}
			if open {
				t.Error("the connection stayed open after the malformed body")
			}
			if n := origin.reached(smuggled); n != 0 {
				t.Errorf("the body's bytes reached the origin as %d request(s) for %s", n, smuggled)
			}
			if t.Failed() {
				t.Logf("gateway log:\n%s", logs)
			}
		})
	}
}

// TestReview4_pipelinedAnswersKeepTheirOwnFields: the server reuses one
// response writer (and its header map) per connection. Pipelined requests
// whose answers carry different fields (the origin's own per path, the
// gateway's refusals with theirs, a HEAD, a body-less 204) each get exactly
// their own: no field of an earlier answer on the connection, one
// X-Request-Id (the gateway's, though the origin sends its own in two
// spellings), bodies framed as sent.
func TestReview4_pipelinedAnswersKeepTheirOwnFields(t *testing.T) {
	t.Parallel()
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		io.Copy(io.Discard, req.Body)
		p := req.URL.Path
		tag := strings.Trim(strings.ReplaceAll(p, "/", "-"), "-")
		if strings.HasPrefix(p, "/nocontent") {
			fmt.Fprintf(c, "HTTP/1.1 204 No Content\r\nX-Only-%s: 1\r\nx-request-id: origin\r\n\r\n", tag)
			return true
		}
		body := "for:" + p
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Only-%s: 1\r\nX-Request-Id: origin\r\nx-request-id: origin2\r\nSet-Cookie: c=%s\r\nContent-Length: %d\r\n\r\n", tag, tag, len(body))
		if req.Method != "HEAD" {
			io.WriteString(c, body)
		}
		return true
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 5*time.Second, 2*time.Second, 0, nil)
	type step struct{ method, path string }
	var steps []step
	for i := range 12 {
		switch i % 6 {
		case 0, 3:
			steps = append(steps, step{"GET", fmt.Sprintf("/p%d", i)})
		case 1:
			steps = append(steps, step{"HEAD", fmt.Sprintf("/h%d", i)})
		case 2:
			steps = append(steps, step{"GET", fmt.Sprintf("/bad%d/../x", i)}) // the gateway's 400
		case 4:
			steps = append(steps, step{"TRACE", fmt.Sprintf("/t%d", i)}) // the gateway's 405
		case 5:
			steps = append(steps, step{"DELETE", fmt.Sprintf("/nocontent%d", i)})
		}
	}
	for round := range 3 {
		var raw strings.Builder
		var methods []string
		for _, s := range steps {
			fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: gw.test\r\n\r\n", s.method, s.path)
			methods = append(methods, s.method)
		}
		raw.WriteString("GET /end HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n")
		answers, bodies, open := r4Exchange(t, addr, raw.String(), 10*time.Second, methods...)
		if len(answers) != len(steps)+1 || open {
			t.Fatalf("round %d: %d answers (open %v), want %d", round, len(answers), open, len(steps)+1)
		}
		for i, s := range steps {
			a, body := answers[i], bodies[i]
			tag := strings.Trim(strings.ReplaceAll(s.path, "/", "-"), "-")
			for k := range a.Header {
				if strings.HasPrefix(k, "X-Only-") && !strings.EqualFold(k, "X-Only-"+tag) {
					t.Errorf("round %d, %s %s: answer carries %s, an earlier answer's field", round, s.method, s.path, k)
				}
			}
			if ids := a.Header.Values("X-Request-Id"); len(ids) != 1 || len(ids[0]) != 32 {
				t.Errorf("round %d, %s %s: X-Request-Id %q, want the gateway's one", round, s.method, s.path, ids)
			}
			switch {
			case strings.HasPrefix(s.path, "/bad"):
				if a.StatusCode != 400 || a.Header.Get("Set-Cookie") != "" {
					t.Errorf("round %d, %s: %d Set-Cookie %q, want the gateway's 400 without the origin's fields", round, s.path, a.StatusCode, a.Header.Get("Set-Cookie"))
				}
			case s.method == "TRACE":
				if a.StatusCode != 405 || a.Header.Get("Set-Cookie") != "" {
					t.Errorf("round %d, %s: %d, want the gateway's 405", round, s.path, a.StatusCode)
				}
			case strings.HasPrefix(s.path, "/nocontent"):
				if a.StatusCode != 204 || body != "" || a.Header.Get("X-Only-"+tag) != "1" {
					t.Errorf("round %d, %s: %d %q %v, want the origin's 204", round, s.path, a.StatusCode, body, a.Header)
				}
			default:
				want := "for:" + s.path
				if s.method == "HEAD" {
					want = ""
				}
				if a.StatusCode != 200 || body != want || a.Header.Get("X-Only-"+tag) != "1" || a.Header.Get("Set-Cookie") != "c="+tag {
					t.Errorf("round %d, %s %s: %d %q %v, want the origin's own answer", round, s.method, s.path, a.StatusCode, body, a.Header)
				}
			}
		}
	}
}

// TestReview4_requestArrivingDuringTheWatchRead: while a forwarded request
// waits on the origin, the server reads the connection to notice the
// client leave; the first byte of a pipelined request it reads then
// belongs to that request. Requests sent in pieces while their
// predecessor waits (first byte alone, the rest later) are each served
// whole and in order.
func TestReview4_requestArrivingDuringTheWatchRead(t *testing.T) {
	t.Parallel()
	arrived := make(chan string, 16)
	release := make(chan struct{}, 16)
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if strings.HasPrefix(req.URL.Path, "/slow") {
			arrived <- req.URL.Path
			select {
			case <-release:
			case <-time.After(5 * time.Second):
			}
		}
		return answerOwn(req, br, c)
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 5*time.Second, 2*time.Second, 0, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(15 * time.Second))
	next := []string{
		"GET /slow2 HTTP/1.1\r\nHost: gw.test\r\n\r\n",
		"POST /slow3 HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\n\r\nhello",
		"GET /last HTTP/1.1\r\nHost: gw.test\r\n\r\n",
	}
	io.WriteString(cl.c, "GET /slow1 HTTP/1.1\r\nHost: gw.test\r\n\r\n")
	for _, req := range next {
		<-arrived
		// Past the server's delay before its watch read starts (not
		// needed for the outcome: without the watch the requests take
		// the plain path).
		time.Sleep(60 * time.Millisecond)
		io.WriteString(cl.c, req[:1])
		time.Sleep(30 * time.Millisecond)
		io.WriteString(cl.c, req[1:])
		release <- struct{}{}
		if !strings.Contains(req, "slow") {
			break
		}
	}
	for _, p := range []string{"/slow1", "/slow2", "/slow3", "/last"} {
		resp, err := http.ReadResponse(cl.br, nil)
		if err != nil {
			t.Fatalf("answer for %s: %v", p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "for:"+p {
			t.Fatalf("answer for %s: %d %q", p, resp.StatusCode, body)
		}
	}
}

// TestReview4_shutdownFinishesInFlightRequests: Shutdown closes the
// listener and the idle keep-alive connections at once, lets a request in
// flight finish (its answer whole, then the connection closed), and
// returns once it has; later dials are refused.
func TestReview4_shutdownFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path == "/slow" {
			close(arrived)
			<-release
		}
		return answerOwn(req, br, c)
	})
	gw, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/", Public: true}}, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpproxy.New(gw, "http://"+o.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.CloseIdleConnections)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpproxy.NewServer(h)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	idle := dialClient(t, addr)
	resp, body, err := idle.do("GET", "/first", "")
	checkOwn(t, "GET", "/first", resp, body, err)
	busy := dialClient(t, addr)
	busy.c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(busy.c, "GET /slow HTTP/1.1\r\nHost: gw.test\r\n\r\n")
	<-arrived

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	idle.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.br.ReadByte(); err == nil || isTimeout(err) {
		t.Fatalf("the idle connection was not closed by Shutdown: %v", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	resp, err = http.ReadResponse(busy.br, nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "for:/slow" || !resp.Close {
		t.Fatalf("in-flight answer %d %q close=%v, want 200 for:/slow with Connection: close", resp.StatusCode, b, resp.Close)
	}
	if _, err := busy.br.ReadByte(); err == nil || isTimeout(err) {
		t.Fatalf("the in-flight connection stayed open after its answer: %v", err)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return after the last request")
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve returned %v, want http.ErrServerClosed", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a dial after Shutdown was accepted")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestReview4_burstIsExactUnderConcurrency: 200 concurrent requests (40
// keep-alive clients) on a token with a burst of 20 and one more request
// an hour: exactly 20 reach the origin, the other 180 get 429, through the
// gateway's server and its decision path (token cache, limiter keys).
func TestReview4_burstIsExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	v := gatewaytest.MustLoad(t)
	v.Tokens["crowd"] = gatewaytest.TokenSpec{Tenant: "crowd", Scopes: []string{"read"}, Rate: 1, Period: gateway.Duration(time.Hour), Burst: 20}
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	srv := newServer(t, v, seeded, origin.URL, io.Discard)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 40 {
		wg.Go(func() {
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 20 * time.Second}
			defer hc.CloseIdleConnections()
			<-start
			for range 5 {
				req, _ := http.NewRequest("GET", srv.URL+"/api/crowd", nil)
				req.Header.Set("Authorization", "Bearer "+seeded.Tokens["crowd"])
				resp, err := hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if statuses[200] != 20 || statuses[429] != 180 || len(statuses) != 2 {
		t.Fatalf("statuses %v, want exactly 20 x 200 and 180 x 429", statuses)
	}
	if n := origin.Count(); n != 20 {
		t.Fatalf("origin saw %d requests, want 20", n)
	}
}

// r4CGIName is the name CGI-style origin stacks (PHP, WSGI, Rack) give a
// request field: "-" and "_" are the same there.
func r4CGIName(k string) string {
	return "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
}

// TestReview4_underscoreTwinsOfGatewayFields: the gateway removes the
// client's X-Forwarded-For, X-Request-Id, X-Rampart-Tenant and
// X-Rampart-Token-Id and sets its own; their twins spelt with "_"
// (X-Rampart_Tenant, X_Forwarded_For) go too: an origin on a CGI-style
// stack reads both as HTTP_X_RAMPART_TENANT, so a client would pick its
// tenant, token id, address or request id there (before 07722d2 it could).
// No forwarded field may share its CGI name with another, and none of the
// gateway's own may come from the client.
func TestReview4_underscoreTwinsOfGatewayFields(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	srv := newServer(t, v, seeded, origin.URL, io.Discard)
	req, _ := http.NewRequest("GET", srv.URL+"/api/twins", nil)
	req.Header.Set("Authorization", "Bearer "+seeded.Tokens["alice"])
	for _, k := range []string{"X-Rampart_Tenant", "X-Rampart-Token_Id", "X_Forwarded_For", "X-Forwarded_Host", "X-Request_Id", "X_Real_Ip"} {
		req.Header[k] = []string{"spoofed"}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	seen, ok := origin.Seen(resp.Header.Get("X-Request-Id"))
	if resp.StatusCode != 200 || !ok {
		t.Fatalf("status %d, origin saw it: %v", resp.StatusCode, ok)
	}
	byCGI := map[string][]string{}
	for k, vs := range seen.Header {
		byCGI[r4CGIName(k)] = append(byCGI[r4CGIName(k)], k+": "+strings.Join(vs, ","))
		for _, v := range vs {
			if v == "spoofed" {
				t.Errorf("origin got the client's %s: %q (%s to a CGI-style origin)", k, v, r4CGIName(k))
			}
		}
	}
	for name, fields := range byCGI {
		if len(fields) > 1 {
			t.Errorf("origin fields %q are one field, %s, to a CGI-style origin", fields, name)
		}
	}
}

// TestReview4_malformedChunkedBodyIsABadRequest: a chunked request body
// that the parser refuses part-way is the client's malformed request, and
// the client is still there to read the answer: 400 bad_request, not 499
// "client went away" (a status no client expects on the wire, logged as if
// the client had left; so until 68104dd). The bodies are
// TestReview4_malformedChunkedBodyEndsTheConnection's.
func TestReview4_malformedChunkedBodyIsABadRequest(t *testing.T) {
	t.Parallel()
	addr, _, logs := r4Gateway(t, 5*time.Second, 2*time.Second)
	for _, body := range []string{"3a ;ext=1\r\nabc", "fffffffffffffffff\r\n", "3\nabc\r\n0\r\n\r\n", "3\r\nabcXY0\r\n\r\n"} {
		raw := "POST /upload HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n" + body
		answers, bodies, _ := r4Exchange(t, addr, raw, 5*time.Second)
		if len(answers) == 0 {
			t.Errorf("body %q: no answer", body)
			continue
		}
		if answers[0].StatusCode != 400 || r4ErrorCode(bodies[0]) != "bad_request" {
			t.Errorf("body %q: answer %d %.120q, want 400 bad_request", body, answers[0].StatusCode, bodies[0])
		}
	}
	if t.Failed() {
		t.Logf("gateway log:\n%s", logs)
	}
}

// TestReview4_silentConnectionIsClosedAtTheHeaderTimeout: a connection
// that never sends a byte is closed after the header timeout (10 s), as
// http.Server closes it (its first request's read deadline starts at the
// accept), not held for the idle timeout between requests (2 min): a
// client opening connections and sending nothing holds each goroutine,
// descriptor and buffers twelve times longer (so until 68104dd).
func TestReview4_silentConnectionIsClosedAtTheHeaderTimeout(t *testing.T) {
	t.Parallel()
	addr, _, _ := r4Gateway(t, 5*time.Second, 2*time.Second)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetReadDeadline(start.Add(15 * time.Second))
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a connection that sent nothing is still open after %v", time.Since(start).Round(time.Second))
	}
	t.Logf("closed after %v (%v)", time.Since(start).Round(100*time.Millisecond), err)
}

// TestReview4_absoluteFormWithoutHostIsRefused: RFC 9112 section 3.2: "A
// server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
// request message that lacks a Host header field", absolute-form or not
// (http.Server does: "missing required Host header"); until 68104dd the
// gateway's server took the host from the target and forwarded it.
func TestReview4_absoluteFormWithoutHostIsRefused(t *testing.T) {
	t.Parallel()
	addr, origin, _ := r4Gateway(t, 5*time.Second, 2*time.Second)
	answers, bodies, _ := r4Exchange(t, addr, "GET http://gw.test/nohost HTTP/1.1\r\nConnection: close\r\n\r\n", 5*time.Second)
	if len(answers) != 1 || answers[0].StatusCode != 400 || r4ErrorCode(bodies[0]) != "bad_request" {
		t.Errorf("answers %d, first %v %q: want one 400 bad_request", len(answers), answers, bodies)
	}
	if n := origin.reached("/nohost"); n != 0 {
		t.Errorf("origin saw the request without Host %d time(s)", n)
	}
}

// TestReview4_panickingTokenStoreGetsAJSONAnswer: a token store (or a
// limiter) is the caller's code; one that panics is a failing store: the
// client gets the JSON 500 internal_error with its X-Request-Id, an access
// record has that id, and the server serves on (until 68104dd the
// handler's recover was set up after gateway.Handle: a panic in the
// decision dropped the connection without an answer or access record).
func TestReview4_panickingTokenStoreGetsAJSONAnswer(t *testing.T) {
	t.Parallel()
	origin := gatewaytest.NewOrigin(t)
	logs := &testingutil.Buffer{}
	gw, err := gateway.New(gateway.Config{
		Routes: []gateway.Route{{Name: "api", Prefix: "/"}},
		Tokens: gateway.TokenStoreFunc(func(_ context.Context, id string) (*gateway.TokenRecord, error) {
			panic("token store bug for " + id)
		}),
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpproxy.New(gw, origin.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := mustStart(t, h)
	tok, _, err := gateway.GenerateToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		req, _ := http.NewRequest("GET", srv.URL+"/api/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("no answer: %v\nlog:\n%s", err, logs)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if resp.StatusCode != 500 || r4ErrorCode(string(body)) != "internal_error" || id == "" {
			t.Fatalf("answer %d %q, want 500 internal_error", resp.StatusCode, body)
		}
		if strings.Contains(string(body), "token store bug") {
			t.Errorf("the panic's text is in the answer: %q", body)
		}
		if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
			t.Errorf("no log record with request id %s:\n%s", id, logs)
		}
	}
}

// TestReview4_httpoxy: a client's Proxy field reaches a CGI origin (PHP,
// Go's net/http/cgi, Python CGI/WSGI stacks) as the HTTP_PROXY variable,
// which HTTP client libraries there take for the proxy of the origin's own
// outbound calls (httpoxy, CVE-2016-5385): a client sends
// "Proxy: http://evil:3128" and the origin's requests to its payment API
// go through the attacker. Proxies drop the field (nginx: proxy_set_header
// Proxy ""; Apache: RequestHeader unset Proxy); so does the gateway since
// f0cb457.
func TestReview4_httpoxy(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	srv := newServer(t, v, seeded, origin.URL, io.Discard)
	req, _ := http.NewRequest("GET", srv.URL+"/api/httpoxy", nil)
	req.Header.Set("Authorization", "Bearer "+seeded.Tokens["alice"])
	req.Header.Set("Proxy", "http://evil.example:3128")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	seen, ok := origin.Seen(resp.Header.Get("X-Request-Id"))
	if resp.StatusCode != 200 || !ok {
		t.Fatalf("status %d, origin saw it: %v", resp.StatusCode, ok)
	}
	if v := seen.Header.Values("Proxy"); len(v) > 0 {
		t.Errorf("origin got the client's Proxy field %q (HTTP_PROXY to a CGI origin: httpoxy, CVE-2016-5385)", v)
	}
}

// TestReview4_whitespaceBeforeTheColonIsRefused: RFC 9112 section 5.1: "A
// server MUST reject, with a response status code of 400 (Bad Request),
// any received request message that contains whitespace between a header
// field name and colon" — because a front proxy that tolerates it frames
// the message by a field the server ignores. net/http's parser does not
// take such a field for Content-Length: until 6a69099 "Content-Length :
// 36" left the request bodiless, so its body, a complete GET, was served
// as the next request (the front proxy sent one request), and
// "Transfer-Encoding : chunked" next to a Content-Length was framed by the
// length here and by the chunks at a tolerant front proxy (TE.CL). Each
// gets one 400 and a closed connection, and the origin never sees the
// body's request.
func TestReview4_whitespaceBeforeTheColonIsRefused(t *testing.T) {
	t.Parallel()
	addr, origin, logs := r4Gateway(t, 5*time.Second, 2*time.Second)
	for k, tc := range []struct{ name, field string }{
		{"Content-Length with a space", "Content-Length : %d\r\n"},
		{"Content-Length with a tab", "Content-Length\t: %d\r\n"},
		{"Transfer-Encoding with a space next to Content-Length", "Transfer-Encoding : chunked\r\nContent-Length: %d\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			smuggled := fmt.Sprintf("/smuggled-ws%d", k)
			body := "GET " + smuggled + " HTTP/1.1\r\nHost: gw.test\r\n\r\n"
			raw := "POST /upload HTTP/1.1\r\nHost: gw.test\r\n" + fmt.Sprintf(tc.field, len(body)) + "\r\n" + body
			answers, bodies, open := r4Exchange(t, addr, raw, 5*time.Second)
			var got []string
			for i, a := range answers {
				got = append(got, fmt.Sprintf("%d %.80s", a.StatusCode, bodies[i]))
			}
			if len(answers) != 1 || answers[0].StatusCode != 400 || r4ErrorCode(bodies[0]) != "bad_request" {
				t.Errorf("answers %q, want one 400 bad_request", got)
			}
			if open {
				t.Error("the connection stayed open")
			}
			if n := origin.reached(smuggled); n != 0 {
				t.Errorf("the body's request reached the origin %d time(s)", n)
			}
			if t.Failed() {
				t.Logf("log:\n%s", logs)
			}
		})
	}
}

// TestReview4_manyClientsLeaveWhileTheOriginWaits: the server notices a
// client leave through one watch read per connection, started by one
// timer for all of them (953f50e). 24 concurrent bodyless requests wait on
// an origin that answers only when told; half of the clients then close
// their connections: each of those origin calls is aborted (the origin
// sees its connection close) and logged 499, the other half still get
// their own answers once the origin answers.
func TestReview4_manyClientsLeaveWhileTheOriginWaits(t *testing.T) {
	t.Parallel()
	const n = 24
	arrived := make(chan string, n)
	release, releaseAll := released(t)
	var mu sync.Mutex
	closedAtOrigin := map[string]bool{}
	o := newScriptedOrigin(t, nil, func(_, _ int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		p := req.URL.Path
		arrived <- p
		if strings.HasPrefix(p, "/leave") {
			// Read until the gateway closes its side.
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := br.ReadByte(); err != nil && !isTimeout(err) {
				mu.Lock()
				closedAtOrigin[p] = true
				mu.Unlock()
			}
			return false
		}
		<-release
		return answerOwn(req, br, c)
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, 15*time.Second, 15*time.Second, 0, nil)
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = dialClient(t, addr)
		clients[i].c.SetDeadline(time.Now().Add(15 * time.Second))
		p := fmt.Sprintf("/stay%d", i)
		if i%2 == 0 {
			p = fmt.Sprintf("/leave%d", i)
		}
		io.WriteString(clients[i].c, "GET "+p+" HTTP/1.1\r\nHost: gw.test\r\n\r\n")
	}
	for range n {
		<-arrived
	}
	for i := 0; i < n; i += 2 {
		clients[i].c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		k := len(closedAtOrigin)
		mu.Unlock()
		if k == n/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d origin calls of clients that left were aborted within 5 s: %v", k, n/2, closedAtOrigin)
		}
		time.Sleep(10 * time.Millisecond)
	}
	releaseAll()
	for i := 1; i < n; i += 2 {
		p := fmt.Sprintf("/stay%d", i)
		resp, err := http.ReadResponse(clients[i].br, nil)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "for:"+p {
			t.Fatalf("%s: %d %q", p, resp.StatusCode, body)
		}
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		left := 0
		for _, r := range logRecords(t, logs.String(), "access") {
			if strings.HasPrefix(fmt.Sprint(r["path"]), "/leave") && r["status"] == float64(499) {
				left++
			}
		}
		if left == n/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d access records of clients that left say 499:\n%s", left, n/2, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// r4RefusalReasons sends, to the gateway at base, a request with each kind
// of bad token and checks, for each, the body (invalid_token, no reason,
// no secret) and the access record logs gives (the reason as auth_error,
// the token's id), waiting for the record up to 10 s.
func r4RefusalReasons(t *testing.T, base string, seeded *gatewaytest.Seeded, logs interface{ String() string }) {
	t.Helper()
	unknown, unknownID, err := gateway.GenerateToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	alice := seeded.Tokens["alice"]
	wrong := alice[:len(alice)-4] + "AAAA"
	if wrong == alice {
		wrong = alice[:len(alice)-4] + "BBBB"
	}
	for _, c := range []struct{ name, tok, id, reason string }{
		{"revoked", seeded.Tokens["revoked"], seeded.Records["revoked"].ID, gateway.AuthRevoked},
		{"expired", seeded.Tokens["expired"], seeded.Records["expired"].ID, gateway.AuthExpired},
		{"wrong secret", wrong, seeded.Records["alice"].ID, gateway.AuthWrongSecret},
		{"unknown id", unknown, unknownID, gateway.AuthUnknownID},
	} {
		req, _ := http.NewRequest("GET", base+"/api/r4-"+strings.ReplaceAll(c.name, " ", "-"), nil)
		req.Header.Set("Authorization", "Bearer "+c.tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if resp.StatusCode != 401 || r4ErrorCode(string(body)) != "invalid_token" || strings.Contains(string(body), c.reason) {
			t.Errorf("%s: %d %q, want 401 invalid_token without the reason", c.name, resp.StatusCode, body)
		}
		var rec map[string]any
		for deadline := time.Now().Add(10 * time.Second); rec == nil && time.Now().Before(deadline); {
			for line := range strings.Lines(logs.String()) {
				var r map[string]any
				if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == "access" && r["request_id"] == id {
					rec = r
				}
			}
			if rec == nil {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if rec == nil {
			t.Errorf("%s: no access record with request id %s", c.name, id)
			continue
		}
		if rec["auth_error"] != c.reason || rec["token_id"] != c.id || rec["status"] != float64(401) {
			t.Errorf("%s: access record auth_error %v token_id %v status %v, want %s %s 401", c.name, rec["auth_error"], rec["token_id"], rec["status"], c.reason, c.id)
		}
		if _, secret, _ := gateway.ParseToken(c.tok); strings.Contains(logs.String(), secret) {
			t.Errorf("%s: the token's secret is in the log", c.name)
		}
	}
}

// TestReview4_refusalReasonsAreLoggedNotSent: a revoked, expired,
// wrong-secret or unknown token gets invalid_token and nothing more; the
// access record names the reason and the token id (issue 17; the Worker's
// side is cfworker's TestReview4_workerRefusalReasonsAreLoggedNotSent).
func TestReview4_refusalReasonsAreLoggedNotSent(t *testing.T) {
	t.Parallel()
	v := gatewaytest.MustLoad(t)
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	logs := &testingutil.Buffer{}
	srv := newServer(t, v, seeded, origin.URL, logs)
	r4RefusalReasons(t, srv.URL, seeded, logs)
}

// TestReview4_noSecretInTheServersRefusalLog: the server's own refusals
// are logged with the parser's reason, and the parser quotes what it
// refused: a header line (an Authorization line without its colon, or
// with a control byte), a request line (a token in the query of a line
// without a version, or of a target that is no URI). A token's secret
// must appear in no log record, whatever the request looked like (issue
// 17: "no token secret appears in any log"; from d15214e to ccb7f1e the
// refusal log's reason quoted the client's line, token and all).
func TestReview4_noSecretInTheServersRefusalLog(t *testing.T) {
	t.Parallel()
	addr, _, logs := r4Gateway(t, 5*time.Second, 2*time.Second)
	tok, _, err := gateway.GenerateToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := gateway.ParseToken(tok)
	const h = "Host: gw.test\r\n"
	for _, raw := range []string{
		"GET /a HTTP/1.1\r\n" + h + "Authorization Bearer " + tok + "\r\n\r\n",
		"GET /a HTTP/1.1\r\n" + h + "Authorization: Bearer " + tok + "\x01\r\n\r\n",
		"GET /a HTTP/1.1\r\n" + h + " Authorization: Bearer " + tok + "\r\n\r\n",
		"GET /a HTTP/1.1\r\n" + h + "Authorization: Bearer " + tok + "\r\nContent-Length: x\r\n\r\n",
		"GET /a?access_token=" + tok + "\r\n" + h + "\r\n",
		"GET http://[::1/?access_token=" + tok + " HTTP/1.1\r\n" + h + "\r\n",
		"GET /a?access_token=" + tok + " HTTP/1.1 x\r\n" + h + "\r\n",
		"GET /a?access_token=" + tok + " HTTP/1.1\r\n" + h + "Transfer-Encoding: " + tok + "\r\n\r\n",
	} {
		answers, bodies, _ := r4Exchange(t, addr, raw, 5*time.Second)
		if len(answers) != 1 || answers[0].StatusCode < 400 {
			t.Errorf("%.60q: %d answers, want one refusal", raw, len(answers))
			continue
		}
		if strings.Contains(bodies[0], secret) {
			t.Errorf("%.60q: the answer holds the token's secret: %q", raw, bodies[0])
		}
	}
	if out := logs.String(); strings.Contains(out, secret) {
		for line := range strings.Lines(out) {
			if strings.Contains(line, secret) {
				t.Errorf("a log record holds the token's secret: %.300s", line)
			}
		}
	}
}

// TestReview4_emptyPOSTKeepsItsContentLength: a POST, PUT or PATCH with an
// empty body (Content-Length: 0, as curl -X POST and fetch() send it)
// reaches the origin with "Content-Length: 0", as http.Request.Write (and
// net/http's Transport, and the Worker) write it: origins that require a
// length on such methods (Google's front ends, IIS: "411 Length
// Required") refuse it without one (the bodyless head writer of 5b0d9a3
// dropped it until ccb7f1e).
func TestReview4_emptyPOSTKeepsItsContentLength(t *testing.T) {
	t.Parallel()
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if _, ok := req.Header["Content-Length"]; !ok && req.Method != "GET" && req.Method != "HEAD" && req.Method != "DELETE" && req.Method != "OPTIONS" {
			io.WriteString(c, "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\n\r\n")
			return true
		}
		return answerOwn(req, br, c)
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 5*time.Second, 2*time.Second, 0, nil)
	for _, method := range []string{"POST", "PUT", "PATCH"} {
		cl := dialClient(t, addr)
		cl.c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(cl.c, method+" /empty HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 0\r\n\r\n")
		resp, err := http.ReadResponse(cl.br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "for:/empty" {
			t.Errorf("%s with an empty body: %d %q (the origin got no Content-Length)", method, resp.StatusCode, body)
		}
	}
}

// TestReview4_slowRefusedUploadStillGetsItsAnswer: a request the gateway
// refuses without reading its body (405 here; 401 for a bad token) has
// its short body read before the answer's head (as http.Server does, so
// that the connection can serve the next request). The answer's write
// deadline counts from after that read: a body taking longer than
// StreamIdleTimeout to arrive (a phone uploading 100 bytes over 1.2 s,
// idle 400 ms, Timeout 5 s) still gets its answer (until 59b5315 the
// deadline was set before the read: the client uploaded everything and
// got EOF).
func TestReview4_slowRefusedUploadStillGetsItsAnswer(t *testing.T) {
	t.Parallel()
	addr, _, _ := r4Gateway(t, 5*time.Second, 400*time.Millisecond)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(cl.c, "TRACE /slow-upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 100\r\n\r\n")
	go func() {
		for range 10 {
			time.Sleep(120 * time.Millisecond)
			if _, err := io.WriteString(cl.c, strings.Repeat("u", 10)); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatalf("no answer to the refused slow upload: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 405 || r4ErrorCode(string(body)) != "method_not_allowed" {
		t.Fatalf("answer %d %q, want 405 method_not_allowed", resp.StatusCode, body)
	}
}
