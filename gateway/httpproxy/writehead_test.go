package httpproxy

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// TestWriteHead: a bodyless request written by writeHead parses, with
// net/http's parser, into what Request.Write's bytes parse into, for each
// method (an empty POST says Content-Length: 0): method,
// target (opaque, with a query, "//" paths), Host, the fields (a nil
// User-Agent written by neither), and a value with a line break cannot
// start a field of its own.
func TestWriteHead(t *testing.T) {
	for _, tc := range []struct {
		name string
		u    url.URL
		hdr  http.Header
	}{
		{"opaque", url.URL{Scheme: "http", Host: "o.test", Opaque: "/a/%2e%2E/b"}, http.Header{"Accept": {"*/*"}, "User-Agent": nil}},
		{"query", url.URL{Scheme: "http", Host: "o.test", Opaque: "/q", RawQuery: "a=1&b=%20"}, http.Header{"X-Two": {"1", "2"}, "User-Agent": {"curl/8"}}},
		{"double slash", url.URL{Scheme: "http", Host: "o.test", Path: "//x/y", RawPath: "//x/y"}, http.Header{"User-Agent": nil}},
		{"line break", url.URL{Scheme: "http", Host: "o.test", Opaque: "/"}, http.Header{"X-Evil": {"a\r\nX-Injected: 1"}, "User-Agent": nil}},
	} {
		for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			t.Run(tc.name+" "+method, func(t *testing.T) {
				req := &http.Request{Method: method, URL: &tc.u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: tc.hdr, Host: "o.test:8080"}
				var mine, std bytes.Buffer
				bw := bufio.NewWriter(&mine)
				if err := writeHead(bw, req); err != nil {
					t.Fatal(err)
				}
				bw.Flush()
				if err := req.Write(&std); err != nil {
					t.Fatal(err)
				}
				a, err := http.ReadRequest(bufio.NewReader(&mine))
				if err != nil {
					t.Fatalf("writeHead wrote %q: %v", mine.String(), err)
				}
				b, err := http.ReadRequest(bufio.NewReader(&std))
				if err != nil {
					t.Fatal(err)
				}
				if a.Method != b.Method || a.RequestURI != b.RequestURI || a.Host != b.Host || !reflect.DeepEqual(a.Header, b.Header) || a.ContentLength != 0 {
					t.Fatalf("writeHead:\n%q\nparses to %s %s %s %v;\nRequest.Write:\n%q\nto %s %s %s %v",
						mine.String(), a.Method, a.RequestURI, a.Host, a.Header, std.String(), b.Method, b.RequestURI, b.Host, b.Header)
				}
				if _, ok := a.Header["X-Injected"]; ok {
					t.Fatal("a line break in a value started a field")
				}
			})
		}
	}
}

// TestHandler_controlByteInTargetIsNotWritten: a request whose target has
// a line break (put there by a middleware in front of the Handler:
// net/http's parser refuses one) is refused with 502 before any
// connection to the origin, as Request.Write refuses it; writeHead wrote
// it, ending the request line and starting a field of the client's
// choosing at the origin.
func TestHandler_controlByteInTargetIsNotWritten(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}
	}()
	gw, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Prefix: "/", Public: true}}, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(gw, "http://"+ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"a=1\r\nX-Injected: 1", "a=\x00", "a=\x7f"} {
		req := httptest.NewRequest("GET", "/x", nil)
		req.RequestURI = "/x?" + q // what the Handler reads
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadGateway || time.Since(start) > 2*time.Second {
			t.Errorf("query %q: %d after %v, want 502 at once", q, rec.Code, time.Since(start))
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("the origin got %d connections, want none", n)
	}
}
