package httpproxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway/gatewaytest"
)

// TestHandler_smuggledRequestNeverReachesOrigin pipelines, on one raw
// connection, a request with both Transfer-Encoding and Content-Length and
// behind it the bytes a front proxy framing by Content-Length would have
// taken as body: a second request. The gateway must answer 400 in JSON and
// close the connection, and the second request must never reach the
// origin (RFC 9112 section 6.1).
func TestHandler_smuggledRequestNeverReachesOrigin(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	srv := newServer(t, v, seeded, origin.URL, io.Discard)
	host := strings.TrimPrefix(srv.URL, "http://")
	tok := seeded.Tokens["alice"]
	smuggled := "GET /api/smuggled HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + tok + "\r\n\r\n"
	for _, tc := range []struct{ name, head string }{
		{"TE then CL", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"},
		{"CL then TE", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"},
		{"lower case", "transfer-encoding: chunked\r\ncontent-length: 5\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := origin.Count()
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			first := "POST /api/items HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + tok + "\r\n" + tc.head + "\r\n0\r\n\r\n"
			if _, err := io.WriteString(conn, first+smuggled); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(string(body), `"code":"bad_request"`) || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("first answer: %d %s %q, want 400 bad_request in JSON", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if second, err := http.ReadResponse(br, nil); err == nil {
				b, _ := io.ReadAll(second.Body)
				t.Errorf("the connection stayed open and served the smuggled request: %d %q", second.StatusCode, b)
			}
			if n := origin.Count() - before; n != 0 {
				t.Errorf("origin saw %d requests, want none", n)
			}
		})
	}
}

// TestHandler_pipelinedRequestsThroughTheGuard checks that the guard
// follows valid traffic: pipelined requests with Content-Length and
// chunked bodies (extensions, a trailer) on one connection all pass, also
// when the bytes arrive one at a time.
func TestHandler_pipelinedRequestsThroughTheGuard(t *testing.T) {
	v := gatewaytest.MustLoad(t)
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	origin := gatewaytest.NewOrigin(t)
	srv := newServer(t, v, seeded, origin.URL, io.Discard)
	host := strings.TrimPrefix(srv.URL, "http://")
	auth := "Authorization: Bearer " + seeded.Tokens["root"] + "\r\n"
	reqs := []string{
		"POST /api/a HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Content-Length: 11\r\n\r\nhello world",
		"POST /api/b HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n",
		"GET /api/c HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "\r\n",
		"PUT /api/d HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Content-Length: 4\r\nContent-Length: 4\r\n\r\nGET ",
		"POST /api/e HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "transfer-encoding: Chunked\r\n\r\n1\r\n\n\r\n0\r\n\r\n",
		"GET /api/f HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Connection: close\r\n\r\n",
	}
	for _, bytewise := range []bool{false, true} {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		go func() {
			all := strings.Join(reqs, "")
			if !bytewise {
				io.WriteString(conn, all)
				return
			}
			for i := range len(all) {
				if _, err := io.WriteString(conn, all[i:i+1]); err != nil {
					return
				}
			}
		}()
		br := bufio.NewReader(conn)
		for i := range reqs {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("bytewise=%v: response %d: %v", bytewise, i, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("bytewise=%v: request %d: %d %s", bytewise, i, resp.StatusCode, body)
			}
		}
		conn.Close()
	}
}
