package httpproxy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// TestServer_absoluteFormWithoutHostIsRefused: HTTP/1.1 requires a Host
// field even when the target names the host (RFC 9112 section 3.2); the
// parser takes the host from the URL, so the framing check must see the
// field is missing.
func TestServer_absoluteFormWithoutHostIsRefused(t *testing.T) {
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 2*time.Second, time.Second, 0, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(cl.c, "GET http://gw.test/x HTTP/1.1\r\n\r\n")
	wantJSON400Close(t, cl)
	if n := o.reached("/x"); n != 0 {
		t.Fatalf("the origin got the request %d times", n)
	}
	// With the field, the same target is served.
	cl = dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(cl.c, "GET http://gw.test/x HTTP/1.1\r\nHost: gw.test\r\n\r\n")
	if resp, err := http.ReadResponse(cl.br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("with a Host field: %v, %v", resp, err)
	}
}

// wantJSON400Close reads the next answer on cl and fails unless it is the
// gateway's JSON 400 saying the connection closes.
func wantJSON400Close(t *testing.T, cl *client) {
	t.Helper()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"bad_request"`) || !resp.Close {
		t.Fatalf("answer %d (close %v) %s, want a JSON 400 that closes", resp.StatusCode, resp.Close, body)
	}
}

// TestServer_malformedChunkedBodyIsABadRequest: a chunked body the parser
// refuses is the client's malformed request (400, connection closed), not
// a client that went away (499).
func TestServer_malformedChunkedBodyIsABadRequest(t *testing.T) {
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, 2*time.Second, time.Second, 0, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(cl.c, "POST /up HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
	wantJSON400Close(t, cl)
	if _, err := cl.br.ReadByte(); err == nil {
		t.Fatal("the connection stayed open after a body whose framing is lost")
	}
	if !strings.Contains(logs.String(), `"status":400`) {
		t.Fatalf("no access record with status 400:\n%s", logs.String())
	}
}

// TestServer_panicInTheDecisionIsAJSON500: a caller's TokenStore that
// panics fails its request only, with the gateway's JSON 500 and an access
// record, and the connection serves the next request.
func TestServer_panicInTheDecisionIsAJSON500(t *testing.T) {
	origin := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	logs := &testingutil.Buffer{}
	srv := mustServe(t, gateway.Config{
		Routes: []gateway.Route{{Prefix: "/api/"}, {Prefix: "/pub/", Public: true}},
		Tokens: gateway.TokenStoreFunc(func(context.Context, string) (*gateway.TokenRecord, error) { panic("store bug") }),
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	}, "http://"+origin.addr)
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /api/x HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer rpt_0000000000000000_"+strings.Repeat("A", 43)+"\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, RequestID string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != 500 || e.Error.Code != gateway.CodeInternal {
		t.Fatalf("answer %d %s, want the JSON 500", resp.StatusCode, body)
	}
	if id := resp.Header.Get("X-Request-Id"); id == "" || !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
		t.Fatalf("request id %q not in the log:\n%s", id, logs.String())
	}
	io.WriteString(c, "GET /pub/y HTTP/1.1\r\nHost: gw.test\r\n\r\n")
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("next request on the connection: %v, %v", resp, err)
	}
}

// TestServer_headFieldsAsHTTPServerChecksThem: what http.Server refuses
// after the parse is refused (JSON 400, connection closed), nothing
// reaching the origin: a field name with a space before its colon (the
// parser keeps it, and a body it does not frame would be the next
// request), and a malformed Host field, also with an absolute-form target.
func TestServer_headFieldsAsHTTPServerChecksThem(t *testing.T) {
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 2*time.Second, time.Second, 0, nil)
	for name, raw := range map[string]string{
		"space before colon": "POST /p HTTP/1.1\r\nHost: gw.test\r\nContent-Length : 37\r\n\r\nGET /inner HTTP/1.1\r\nHost: gw.test\r\n\r\n",
		"host with a space":  "GET http://gw.test/abs HTTP/1.1\r\nHost: a b\r\n\r\n",
		"host with a slash":  "GET http://gw.test/abs HTTP/1.1\r\nHost: a/b\r\n\r\n",
		"origin-form host":   "GET /abs HTTP/1.1\r\nHost: a b\r\n\r\n",
		"folded host":        "GET http://gw.test/abs HTTP/1.1\r\nHost: gw.test\r\n evil\r\n\r\n",
		"folded empty host":  "GET http://gw.test/abs HTTP/1.1\r\nHost:\r\n a/b\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			cl := dialClient(t, addr)
			cl.c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(cl.c, raw)
			resp, err := http.ReadResponse(cl.br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 400 || !strings.Contains(string(body), `"bad_request"`) {
				t.Fatalf("answer %d %s, want the JSON 400", resp.StatusCode, body)
			}
			if _, err := http.ReadResponse(cl.br, nil); err == nil {
				t.Fatal("a second answer on the connection")
			}
		})
	}
	if o.reached("/inner")+o.reached("/p")+o.reached("/abs") != 0 {
		t.Fatal("a refused request reached the origin")
	}
}

// TestServer_refusalLogHasNoClientBytes: a request the parser refuses is
// logged with the parser's reason but not the bytes it quotes, which may
// be a token's secret.
func TestServer_refusalLogHasNoClientBytes(t *testing.T) {
	addr, _, logs := hostileGateway(t, "http://127.0.0.1:1", 2*time.Second, time.Second, 0, nil)
	const secret = "Zm9vYmFyc2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2Vj"
	for _, raw := range []string{
		"GET /x HTTP/1.1\r\nHost: gw.test\r\nAuthorization Bearer rpt_0000000000000000_" + secret + "\r\n\r\n",
		"GET /x?t=" + secret + " HTTP/9.9\r\nHost: gw.test\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: " + secret + "\r\n\r\n",
	} {
		cl := dialClient(t, addr)
		cl.c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(cl.c, raw)
		resp, err := http.ReadResponse(cl.br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("%q answered %d", raw, resp.StatusCode)
		}
	}
	out := logs.String()
	if strings.Contains(out, secret) {
		t.Fatalf("the log holds the client's secret:\n%s", out)
	}
	if n := strings.Count(out, `"refused_by":"http_server"`); n != 3 {
		t.Fatalf("%d refusal records, want 3:\n%s", n, out)
	}
}

// TestServer_unreadBodyAnswer: an answer given without reading the
// request's body (a refusal) says Connection: close when the body is too
// long to read after it (Content-Length of 256 KiB or more, or a chunked
// body that goes on), as http.Server does, so that no client or pooling
// proxy sends its next request into a closing connection; a short body is
// read and the connection serves the next request.
func TestServer_unreadBodyAnswer(t *testing.T) {
	srv := mustServe(t, gateway.Config{
		Routes: []gateway.Route{{Prefix: "/pub/", Public: true, Methods: []string{"GET"}}},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, "http://127.0.0.1:1")
	addr := strings.TrimPrefix(srv.URL, "http://")
	big := strings.Repeat("x", 300<<10)
	var chunked strings.Builder
	for range 16 {
		chunked.WriteString("10000\r\n" + strings.Repeat("y", 0x10000) + "\r\n")
	}
	chunked.WriteString("0\r\n\r\n")
	for _, tc := range []struct {
		name, raw string
		close     bool
	}{
		{"long", "POST /pub/x HTTP/1.1\r\nHost: gw.test\r\nContent-Length: " + strconv.Itoa(len(big)) + "\r\n\r\n" + big, true},
		{"long chunked", "POST /pub/x HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked.String(), true},
		{"short", "POST /pub/x HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\n\r\nhello", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			go io.WriteString(c, tc.raw)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode < 400 || resp.Close != tc.close {
				t.Fatalf("answer %d, Connection: close %v, want a refusal with close %v", resp.StatusCode, resp.Close, tc.close)
			}
			if !tc.close {
				io.WriteString(c, "GET /pub/y HTTP/1.1\r\nHost: gw.test\r\n\r\n")
				if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 502 {
					t.Fatalf("next request: %v, %v, want the 502 of an unreachable origin", resp, err)
				}
			}
		})
	}
}

// TestServer_slowRefusedUploadStillGetsItsAnswer: a refusal reads a short
// unread body before its head; the answer's write deadline counts from
// after that read, so a body slower than the stream idle timeout (but
// within Config.Timeout) still gets its answer.
func TestServer_slowRefusedUploadStillGetsItsAnswer(t *testing.T) {
	addr, _, _ := hostileGateway(t, "http://127.0.0.1:1", 5*time.Second, 400*time.Millisecond, 0, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(cl.c, "TRACE /x HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 100\r\n\r\n")
	go func() {
		for range 10 {
			time.Sleep(120 * time.Millisecond)
			if _, err := io.WriteString(cl.c, "0123456789"); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 400 || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("answer %d %s, want the JSON refusal", resp.StatusCode, body)
	}
}
