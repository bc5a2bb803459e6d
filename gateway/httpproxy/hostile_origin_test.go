package httpproxy_test

// A hostile review of the origin client, by tests: origins scripted byte by
// byte on raw TCP (and TLS), clients on raw sockets. The worst outcomes
// are one client receiving what the origin sent for another (or what it
// slipped in after an answer), and a request reaching the origin twice; so
// after each misbehaviour other clients send their requests on the same
// gateway, and each must get its own answer.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/httpproxy"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// stolen is a complete answer an origin slips in where none was asked
// for; no client may ever receive it.
const stolen = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nSTOLEN"

// answerOwn is the well-behaved answer: the body names the request's
// path, so that a client can tell its answer from another's.
func answerOwn(req *http.Request, br *bufio.Reader, c net.Conn) bool {
	if _, err := io.Copy(io.Discard, req.Body); err != nil {
		return false
	}
	body := "for:" + req.URL.Path
	if req.Method == "HEAD" {
		body = ""
	}
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len("for:"+req.URL.Path), body)
	return true
}

// hostileGateway serves a gateway with one public route in front of
// origin (a URL), with the deadlines given, the body limit maxBody (0:
// the default) and opts. It returns the gateway's address (host:port),
// the handler and the gateway's JSON log.
func hostileGateway(t *testing.T, origin string, timeout, idle time.Duration, maxBody int64, opts *httpproxy.Options) (string, *httpproxy.Handler, *testingutil.Buffer) {
	t.Helper()
	return serveHostile(t, origin, timeout, idle, maxBody, opts, true)
}

// serveHostile is hostileGateway, on the gateway's server or (own false)
// on an http.Server, as a caller serving the Handler on a server of its
// own does.
func serveHostile(t *testing.T, origin string, timeout, idle time.Duration, maxBody int64, opts *httpproxy.Options, own bool) (string, *httpproxy.Handler, *testingutil.Buffer) {
	t.Helper()
	logs := &testingutil.Buffer{}
	gw, err := gateway.New(gateway.Config{
		Routes:  []gateway.Route{{Prefix: "/", Public: true}},
		Timeout: gateway.Duration(timeout), StreamIdleTimeout: gateway.Duration(idle),
		MaxBodyBytes: maxBody,
		Logger:       slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpproxy.New(gw, origin, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.CloseIdleConnections)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if own {
		srv := httpproxy.NewServer(h)
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	} else {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	}
	return ln.Addr().String(), h, logs
}

// client is one raw client connection to the gateway.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// upload sends, from a goroutine of its own, a PUT of path with a body of
// size bytes of fill, in 64 KB writes; it stops at the first failed write
// (the gateway closed the connection).
func (c *client) upload(path string, size int, fill byte) {
	go func() {
		io.WriteString(c.c, "PUT "+path+" HTTP/1.1\r\nHost: gw.test\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
		chunk := bytes.Repeat([]byte{fill}, 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := c.c.Write(chunk[:min(len(chunk), size-sent)]); err != nil {
				return
			}
		}
	}()
}

func dialClient(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

// do sends one request (with body, if not empty, by Content-Length) and
// reads the answer whole; the error is the read's.
func (cl *client) do(method, path, body string) (*http.Response, string, error) {
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	req := method + " " + path + " HTTP/1.1\r\nHost: gw.test\r\n"
	if body != "" {
		req += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	if _, err := io.WriteString(cl.c, req+"\r\n"+body); err != nil {
		return nil, "", err
	}
	resp, err := http.ReadResponse(cl.br, &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// wantOwn sends method path on a new connection to the gateway at addr
// and fails unless it gets the origin's answer for that path.
func wantOwn(t *testing.T, addr, method, path string) {
	t.Helper()
	resp, body, err := dialClient(t, addr).do(method, path, "")
	checkOwn(t, method, path, resp, body, err)
}

func checkOwn(t *testing.T, method, path string, resp *http.Response, body string, err error) {
	t.Helper()
	want := "for:" + path
	if method == "HEAD" {
		want = ""
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if resp.StatusCode != 200 || body != want {
		t.Fatalf("%s %s: status %d body %q, want 200 %q (another request's answer?)", method, path, resp.StatusCode, body, want)
	}
}

// released returns a channel closed when the test ends (before its
// origin's cleanup, if made after the origin), or by release.
func released(t *testing.T) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(ch) }) }
	t.Cleanup(release)
	return ch, release
}

// answers is a desync case's script that writes parts, 30 ms apart, and
// keeps the connection.
func answers(parts ...string) func(c net.Conn, wrote func()) bool {
	return func(c net.Conn, _ func()) bool {
		for k, p := range parts {
			if k > 0 {
				time.Sleep(30 * time.Millisecond)
			}
			io.WriteString(c, p)
		}
		return true
	}
}

// TestHostile_desyncNeverReachesTheNextClient: an origin misframes its
// answer to one request (bytes after it, a body where none may be, a bad
// chunk, an ignored close, an unasked protocol switch...), each time
// slipping in a complete second answer. The client that asked gets at
// most its own answer; the next clients, on new connections and on one
// keep-alive connection, each get theirs, never the slipped-in one.
func TestHostile_desyncNeverReachesTheNextClient(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, method string
		evil         func(c net.Conn, wrote func()) bool // wrote: all is sent
	}{
		{"extra answer in the same write", "GET", answers("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + stolen)},
		{"Content-Length shorter than the body", "GET", answers("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + strings.Repeat("x", 3000) + stolen)},
		{"Content-Length longer than the body, then silence", "GET", func(c net.Conn, wrote func()) bool {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok")
			return true // the gateway gives up after the stream idle time
		}},
		{"answer slipped in a moment later", "GET", answers("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", stolen)},
		{"body after 204", "GET", answers("HTTP/1.1 204 No Content\r\n\r\n" + stolen)},
		{"body after 304 with a Content-Length", "GET", answers("HTTP/1.1 304 Not Modified\r\nContent-Length: " + strconv.Itoa(len(stolen)) + "\r\n\r\n" + stolen)},
		{"body after a HEAD answer", "HEAD", answers("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(stolen)) + "\r\n\r\n" + stolen)},
		{"chunked HEAD answer with a body", "HEAD", answers("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(stolen), stolen))},
		{"bad chunk size", "GET", answers("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n" + stolen)},
		{"chunk longer than its size", "GET", answers("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokEXTRA\r\n0\r\n\r\n" + stolen)},
		{"garbage trailer", "GET", answers("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Fine: 1\r\nno colon here\r\n\r\n" + stolen)},
		{"answer after the last chunk", "GET", answers("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + stolen)},
		{"Content-Length and chunked", "GET", answers("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + stolen)},
		{"two Content-Lengths", "GET", answers("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 8\r\n\r\nok" + stolen)},
		{"Connection: close ignored", "GET", answers("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", stolen)},
		{"HTTP/1.0 answer without keep-alive", "GET", answers("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", stolen)},
		{"answer then half-open", "GET", func(c net.Conn, wrote func()) bool {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			if hc, ok := c.(interface{ CloseWrite() error }); ok {
				hc.CloseWrite()
			}
			wrote()
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			c.Read(make([]byte, 1)) // keep reading, as a half-open socket does
			return false
		}},
		{"101 unasked", "GET", answers("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: evil\r\n\r\n" + stolen)},
		{"interim answers then an extra one", "GET", answers("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + stolen)},
	}
	cert, pool := selfSigned(t)
	for _, secure := range []bool{false, true} {
		for _, tc := range cases {
			name := tc.name
			if secure {
				name = "tls/" + name
			}
			t.Run(name, func(t *testing.T) {
				var serverConf *tls.Config
				opts, scheme := &httpproxy.Options{}, "http://"
				if secure {
					serverConf = &tls.Config{Certificates: []tls.Certificate{cert}}
					opts, scheme = &httpproxy.Options{TLSClientConfig: &tls.Config{RootCAs: pool}}, "https://"
				}
				sent := make(chan struct{})
				var once sync.Once
				wrote := func() { once.Do(func() { close(sent) }) }
				o := newScriptedOrigin(t, serverConf, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
					if req.URL.Path == "/evil" {
						defer wrote()
						return tc.evil(c, wrote)
					}
					return answerOwn(req, br, c)
				})
				addr, _, _ := hostileGateway(t, scheme+o.addr, 2*time.Second, time.Second, 0, opts)
				wantOwn(t, addr, "GET", "/warm") // a pooled connection for the evil answer
				resp, body, err := dialClient(t, addr).do(tc.method, "/evil", "")
				if strings.Contains(body, "STOLEN") {
					t.Fatalf("the asking client got the slipped-in answer: %q", body)
				}
				if err == nil {
					t.Logf("evil answer: status %d body %q header %v", resp.StatusCode, body, resp.Header)
					if tc.method != "HEAD" && resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
						t.Fatalf("client got Content-Length %d with %d bytes", resp.ContentLength, len(body))
					}
				} else {
					t.Logf("evil answer: %v", err)
				}
				select { // the origin has sent all it meant to
				case <-sent:
				case <-time.After(5 * time.Second):
					t.Fatal("the origin's script did not end")
				}
				time.Sleep(10 * time.Millisecond) // and loopback delivered it
				keep := dialClient(t, addr)
				for i := range 4 {
					p := "/next" + strconv.Itoa(i)
					wantOwn(t, addr, "GET", p)
					resp, body, err := keep.do("GET", p+"k", "")
					checkOwn(t, "GET", p+"k", resp, body, err)
				}
			})
		}
	}
}

// selfSigned returns a certificate for 127.0.0.1 and localhost, and a
// pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "origin.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestHostile_tlsExtraAnswerAfterALargeBody: over TLS the slipped-in
// answer can sit decrypted in crypto/tls's own buffer, where neither the
// peek at the socket nor the reader's Buffered count sees it. An answer
// of 10,000 bytes and the extra one go out in one TLS record: the body's
// last read bypasses the 4 KB reader and takes exactly its bytes from the
// record, leaving the extra answer in tls.Conn. The next client must not
// get it.
func TestHostile_tlsExtraAnswerAfterALargeBody(t *testing.T) {

	cert, pool := selfSigned(t)
	body := strings.Repeat("b", 10000)
	for _, records := range []string{"same record", "next record"} {
		t.Run(records, func(t *testing.T) {
			o := newScriptedOrigin(t, &tls.Config{Certificates: []tls.Certificate{cert}, DynamicRecordSizingDisabled: true},
				func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
					if req.URL.Path != "/evil" {
						return answerOwn(req, br, c)
					}
					answer := "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
					if records == "same record" {
						io.WriteString(c, answer+stolen) // one Write, one record (up to 16 KB)
					} else {
						io.WriteString(c, answer)
						io.WriteString(c, stolen)
					}
					return true
				})
			addr, _, _ := hostileGateway(t, "https://"+o.addr, 2*time.Second, time.Second, 0,
				&httpproxy.Options{TLSClientConfig: &tls.Config{RootCAs: pool}})
			wantOwn(t, addr, "GET", "/warm")
			resp, got, err := dialClient(t, addr).do("GET", "/evil", "")
			if err != nil || resp.StatusCode != 200 || got != body {
				t.Fatalf("evil answer: %v, %d bytes", err, len(got))
			}
			time.Sleep(30 * time.Millisecond)
			for i := range 3 {
				wantOwn(t, addr, "GET", "/next"+strconv.Itoa(i))
			}
		})
	}
}

// TestHostile_tlsOrigin: an https origin's certificate is verified by
// default (a self-signed one is refused: 502, the request never reaches
// it), the TLS client names the origin's host (SNI), a trusted origin's
// connections are kept alive, and an origin that accepts but never
// speaks TLS is given up after the handshake timeout, not Config.Timeout.
func TestHostile_tlsOrigin(t *testing.T) {
	cert, pool := selfSigned(t)
	conf := &tls.Config{Certificates: []tls.Certificate{cert}}
	o := newScriptedOrigin(t, conf, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	_, port, _ := net.SplitHostPort(o.addr)
	t.Run("self-signed refused", func(t *testing.T) {
		// A long deadline: a loaded machine's handshake must not make it 504.
		addr, _, logs := hostileGateway(t, "https://localhost:"+port, 10*time.Second, time.Second, 0, nil)
		resp, body, err := dialClient(t, addr).do("GET", "/x", "")
		if err != nil || resp.StatusCode != 502 {
			t.Fatalf("self-signed origin: %v status %v body %q, want 502", err, resp, body)
		}
		if n := o.reached("/x"); n != 0 {
			t.Fatalf("the request reached an unverified origin %d times", n)
		}
		if !strings.Contains(logs.String(), "certificate") {
			t.Fatalf("log does not say why: %s", logs.String())
		}
	})
	t.Run("trusted, SNI, kept alive", func(t *testing.T) {
		before, _, _ := o.stats()
		addr, _, _ := hostileGateway(t, "https://localhost:"+port, 2*time.Second, time.Second, 0,
			&httpproxy.Options{TLSClientConfig: &tls.Config{RootCAs: pool}})
		for i := range 3 {
			wantOwn(t, addr, "GET", "/ok"+strconv.Itoa(i))
		}
		conns, _, _ := o.stats()
		o.mu.Lock()
		sni := append([]string(nil), o.sni...)
		o.mu.Unlock()
		if sni[len(sni)-1] != "localhost" {
			t.Fatalf("SNI %q, want localhost", sni)
		}
		if conns-before != 1 {
			t.Fatalf("3 requests took %d TLS connections, want 1 (kept alive)", conns-before)
		}
	})
	t.Run("handshake timeout", func(t *testing.T) {
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
				defer c.Close() // silent until the test ends
			}
		}()
		addr, _, _ := hostileGateway(t, "https://"+ln.Addr().String(), 10*time.Second, time.Second, 0,
			&httpproxy.Options{DialTimeout: 300 * time.Millisecond})
		start := time.Now()
		resp, _, err := dialClient(t, addr).do("GET", "/x", "")
		if err != nil || resp.StatusCode != 502 {
			t.Fatalf("silent TLS origin: %v %v, want 502", err, resp)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("gave up after %v, want about the 300 ms handshake timeout", d)
		}
	})
	for _, guarded := range []bool{true, false} {
		t.Run(fmt.Sprintf("client leaves during the handshake/guarded=%v", guarded), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			closed := make(chan time.Time, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				io.Copy(io.Discard, c) // the ClientHello, then until the gateway closes
				closed <- time.Now()
			}()
			addr, _, logs := serveHostile(t, "https://"+ln.Addr().String(), 20*time.Second, time.Second, 0,
				&httpproxy.Options{DialTimeout: 15 * time.Second}, guarded)
			cl := dialClient(t, addr)
			io.WriteString(cl.c, "GET /x HTTP/1.1\r\nHost: gw.test\r\n\r\n")
			time.Sleep(200 * time.Millisecond)
			cl.c.Close()
			left := time.Now()
			select {
			case at := <-closed:
				if d := at.Sub(left); d > 2*time.Second {
					t.Fatalf("origin connection closed %v after the client left", d)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("origin connection still open 10 s after the client left")
			}
			if acc := waitLog(t, logs, "access"); acc[0]["status"] != float64(499) {
				t.Fatalf("access record %v, want 499", acc[0])
			}
		})
	}
}

// TestHostile_clientWriteDeadlineOutlivesItsRequest: a proxied body sets
// the client connection's write deadline to now + StreamIdleTimeout for
// each write. On a keep-alive client connection a later answer written
// without a body write of the proxy (a 204 or HEAD from the origin, the
// gateway's own refusal), after that deadline has passed, must still
// reach the client: net/http clears the write deadline after each request
// (this test keeps it so).
func TestHostile_clientWriteDeadlineOutlivesItsRequest(t *testing.T) {
	t.Parallel()
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path == "/204" {
			io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
			return true
		}
		return answerOwn(req, br, c)
	})
	const idle = 200 * time.Millisecond
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 2*time.Second, idle, 0, nil)
	for _, tc := range []struct{ method, path string }{{"GET", "/204"}, {"HEAD", "/h"}, {"TRACE", "/refused"}} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			cl := dialClient(t, addr)
			resp, body, err := cl.do("GET", "/first", "")
			checkOwn(t, "GET", "/first", resp, body, err)
			time.Sleep(3 * idle) // a client's pause, well within the server's IdleTimeout
			resp, _, err = cl.do(tc.method, tc.path, "")
			if err != nil {
				t.Fatalf("second request on the keep-alive connection: %v", err)
			}
			t.Logf("%s %s: %d", tc.method, tc.path, resp.StatusCode)
		})
	}
}

// TestHostile_earlyAnswerWhileUploading: the origin answers 413 after
// the request's head, while the client is still uploading, and then
// either keeps its socket open without reading or closes it. The client
// must get the origin's answer (as with http.Transport, which reads the
// answer while it writes), not a 504 after the whole Timeout; and the next
// client gets its own answer.
func TestHostile_earlyAnswerWhileUploading(t *testing.T) {
	t.Parallel()
	const size = 8 << 20 // far more than the socket buffers hold
	for _, closes := range []bool{false, true} {
		t.Run(fmt.Sprintf("originCloses=%v", closes), func(t *testing.T) {
			var hold <-chan struct{}
			drained := make(chan int64, 1)
			o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
				if req.URL.Path != "/upload" {
					return answerOwn(req, br, c)
				}
				io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 8\r\n\r\ntoo big!")
				if closes {
					return false
				}
				select { // open, not reading, for 2 s
				case <-hold:
					return false
				case <-time.After(2 * time.Second):
				}
				// Then read what comes until the gateway closes.
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				got, _ := io.Copy(io.Discard, br)
				drained <- got
				return false
			})
			hold, _ = released(t)
			addr, _, _ := hostileGateway(t, "http://"+o.addr, 3*time.Second, time.Second, 32<<20, nil)
			cl := dialClient(t, addr)
			cl.c.SetDeadline(time.Now().Add(10 * time.Second))
			cl.upload("/upload", size, 'u')
			start := time.Now()
			resp, err := http.ReadResponse(cl.br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			took := time.Since(start)
			t.Logf("status %d body %q after %v", resp.StatusCode, body, took)
			if resp.StatusCode != 413 || string(body) != "too big!" || took > time.Second {
				t.Fatalf("status %d body %q after %v, want the origin's 413 at once (it reads nothing for 2 s)", resp.StatusCode, body, took)
			}
			wantOwn(t, addr, "GET", "/next")
			if !closes {
				// The gateway must give up that connection after the
				// answer, not keep pumping the upload into it.
				select {
				case got := <-drained:
					t.Logf("the origin drained %d more bytes before the gateway closed", got)
				case <-time.After(8 * time.Second):
					t.Fatal("the gateway kept the origin connection open after the early answer")
				}
			}
		})
	}
}

// closeHow is how an origin drops a keep-alive connection under a request.
type closeHow struct {
	name  string
	drop  func(req *http.Request, br *bufio.Reader, c net.Conn) // before closing
	reset bool                                                  // RST instead of FIN
}

var dropWays = []closeHow{
	{"FIN after the head", func(*http.Request, *bufio.Reader, net.Conn) {}, false},
	{"RST after the head", func(*http.Request, *bufio.Reader, net.Conn) {}, true},
	{"FIN after part of the body", func(req *http.Request, br *bufio.Reader, c net.Conn) { io.CopyN(io.Discard, req.Body, 3) }, false},
	{"RST after part of the body", func(req *http.Request, br *bufio.Reader, c net.Conn) { io.CopyN(io.Discard, req.Body, 3) }, true},
	{"FIN after the whole request", func(req *http.Request, br *bufio.Reader, c net.Conn) { io.Copy(io.Discard, req.Body) }, false},
	{"RST after the whole request", func(req *http.Request, br *bufio.Reader, c net.Conn) { io.Copy(io.Discard, req.Body) }, true},
}

// TestHostile_dropOnAReusedConnection: the origin drops a kept-alive
// connection under the next request, in every way. A request with a body
// (POST, PUT, PATCH, DELETE; with an Idempotency-Key too: its body was
// read) reaches the origin exactly once; GET and HEAD at most twice, and
// then they succeed on a new connection.
func TestHostile_dropOnAReusedConnection(t *testing.T) {
	for _, how := range dropWays {
		for _, method := range []string{"POST", "PUT", "PATCH", "DELETE", "POST+key", "GET", "HEAD"} {
			t.Run(how.name+"/"+method, func(t *testing.T) {
				o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
					if i == 0 || n > 0 {
						return answerOwn(req, br, c)
					}
					how.drop(req, br, c)
					if how.reset {
						c.(*net.TCPConn).SetLinger(0)
					}
					return false
				})
				addr, _, _ := hostileGateway(t, "http://"+o.addr, 2*time.Second, time.Second, 0, nil)
				wantOwn(t, addr, "GET", "/warm")
				m, hdr, body := method, "", "payload-body"
				if m == "POST+key" {
					m, hdr = "POST", "Idempotency-Key: k1\r\n"
				}
				if m == "GET" || m == "HEAD" {
					body = ""
				}
				cl := dialClient(t, addr)
				cl.c.SetDeadline(time.Now().Add(10 * time.Second))
				req := m + " /target HTTP/1.1\r\nHost: gw.test\r\n" + hdr
				if body != "" {
					req += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
				}
				io.WriteString(cl.c, req+"\r\n"+body)
				resp, err := http.ReadResponse(cl.br, &http.Request{Method: m})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				reached := o.reached("/target")
				t.Logf("status %d, reached the origin %d times", resp.StatusCode, reached)
				switch {
				case body != "" && reached != 1:
					t.Fatalf("%s with a body reached the origin %d times, want once", method, reached)
				case body == "" && (reached > 2 || resp.StatusCode != 200):
					t.Fatalf("%s: status %d %q, reached %d times; want 200 after at most one retry", method, resp.StatusCode, got, reached)
				case body != "" && resp.StatusCode != 502:
					t.Fatalf("%s: status %d %q, want 502", method, resp.StatusCode, got)
				}
				wantOwn(t, addr, "GET", "/next")
			})
		}
	}
}

// TestHostile_retryGoesToANewConnection: the package doc says a request
// that fails on a reused connection is sent again "on a new one"; with two
// stale connections in the pool, the retry of a GET must not take the
// second stale one (http.Transport keeps retrying while the failure is on
// a reused connection; a 502 here is a failure Transport does not have).
func TestHostile_retryGoesToANewConnection(t *testing.T) {

	var arrived sync.WaitGroup
	arrived.Add(2)
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path == "/together" {
			arrived.Done()
			arrived.Wait() // two connections at once
			return answerOwn(req, br, c)
		}
		if n < 2 {
			return false // the pooled ones are stale: close without answering
		}
		return answerOwn(req, br, c)
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 2*time.Second, time.Second, 0, nil)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			resp, body, err := dialClient(t, addr).do("GET", "/together", "")
			if err != nil || resp.StatusCode != 200 || body != "for:/together" {
				t.Errorf("warm-up: %v %v %q", err, resp, body)
			}
		})
	}
	wg.Wait()
	resp, body, err := dialClient(t, addr).do("GET", "/x", "")
	_, _, heads := o.stats()
	t.Logf("origin saw %q", heads)
	checkOwn(t, "GET", "/x", resp, body, err)
}

// TestHostile_headBounds: 1xx answers sent without end are cut after a
// bound (502, at once, not at the Timeout); a header trickled byte by byte
// is cut at the Timeout (504); a 2 MB header block is refused (502); 15
// Early Hints of 60 KB each are within bounds. After each, the next
// client gets its own answer.
func TestHostile_headBounds(t *testing.T) {
	t.Parallel()
	const timeout = 1500 * time.Millisecond
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		switch req.URL.Path {
		case "/continue-forever":
			for range 100000 {
				if _, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
					return false
				}
			}
			return false
		case "/trickle":
			for _, b := range []byte("HTTP/1.1 200 OK\r\nX-Slow: " + strings.Repeat("s", 1000)) {
				if _, err := c.Write([]byte{b}); err != nil {
					return false
				}
				time.Sleep(10 * time.Millisecond)
			}
			return false
		case "/huge":
			io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			line := "X-Big: " + strings.Repeat("h", 1000) + "\r\n"
			for range 2 << 10 {
				if _, err := io.WriteString(c, line); err != nil {
					return false
				}
			}
			io.WriteString(c, "Content-Length: 2\r\n\r\nok")
			return false
		case "/hints":
			hint := "HTTP/1.1 103 Early Hints\r\nLink: <" + strings.Repeat("l", 60<<10) + ">\r\n\r\n"
			io.WriteString(c, strings.Repeat(hint, 15))
		}
		return answerOwn(req, br, c)
	})
	short, _, _ := hostileGateway(t, "http://"+o.addr, timeout, time.Second, 0, nil)
	// The large heads take their time on a loaded machine: their gateway's
	// deadline is long, and the status is what tells the bound (without it
	// /huge is a 200).
	long, _, _ := hostileGateway(t, "http://"+o.addr, 10*time.Second, time.Second, 0, nil)
	for _, tc := range []struct {
		addr   string
		path   string
		status int
		within time.Duration
	}{
		{short, "/continue-forever", 502, timeout / 2},
		{short, "/trickle", 504, timeout + 3*time.Second},
		{long, "/huge", 502, 10 * time.Second},
		{long, "/hints", 200, 10 * time.Second},
	} {
		addr := tc.addr
		start := time.Now()
		resp, body, err := dialClient(t, addr).do("GET", tc.path, "")
		took := time.Since(start)
		if err != nil || resp.StatusCode != tc.status || took > tc.within {
			t.Fatalf("%s: %v %v %q after %v, want %d within %v", tc.path, err, resp, body, took, tc.status, tc.within)
		}
		wantOwn(t, addr, "GET", "/after"+tc.path)
	}
}

// TestHostile_clientLeaves: a client that leaves mid-upload, or while the
// gateway waits on an origin that reads nothing, aborts the origin call:
// the origin connection is closed (not pooled) within moments, and the
// access record says 499 with the request id.
func TestHostile_clientLeaves(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"mid-upload", "origin not reading"} {
		t.Run(where, func(t *testing.T) {
			var left <-chan struct{}
			var leave func()
			o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
				if where != "mid-upload" {
					<-left // read nothing until the client has left
				}
				// Read until the gateway closes, 20 s at most.
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				io.Copy(io.Discard, br)
				return false
			})
			left, leave = released(t)
			addr, _, logs := hostileGateway(t, "http://"+o.addr, 20*time.Second, 20*time.Second, 64<<20, nil)
			cl := dialClient(t, addr)
			io.WriteString(cl.c, "POST /up HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 50000000\r\n\r\n")
			chunk := bytes.Repeat([]byte("u"), 64<<10)
			if where == "mid-upload" {
				cl.c.Write(chunk)
			} else {
				// Fill every buffer between the client and the origin.
				cl.c.SetWriteDeadline(time.Now().Add(time.Second))
				for {
					if _, err := cl.c.Write(chunk); err != nil {
						break
					}
				}
			}
			for o.reached("/up") == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			cl.c.Close()
			leave()
			o.waitOpenAtMost(t, 0)
			acc := waitLog(t, logs, "access")
			if acc[0]["status"] != float64(499) || acc[0]["request_id"] == "" || acc[0]["request_id"] == nil {
				t.Fatalf("access record %v, want 499 with a request id", acc[0])
			}
			failed := waitLog(t, logs, "gateway: origin request failed")
			if failed[0]["request_id"] != acc[0]["request_id"] {
				t.Fatalf("failure record %v and access record %v disagree", failed[0], acc[0])
			}
		})
	}
}

// TestHostile_deadlinesDoNotOutliveTheirRequest: a pooled connection
// carries the read deadline its last body read set (now + stream idle)
// and its call's deadline; neither may fire on the next request, sent
// after both have passed, whose origin answers late but within its own
// Timeout. A body read slowly past the call's Timeout (within the idle
// time per read) completes and leaves a reusable connection.
func TestHostile_deadlinesDoNotOutliveTheirRequest(t *testing.T) {
	t.Parallel()
	// Margins for a loaded machine: each byte of the slow body comes idle/3
	// after the last, the whole body past the Timeout.
	const timeout, idle = 3 * time.Second, time.Second
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		switch req.URL.Path {
		case "/slow-body":
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
			for _, b := range "abcdefghij" {
				time.Sleep(idle / 3) // 3.3 s in all: past the Timeout
				io.WriteString(c, string(b))
			}
			return true
		case "/late":
			time.Sleep(2 * idle) // past the stream idle time, within Timeout
		}
		return answerOwn(req, br, c)
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, timeout, idle, 0, nil)
	resp, body, err := dialClient(t, addr).do("GET", "/slow-body", "")
	if err != nil || resp.StatusCode != 200 || body != "abcdefghij" {
		t.Fatalf("slow body: %v %v %q", err, resp, body)
	}
	time.Sleep(idle + 100*time.Millisecond) // both deadlines of the last exchange have passed
	wantOwn(t, addr, "GET", "/late")
	if conns, _, _ := o.stats(); conns != 1 {
		t.Fatalf("origin saw %d connections, want 1 (reused)", conns)
	}
}

// TestHostile_noLeaks: after many requests, concurrent, mixing answers the
// gateway must drop (truncated bodies, extra bytes, 101, garbage) and
// clients that leave (mid-upload, waiting for the answer), with
// CloseIdleConnections and idle-timeout sweeps meanwhile, every origin
// connection is closed once the idle ones are, and the goroutines are
// back to what they were.
func TestHostile_noLeaks(t *testing.T) {
	base := runtime.NumGoroutine()
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		switch req.URL.Path {
		case "/truncated":
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
			return false
		case "/extra":
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"+stolen)
			return true
		case "/101":
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
			return true
		case "/garbage":
			io.WriteString(c, "NOT HTTP\r\n\r\n")
			return true
		case "/slow":
			time.Sleep(100 * time.Millisecond)
		case "/early": // answers before reading an upload, then reads it
			io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
			time.Sleep(50 * time.Millisecond)
			io.Copy(io.Discard, req.Body)
			return false
		}
		return answerOwn(req, br, c)
	})
	addr, h, _ := hostileGateway(t, "http://"+o.addr, 2*time.Second, time.Second, 32<<20, &httpproxy.Options{MaxIdleConns: 4, IdleConnTimeout: 20 * time.Millisecond})
	var wg sync.WaitGroup
	for range 2 { // clients that leave
		wg.Go(func() {
			for i := range 10 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 2 {
					go func() { // an early answer while uploading
						io.WriteString(c, "PUT /early HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 4000000\r\n\r\n")
						c.Write(bytes.Repeat([]byte("e"), 4000000))
					}()
					c.SetReadDeadline(time.Now().Add(5 * time.Second))
					http.ReadResponse(bufio.NewReader(c), nil)
				} else if i%2 == 0 {
					io.WriteString(c, "POST /up HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 1000000\r\n\r\n"+strings.Repeat("u", 10000))
				} else {
					io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: gw.test\r\n\r\n")
				}
				time.Sleep(20 * time.Millisecond)
				c.Close()
			}
		})
	}
	paths := []string{"/ok", "/truncated", "/extra", "/101", "/garbage"}
	for w := range 8 {
		wg.Go(func() {
			cl := dialClient(t, addr)
			for i := range 30 {
				p := paths[(w+i)%len(paths)]
				resp, body, err := cl.do("GET", p, "")
				if err != nil { // the gateway aborted the connection (truncated): take a new one
					cl.c.Close()
					cl = dialClient(t, addr)
					continue
				}
				if strings.Contains(body, "STOLEN") || p == "/ok" && (resp.StatusCode != 200 || body != "for:/ok") {
					t.Errorf("%s: %d %q", p, resp.StatusCode, body)
					return
				}
				if i%10 == 0 {
					h.CloseIdleConnections()
				}
			}
			cl.c.Close()
		})
	}
	wg.Wait()
	h.CloseIdleConnections()
	o.waitOpenAtMost(t, 0)
	var now int
	for range 200 {
		if now = runtime.NumGoroutine(); now <= base+4 { // the servers' accept loops
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("%d goroutines, %d before:\n%s", now, base, buf[:runtime.Stack(buf, true)])
}

// TestHostile_fullDuplexOrigin: an origin that streams its answer while it
// reads the upload (an echo, a transform) must not deadlock the gateway:
// with a body larger than the socket buffers, the origin blocks writing
// its answer unless someone reads it, and then stops reading the upload.
// http.Transport reads the answer while it writes; the body must arrive
// whole, not a 504 at the Timeout.
func TestHostile_fullDuplexOrigin(t *testing.T) {
	const size = 32 << 20
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path != "/echo" {
			return answerOwn(req, br, c)
		}
		bw := bufio.NewWriter(c)
		io.WriteString(bw, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
		buf := make([]byte, 64<<10)
		for {
			n, err := req.Body.Read(buf)
			if n > 0 {
				fmt.Fprintf(bw, "%x\r\n", n)
				bw.Write(buf[:n])
				io.WriteString(bw, "\r\n")
				if bw.Flush() != nil {
					return false
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return false
			}
		}
		io.WriteString(bw, "0\r\n\r\n")
		return bw.Flush() == nil
	})
	// The Timeout bounds the upload too: room for 32 MB under -race and load.
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 15*time.Second, 5*time.Second, 64<<20, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(30 * time.Second))
	cl.upload("/echo", size, 'e')
	start := time.Now()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.Copy(io.Discard, resp.Body)
	t.Logf("status %d, %d bytes back, err %v, after %v", resp.StatusCode, got, err, time.Since(start))
	if resp.StatusCode != 200 || got != size {
		t.Fatalf("status %d, %d of %d bytes echoed (%v)", resp.StatusCode, got, size, err)
	}
}

// TestHostile_clientLeavesBetweenOriginReads: the client half-closes
// (its connection's pending read ends: the guard, or net/http's request
// context, says the client left) while the handler is blocked writing
// the body to it, not reading from the origin; then it drains what was
// sent. The abort (the origin connection's deadline moved to the past)
// must hold: the next read from the origin fails at once, and the origin
// connection closes at once, not after the stream idle time (each read
// from the origin setting a fresh deadline would undo the abort).
func TestHostile_clientLeavesBetweenOriginReads(t *testing.T) {
	const size, idle = 16 << 20, 4 * time.Second
	closed := make(chan time.Time, 1)
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(2*size)+"\r\n\r\n")
		c.Write(bytes.Repeat([]byte("p"), size)) // half, then a stall
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		c.Read(make([]byte, 1)) // until the gateway closes
		closed <- time.Now()
		return false
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, 10*time.Second, idle, 0, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(cl.c, "GET /part HTTP/1.1\r\nHost: gw.test\r\n\r\n")
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the handler blocks writing to us
	left := time.Now()
	cl.c.(*net.TCPConn).CloseWrite()
	time.Sleep(300 * time.Millisecond) // the server cancels the request
	cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, cerr := io.Copy(io.Discard, resp.Body)
	var at time.Time
	select {
	case at = <-closed:
	case <-time.After(15 * time.Second):
		t.Fatal("origin connection never closed")
	}
	t.Logf("client read %d bytes (%v); origin connection closed %v after the client left", got, cerr, at.Sub(left))
	if d := at.Sub(left); d > idle/2 {
		t.Fatalf("origin connection closed %v after the client left, want at once (idle time %v)", d, idle)
	}
	tr := waitLog(t, logs, "gateway: response truncated")
	if !strings.Contains(tr[0]["cause"].(string), "client") {
		t.Fatalf("truncation record %v, want a client cause", tr[0])
	}
}

// TestHostile_stalledClientOfOwnAnswers: a client pipelines requests the
// gateway refuses itself (and proxied answers without a body) and never
// reads. Those answers are written without a deadline (statusWriter
// refreshes it only for proxied body writes; NewServer has no
// WriteTimeout), so the handler blocks for as long as the client likes:
// the connection and its goroutine are held with no bound. Each write must
// finish within StreamIdleTimeout, as a proxied body's do.
func TestHostile_stalledClientOfOwnAnswers(t *testing.T) {
	t.Parallel()

	const n, idle = 40000, 300 * time.Millisecond
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, time.Second, idle, 0, nil)
	cl := dialClient(t, addr)
	go io.WriteString(cl.c, strings.Repeat("OPTIONS * HTTP/1.1\r\nHost: gw.test\r\n\r\n", n))
	answered := func() int { return strings.Count(logs.String(), `"msg":"access"`) }
	// Read nothing until the gateway is blocked writing to us: no answer
	// for longer than the stream idle time.
	start := time.Now()
	for last := -1; ; {
		time.Sleep(2 * idle)
		now := answered()
		if now == last {
			break
		}
		if now >= n || time.Since(start) > 30*time.Second {
			t.Fatalf("%d of %d answers written: the gateway never blocked, the test proves nothing", now, n)
		}
		last = now
	}
	stalled := time.Since(start)
	cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := 0
	var err error
	for ; got < n; got++ {
		var resp *http.Response
		if resp, err = http.ReadResponse(cl.br, nil); err != nil {
			break
		}
		io.Copy(io.Discard, resp.Body)
	}
	t.Logf("after a stall of %v, the client read %d answers (%v)", stalled, got, err)
	if got == n {
		t.Fatalf("the gateway waited on a client that did not read for %v (the stream idle time is %v) and then delivered all %d answers", stalled, idle, n)
	}
}

// TestHostile_continueDuringTheUpload: the origin sends 100 Continue
// (unasked: the gateway drops Expect) before it reads the body, and again
// in the middle of it; the body reaches it whole, the final answer reaches
// the client, and the connection serves the next client.
func TestHostile_continueDuringTheUpload(t *testing.T) {
	const size = 1 << 20
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path != "/upload" {
			return answerOwn(req, br, c)
		}
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		got, _ := io.CopyN(io.Discard, req.Body, size/2)
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		rest, _ := io.Copy(io.Discard, req.Body)
		body := strconv.FormatInt(got+rest, 10)
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		return true
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 5*time.Second, time.Second, 0, nil)
	resp, body, err := dialClient(t, addr).do("PUT", "/upload", strings.Repeat("u", size))
	if err != nil || resp.StatusCode != 200 || body != strconv.Itoa(size) {
		t.Fatalf("upload: %v %v %q, want 200 %d", err, resp, body, size)
	}
	wantOwn(t, addr, "GET", "/next")
	if conns, _, _ := o.stats(); conns != 1 {
		t.Fatalf("origin saw %d connections, want 1", conns)
	}
}

// TestHostile_slowUploadIsNotAClientThatLeft: a client still sending its
// body when the server's read deadline (Config.Timeout) passes has not
// gone away; answering it "499 client went away" (a status nginx only
// logs, with code upstream_error) tells it something false. It is a 408.
func TestHostile_slowUploadIsNotAClientThatLeft(t *testing.T) {

	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		return answerOwn(req, br, c)
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 500*time.Millisecond, time.Second, 0, nil)
	cl := dialClient(t, addr)
	io.WriteString(cl.c, "POST /up HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 100\r\n\r\n")
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte each 200 ms: 20 s for the body
		for range 100 {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := cl.c.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 408 {
		t.Fatalf("slow upload answered %d %s, want 408", resp.StatusCode, body)
	}
}

// TestHostile_concurrentClientsKeepTheirOwnAnswers: many clients at once,
// each with its own path, through an origin that answers each request in
// a way picked at random (plain, chunked, Connection: close, closing
// without saying so, an answer slipped in after, a delay, a 1xx first):
// every client gets the answer for its own path, whatever the pool did
// (or, for a POST sent on a connection the origin had just closed, a 502
// and the origin saw it at most once).
func TestHostile_concurrentClientsKeepTheirOwnAnswers(t *testing.T) {
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		io.Copy(io.Discard, req.Body)
		own := "for:" + req.URL.Path
		var k int
		fmt.Sscanf(req.URL.Query().Get("k"), "%d", &k)
		switch k % 7 {
		case 0:
			return answerOwn(req, br, c)
		case 1:
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(own), own)
			return true
		case 2:
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(own), own)
			return false
		case 3:
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(own), own)
			return false // closes without saying so
		case 4:
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s%s", len(own), own, stolen)
			return true
		case 5:
			time.Sleep(time.Duration(k%5) * time.Millisecond)
			return answerOwn(req, br, c)
		default:
			io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
			return answerOwn(req, br, c)
		}
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, 5*time.Second, 2*time.Second, 0, &httpproxy.Options{MaxIdleConns: 8})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
	)
	for w := range 12 {
		wg.Go(func() {
			cl := dialClient(t, addr)
			for i := range 40 {
				path := fmt.Sprintf("/w%d/r%d", w, i)
				method, body := "GET", ""
				if i%3 == 0 {
					method, body = "POST", "payload"
				}
				resp, got, err := cl.do(method, path+"?k="+strconv.Itoa(w*7+i*3), body)
				if err == nil && resp.Close { // the gateway closes this connection
					cl.c.Close()
					cl = dialClient(t, addr)
				}
				if err == nil && resp.StatusCode == 502 && method == "POST" && o.reached(path) <= 1 {
					// A pooled connection the origin closed without
					// saying so, as the POST went out: not replayed.
					continue
				}
				if err != nil || resp.StatusCode != 200 || got != "for:"+path {
					status := 0
					if resp != nil {
						status = resp.StatusCode
					}
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s %s: %v, status %d, body %q", method, path, err, status, got))
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if len(failures) == 0 {
		return
	}
	time.Sleep(100 * time.Millisecond) // the records of the last requests
	if strings.Contains(logs.String(), "invalid concurrent Body.Read call") {
		// A POST's body left unread by its stopped writer (here, on a
		// stale pooled connection): TestHostile_unreadBodyThenKeepAlive.
		t.Error("net/http panicked on a keep-alive connection after a bodied request (golang/go#68560)")
	}
	for _, f := range failures {
		t.Error(f)
	}
	for line := range strings.Lines(logs.String()) {
		if !strings.Contains(line, `"msg":"access"`) || strings.Contains(line, `"status":5`) {
			t.Log(line)
		}
	}
}

// TestHostile_earlyKeepAliveAnswerIsNotReusedMidUpload: the origin
// answers 200 after the head, without Connection: close, reads the body
// only later, and would then serve the next request on that connection.
// A gateway that reads answers while it still writes the body must not
// put the connection back while any of the body is unsent: the next
// request's bytes would be interleaved with the old body. The next client
// gets its own answer.
func TestHostile_earlyKeepAliveAnswerIsNotReusedMidUpload(t *testing.T) {
	const size = 4 << 20
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path != "/upload" {
			return answerOwn(req, br, c)
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly")
		time.Sleep(300 * time.Millisecond)
		got, err := io.Copy(io.Discard, req.Body)
		return err == nil && got == size // a short body: close
	})
	addr, _, _ := hostileGateway(t, "http://"+o.addr, 5*time.Second, 2*time.Second, 32<<20, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	cl.upload("/upload", size, 'u')
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "early" {
		t.Fatalf("status %d body %q, want the origin's early 200", resp.StatusCode, body)
	}
	for i := range 3 {
		wantOwn(t, addr, "GET", "/next"+strconv.Itoa(i))
	}
}

// TestHostile_earlyAnswerToAStalledUpload: the client sends part of its
// body and pauses (a phone between two bursts); the origin answers 413 at
// once without reading. The answer must reach the client at once, not when
// the client sends its next bytes or the server's read deadline (Config.
// Timeout) ends the body read the gateway's body writer is blocked in (nor
// never, written after its write deadline has passed).
func TestHostile_earlyAnswerToAStalledUpload(t *testing.T) {
	const timeout = 4 * time.Second
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path != "/upload" {
			return answerOwn(req, br, c)
		}
		io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 8\r\n\r\ntoo big!")
		return false
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, timeout, time.Second, 32<<20, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(cl.c, "PUT /upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 8000000\r\n\r\n"+strings.Repeat("u", 64<<10))
	start := time.Now()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		time.Sleep(100 * time.Millisecond)
		t.Fatalf("no answer after %v: %v\n%s", time.Since(start), err, logs.String())
	}
	body, _ := io.ReadAll(resp.Body)
	took := time.Since(start)
	t.Logf("status %d body %q after %v", resp.StatusCode, body, took)
	if resp.StatusCode != 413 || string(body) != "too big!" || took > timeout/4 {
		t.Fatalf("status %d body %q after %v, want the origin's 413 at once (the Timeout is %v)", resp.StatusCode, body, took, timeout)
	}
}

// TestHostile_unreadBodyThenKeepAlive: the origin answers a POST at once,
// keep-alive, before the client has sent its body; the client sends it
// (100 KB) a moment later, then its next request on the same connection.
// The gateway stops its body writer without reading the body to its end,
// so net/http reads the rest after the handler (EnableFullDuplex skips its
// own drain), which starts its background read too late: "invalid
// concurrent Body.Read call" (golang/go#68560), the connection dies and
// the next request gets nothing. Closing r.Body in the handler before it
// returns avoids it.
func TestHostile_unreadBodyThenKeepAlive(t *testing.T) {
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		if req.URL.Path != "/early" {
			return answerOwn(req, br, c)
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly")
		return false
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, 5*time.Second, 2*time.Second, 0, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(cl.c, "POST /early HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 100000\r\n\r\n")
	go func() { // the body after the answer: the writer takes one read of it
		time.Sleep(300 * time.Millisecond)
		io.WriteString(cl.c, strings.Repeat("b", 100000))
	}()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "early" {
		t.Fatalf("status %d body %q, want the origin's early 200", resp.StatusCode, body)
	}
	time.Sleep(100 * time.Millisecond)
	resp2, body2, err := cl.do("GET", "/next", "")
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("the server panicked:\n%s", logs.String())
	}
	if !resp.Close {
		checkOwn(t, "GET", "/next", resp2, body2, err)
	}
}

// TestHostile_clientLeavesAFullDuplexExchange: a client that leaves while
// its upload and the origin's echo both stream ends both directions: the
// origin connection closes, and no goroutine (the body writer) is left.
func TestHostile_clientLeavesAFullDuplexExchange(t *testing.T) {
	base := runtime.NumGoroutine()
	o := newScriptedOrigin(t, nil, func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
		buf := make([]byte, 32<<10)
		for {
			n, err := req.Body.Read(buf)
			if n > 0 {
				if _, werr := fmt.Fprintf(c, "%x\r\n%s\r\n", n, buf[:n]); werr != nil {
					return false
				}
			}
			if err != nil {
				return false
			}
		}
	})
	addr, _, logs := hostileGateway(t, "http://"+o.addr, 10*time.Second, 5*time.Second, 64<<20, nil)
	cl := dialClient(t, addr)
	cl.c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		io.WriteString(cl.c, "PUT /echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 33554432\r\n\r\n")
		chunk := bytes.Repeat([]byte("e"), 64<<10)
		for {
			if _, err := cl.c.Write(chunk); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, 1<<20); err != nil {
		t.Fatalf("echo: %v", err)
	}
	cl.c.Close()
	o.waitOpenAtMost(t, 0)
	waitLog(t, logs, "access")
	var now int
	for range 200 {
		if now = runtime.NumGoroutine(); now <= base+4 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("%d goroutines, %d before:\n%s", now, base, buf[:runtime.Stack(buf, true)])
}
