package httpproxy_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// originScript answers the i-th request (from 0) read on the n-th connection
// (from 0); br is the connection's reader, positioned at the request's
// body, which the script reads or not. It returns false to close the
// connection.
type originScript func(n, i int, req *http.Request, br *bufio.Reader, c net.Conn) bool

// rawOrigin is an HTTP/1.1 origin on raw TCP, or TLS when tlsConf is set,
// so that a test can answer exactly as a misbehaving server would. It
// records every request head it reads.
type rawOrigin struct {
	addr string
	mu   sync.Mutex
	// conns counts accepted connections, open those still open; heads
	// lists "n METHOD path" of each request read, in order.
	conns, open int
	heads       []string
	sni         []string // the server names TLS clients asked for
}

func newScriptedOrigin(t *testing.T, tlsConf *tls.Config, script originScript) *rawOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &rawOrigin{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.mu.Lock()
			n := o.conns
			o.conns++
			o.open++
			o.mu.Unlock()
			wg.Go(func() {
				defer func() { o.mu.Lock(); o.open--; o.mu.Unlock() }()
				defer c.Close()
				ended := make(chan struct{})
				defer close(ended)
				go func() { // never outlive the test
					select {
					case <-done:
						c.Close()
					case <-ended:
					}
				}()
				if tlsConf != nil {
					conf := tlsConf.Clone()
					conf.GetConfigForClient = func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
						o.mu.Lock()
						o.sni = append(o.sni, hi.ServerName)
						o.mu.Unlock()
						return nil, nil
					}
					c = tls.Server(c, conf)
				}
				br := bufio.NewReader(c)
				for i := 0; ; i++ {
					c.SetReadDeadline(time.Now().Add(20 * time.Second))
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					o.mu.Lock()
					o.heads = append(o.heads, fmt.Sprintf("%d %s %s", n, req.Method, req.URL.Path))
					o.mu.Unlock()
					if !script(n, i, req, br, c) {
						return
					}
				}
			})
		}
	})
	return o
}

// stats returns the connections accepted and open, and the request heads
// read so far.
func (o *rawOrigin) stats() (conns, open int, heads []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.conns, o.open, append([]string(nil), o.heads...)
}

// reached counts the requests for path that reached the origin.
func (o *rawOrigin) reached(path string) int {
	_, _, heads := o.stats()
	k := 0
	for _, h := range heads {
		if strings.HasSuffix(h, " "+path) {
			k++
		}
	}
	return k
}

// waitOpenAtMost waits (2 s at most) until at most want connections are
// open at the origin.
func (o *rawOrigin) waitOpenAtMost(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, open, _ := o.stats()
		if open <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("origin has %d connections open, want at most %d", open, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newRawOrigin is newScriptedOrigin on plain TCP, with serve given the
// request's whole body.
func newRawOrigin(t *testing.T, serve func(n, i int, req *http.Request, body []byte, c net.Conn) bool) *rawOrigin {
	t.Helper()
	return newScriptedOrigin(t, nil, func(n, i int, req *http.Request, _ *bufio.Reader, c net.Conn) bool {
		body, _ := io.ReadAll(req.Body)
		return serve(n, i, req, body, c)
	})
}

// counts returns the connections accepted and open, and the requests
// read so far by method.
func (o *rawOrigin) counts() (conns, open int, reqs map[string]int) {
	conns, open, heads := o.stats()
	reqs = map[string]int{}
	for _, h := range heads {
		reqs[strings.Fields(h)[1]]++
	}
	return conns, open, reqs
}

// waitOpen waits until the origin has want connections open.
func (o *rawOrigin) waitOpen(t *testing.T, want int) {
	t.Helper()
	o.waitOpenWithin(t, want, 2*time.Second)
}

// waitOpenWithin waits at most d until the origin has want connections open.
func (o *rawOrigin) waitOpenWithin(t *testing.T, want int, d time.Duration) {
	t.Helper()
	for range int(d / (10 * time.Millisecond)) {
		if _, open, _ := o.stats(); open == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, open, _ := o.stats()
	t.Fatalf("origin has %d connections open, want %d", open, want)
}
