package httpproxy_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/httpproxy"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// okResponse is a complete keep-alive answer with body "ok".
const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// publicGateway serves a gateway with one public route in front of the
// origin at addr, with opts, its JSON log into logs (nil discards it).
func publicGateway(t *testing.T, addr string, opts *httpproxy.Options, timeout, idle time.Duration, logs io.Writer) string {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	gw, err := gateway.New(gateway.Config{
		Routes:  []gateway.Route{{Prefix: "/", Public: true}},
		Timeout: gateway.Duration(timeout), StreamIdleTimeout: gateway.Duration(idle),
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpproxy.New(gw, "http://"+addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.CloseIdleConnections)
	return mustStart(t, h).URL
}

// get sends one request to the gateway on a connection of its own and
// returns the status and body.
func send(t *testing.T, method, url string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return resp, string(b)
}

func wantOK(t *testing.T, resp *http.Response, body, want string) {
	t.Helper()
	if resp.StatusCode != 200 || body != want {
		t.Fatalf("status %d body %q, want 200 %q", resp.StatusCode, body, want)
	}
}

// TestOrigin_closedIdleConnectionIsRetried: the origin reads the second
// request of a keep-alive connection and closes it without an answer (as
// a server whose idle timeout fires at that moment does). A GET is sent
// again on a new connection; a POST with a body is not replayed.
func TestOrigin_closedIdleConnectionIsRetried(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		if i > 0 {
			return false // close without answering
		}
		io.WriteString(c, okResponse)
		return true
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	resp, body := send(t, "GET", url+"/a", nil)
	wantOK(t, resp, body, "ok")
	resp, body = send(t, "GET", url+"/b", nil)
	wantOK(t, resp, body, "ok")
	if conns, _, reqs := o.counts(); conns != 2 || reqs["GET"] != 3 {
		t.Fatalf("origin saw %d connections and %d GETs, want 2 and 3 (one retry)", conns, reqs["GET"])
	}
	// Connection 1 is idle in the pool now; a POST on it must not be sent twice.
	resp, body = send(t, "POST", url+"/c", strings.NewReader("payload"))
	if resp.StatusCode != 502 || !strings.Contains(body, gateway.CodeUpstreamError) {
		t.Fatalf("POST: status %d body %s, want 502", resp.StatusCode, body)
	}
	if _, _, reqs := o.counts(); reqs["POST"] != 1 {
		t.Fatalf("origin saw the POST %d times, want once", reqs["POST"])
	}
}

// TestOrigin_idleConnectionClosedByOrigin: the origin closes each
// connection right after its answer without saying so; the next requests,
// POSTs that may not be replayed, still succeed, each on a new connection.
func TestOrigin_idleConnectionClosedByOrigin(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		io.WriteString(c, okResponse)
		return false
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	for range 5 {
		resp, body := send(t, "POST", url+"/x", strings.NewReader("p"))
		wantOK(t, resp, body, "ok")
		// Once the origin has closed, the pooled connection's peek sees
		// its FIN (a POST sent before that is lost with it: a 502, never
		// replayed; TestOrigin_closedIdleConnectionIsRetried).
		o.waitOpen(t, 0)
	}
	if conns, _, reqs := o.counts(); conns != 5 || reqs["POST"] != 5 {
		t.Fatalf("origin saw %d connections and %d POSTs, want 5 and 5", conns, reqs["POST"])
	}
}

// TestOrigin_connectionCloseIsHonoured: an answer with Connection: close
// ends the connection even though the origin would serve more on it.
func TestOrigin_connectionCloseIsHonoured(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
		return true
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	for range 3 {
		resp, body := send(t, "GET", url+"/x", nil)
		wantOK(t, resp, body, "ok")
	}
	if conns, _, _ := o.counts(); conns != 3 {
		t.Fatalf("origin saw %d connections, want 3 (one per answer)", conns)
	}
	o.waitOpen(t, 0)
}

// TestOrigin_extraBytesAfterResponse: bytes after a response, with it or
// a moment later, are no answer to the next request: the connection is
// not reused.
func TestOrigin_extraBytesAfterResponse(t *testing.T) {
	const evil = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("late=%v", late), func(t *testing.T) {
			sent := make(chan struct{}, 3) // the late bytes are on the wire
			o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
				if !late {
					io.WriteString(c, okResponse+evil)
					return true
				}
				io.WriteString(c, okResponse)
				time.Sleep(20 * time.Millisecond) // after the gateway has pooled the connection
				io.WriteString(c, evil)
				sent <- struct{}{}
				return true
			})
			url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
			for range 3 {
				resp, body := send(t, "GET", url+"/x", nil)
				wantOK(t, resp, body, "ok")
				if late {
					<-sent // bytes sent after the answer but before the next request
				}
				time.Sleep(10 * time.Millisecond) // on loopback, they have arrived
			}
			if conns, _, _ := o.counts(); conns != 3 {
				t.Fatalf("origin saw %d connections, want 3", conns)
			}
		})
	}
}

// TestOrigin_interimResponses: 100 Continue and 103 Early Hints before the
// final answer are skipped (not passed on); too many of them are a 502.
func TestOrigin_interimResponses(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		if req.URL.Path == "/many" {
			io.WriteString(c, strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", 40)+okResponse)
			return true
		}
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"+okResponse)
		return true
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	for range 2 {
		resp, body := send(t, "POST", url+"/x", strings.NewReader("body"))
		wantOK(t, resp, body, "ok")
		if resp.Header.Get("Link") != "" {
			t.Fatalf("interim field Link passed on: %v", resp.Header)
		}
	}
	if conns, _, _ := o.counts(); conns != 1 {
		t.Fatalf("origin saw %d connections, want 1 (kept alive)", conns)
	}
	resp, body := send(t, "GET", url+"/many", nil)
	if resp.StatusCode != 502 {
		t.Fatalf("40 interim answers: status %d body %s, want 502", resp.StatusCode, body)
	}
}

// TestOrigin_noBodyResponses: HEAD, 204 and 304 answers have no body even
// when they carry a Content-Length; the connection serves on.
func TestOrigin_noBodyResponses(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		switch {
		case req.Method == "HEAD":
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
		case req.URL.Path == "/204":
			io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
		case req.URL.Path == "/304":
			io.WriteString(c, "HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\nETag: \"v1\"\r\n\r\n")
		default:
			io.WriteString(c, okResponse)
		}
		return true
	})
	url := publicGateway(t, o.addr, nil, 2*time.Second, 2*time.Second, nil)
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"HEAD", "/h", 200}, {"GET", "/204", 204}, {"GET", "/304", 304}, {"GET", "/x", 200}, {"HEAD", "/h", 200}} {
		resp, body := send(t, tc.method, url+tc.path, nil)
		if resp.StatusCode != tc.status || (tc.path == "/x") != (body == "ok") || tc.path != "/x" && body != "" {
			t.Fatalf("%s %s: status %d body %q, want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
		}
	}
	if conns, _, _ := o.counts(); conns != 1 {
		t.Fatalf("origin saw %d connections, want 1", conns)
	}
}

// TestOrigin_chunkedWithTrailers: a chunked answer's trailers reach the
// client, and the connection is reused after it.
func TestOrigin_chunkedWithTrailers(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n"+
			"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Sum: 42\r\n\r\n")
		return true
	})
	url := publicGateway(t, o.addr, nil, 2*time.Second, 2*time.Second, nil)
	for range 2 {
		req, _ := http.NewRequest("GET", url+"/x", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "abcdefg" || resp.Trailer.Get("X-Sum") != "42" {
			t.Fatalf("body %q trailer %v, want abcdefg and X-Sum 42", b, resp.Trailer)
		}
	}
	if conns, _, _ := o.counts(); conns != 1 {
		t.Fatalf("origin saw %d connections, want 1", conns)
	}
}

// TestOrigin_largeResponse: a body far larger than the connection's
// buffers, by Content-Length and chunked, arrives whole.
func TestOrigin_largeResponse(t *testing.T) {
	big := make([]byte, 3<<20+17)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		if req.URL.Path == "/chunked" {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			for b := big; len(b) > 0; {
				k := min(len(b), 70000)
				fmt.Fprintf(c, "%x\r\n", k)
				c.Write(b[:k])
				io.WriteString(c, "\r\n")
				b = b[k:]
			}
			io.WriteString(c, "0\r\n\r\n")
			return true
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(big))+"\r\n\r\n")
		c.Write(big)
		return true
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	for _, p := range []string{"/cl", "/chunked", "/cl"} {
		resp, body := send(t, "GET", url+p, nil)
		if resp.StatusCode != 200 || sha256.Sum256([]byte(body)) != sha256.Sum256(big) {
			t.Fatalf("%s: status %d, %d bytes, want %d identical", p, resp.StatusCode, len(body), len(big))
		}
	}
	if conns, _, _ := o.counts(); conns != 1 {
		t.Fatalf("origin saw %d connections, want 1", conns)
	}
}

// TestOrigin_clientLeaves: a client that leaves, while the origin has not
// answered or mid-body, aborts the origin call at once (the origin sees
// its connection closed long before any timeout) and is logged.
func TestOrigin_clientLeaves(t *testing.T) {
	for _, mid := range []bool{false, true} {
		t.Run(fmt.Sprintf("midBody=%v", mid), func(t *testing.T) {
			noPlainLog(t)
			o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
				if mid {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("x", 5000))
				}
				// Wait for the gateway to close the connection (a read
				// returns), for 20 s at most.
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				c.Read(make([]byte, 1))
				return false
			})
			var logs testingutil.Buffer
			url := publicGateway(t, o.addr, nil, 30*time.Second, 30*time.Second, &logs)
			conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
			if mid {
				br := bufio.NewReader(conn)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				io.ReadFull(resp.Body, make([]byte, 100))
			} else {
				o.waitOpen(t, 1)
				time.Sleep(20 * time.Millisecond)
			}
			conn.Close()
			start := time.Now()
			o.waitOpen(t, 0) // bounded at 2 s; the deadlines are 30 s
			t.Logf("origin connection closed %v after the client left", time.Since(start))
			acc := waitLog(t, &logs, "access")
			if mid {
				tr := waitLog(t, &logs, "gateway: response truncated")
				if acc[0]["status"] != float64(200) || acc[0]["error"] != gateway.CodeResponseTruncated || !strings.Contains(tr[0]["cause"].(string), "client") {
					t.Fatalf("access %v truncation %v", acc[0], tr[0])
				}
			} else if acc[0]["status"] != float64(499) {
				t.Fatalf("access record %v, want status 499", acc[0])
			}
		})
	}
}

// TestOrigin_slowHeaderTimesOut: an origin that answers after the
// timeout gets 504, and its connection is not reused.
func TestOrigin_slowHeaderTimesOut(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		if req.URL.Path == "/slow" {
			time.Sleep(400 * time.Millisecond)
		}
		io.WriteString(c, okResponse)
		return true
	})
	url := publicGateway(t, o.addr, nil, 150*time.Millisecond, time.Second, nil)
	resp, body := send(t, "GET", url+"/slow", nil)
	if resp.StatusCode != 504 || !strings.Contains(body, gateway.CodeUpstreamTimeout) {
		t.Fatalf("status %d body %s, want 504", resp.StatusCode, body)
	}
	resp, body = send(t, "GET", url+"/x", nil)
	wantOK(t, resp, body, "ok")
	if conns, _, _ := o.counts(); conns != 2 {
		t.Fatalf("origin saw %d connections, want 2 (the late one closed)", conns)
	}
}

// TestOrigin_idlePoolIsBounded: of 6 connections opened at once, the pool
// keeps MaxIdleConns and closes the others; idle ones close after
// IdleConnTimeout.
func TestOrigin_idlePoolIsBounded(t *testing.T) {
	const concurrent = 6
	var arrived sync.WaitGroup
	arrived.Add(concurrent)
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		if req.URL.Path == "/together" {
			arrived.Done()
			arrived.Wait() // every request holds its own connection
		}
		io.WriteString(c, okResponse)
		return true
	})
	url := publicGateway(t, o.addr, &httpproxy.Options{MaxIdleConns: 2, IdleConnTimeout: 2 * time.Second}, 5*time.Second, 5*time.Second, nil)
	var wg sync.WaitGroup
	for range concurrent {
		wg.Go(func() {
			resp, body := send(t, "GET", url+"/together", nil)
			if resp.StatusCode != 200 || body != "ok" {
				t.Errorf("status %d body %q", resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	o.waitOpen(t, 2)
	for range 4 {
		resp, body := send(t, "GET", url+"/x", nil)
		wantOK(t, resp, body, "ok")
	}
	if conns, _, _ := o.counts(); conns != concurrent {
		t.Fatalf("origin saw %d connections, want %d (the idle ones reused)", conns, concurrent)
	}
	o.waitOpenWithin(t, 0, 5*time.Second) // the idle timeout
}

// TestOrigin_requestBodyStreams: a large request body, by Content-Length
// and chunked, reaches the origin whole.
func TestOrigin_requestBodyStreams(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 200_000)
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		sum := sha256.Sum256(body)
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n%x", sum)
		return true
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	want := fmt.Sprintf("%x", sha256.Sum256(big))
	resp, body := send(t, "PUT", url+"/x", bytes.NewReader(big))
	wantOK(t, resp, body, want)
	resp, body = send(t, "PUT", url+"/x", io.MultiReader(bytes.NewReader(big))) // no length: chunked
	wantOK(t, resp, body, want)
}

// TestOrigin_hostileHead: a response head past the bound (1 MiB) is a 502,
// not a buffer that grows with what the origin sends.
func TestOrigin_hostileHead(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-Filler: " + strings.Repeat("a", 1000) + "\r\n"
		for range 3000 { // 3 MB of header fields
			if _, err := io.WriteString(c, line); err != nil {
				return false
			}
		}
		return false
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	resp, body := send(t, "GET", url+"/x", nil)
	if resp.StatusCode != 502 {
		t.Fatalf("status %d body %.200s, want 502", resp.StatusCode, body)
	}
}

// TestOrigin_earlyAnswer: an origin that answers (413) and closes before
// reading a large body: the client gets the origin's answer, not a 502.
func TestOrigin_earlyAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 8\r\n\r\ntoo big!")
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, io.LimitReader(br, 64<<10)) // read a little, then close with the rest unread
			}()
		}
	}()
	url := publicGateway(t, ln.Addr().String(), nil, 5*time.Second, 5*time.Second, nil)
	// A raw client that reads the answer while it is still sending (net/http's
	// client stops at the failed write).
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		io.WriteString(conn, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n")
		conn.Write(make([]byte, 8<<20))
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || string(body) != "too big!" {
		t.Fatalf("status %d body %.200q, want the origin's 413", resp.StatusCode, body)
	}
}

// TestOrigin_clientExpectsContinue: a client that waits for 100 Continue
// before its body gets it (from net/http, when the body writer first reads
// the body) and then the origin's answer to the whole body.
func TestOrigin_clientExpectsContinue(t *testing.T) {
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		return true
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	for range 3 {
		conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(conn)
		io.WriteString(conn, "PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		interim, err := http.ReadResponse(br, nil)
		if err != nil || interim.StatusCode != 100 {
			t.Fatalf("before the body: %v %v, want 100 Continue", interim, err)
		}
		io.WriteString(conn, "hello")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != 200 || string(got) != "hello" {
			t.Fatalf("status %d body %q, want 200 hello", resp.StatusCode, got)
		}
	}
}

// TestOrigin_noContentTypeIsNotSniffed: an answer without Content-Type
// reaches the client without one, whatever its bytes look like.
func TestOrigin_noContentTypeIsNotSniffed(t *testing.T) {
	const page = "<html><script>alert(1)</script></html>"
	o := newRawOrigin(t, func(n, i int, req *http.Request, body []byte, c net.Conn) bool {
		if req.URL.Path == "/typed" {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "+strconv.Itoa(len(page))+"\r\n\r\n"+page)
			return true
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(page))+"\r\n\r\n"+page)
		return true
	})
	url := publicGateway(t, o.addr, nil, 5*time.Second, 5*time.Second, nil)
	resp, body := send(t, "GET", url+"/x", nil)
	wantOK(t, resp, body, page)
	if ct, ok := resp.Header["Content-Type"]; ok {
		t.Fatalf("Content-Type %q added to an answer that had none", ct)
	}
	resp, body = send(t, "GET", url+"/typed", nil)
	wantOK(t, resp, body, page)
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
		t.Fatalf("Content-Type %q, want the origin's text/plain", ct)
	}
}
