package httpproxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// framesOf feeds data to a new framer in pieces of at most step bytes (all
// at once for 0) and returns the frames it queued and whether it stopped.
func framesOf(data []byte, step int) ([]frame, bool) {
	f := newFramer(1 << 20)
	if step <= 0 {
		step = len(data) + 1
	}
	for len(data) > 0 {
		n := min(step, len(data))
		f.feed(data[:n])
		data = data[n:]
	}
	return f.queue, f.state == stStopped
}

// FuzzFramer checks the framer against net/http's own request parser: for
// every request net/http reads from a stream (with its body), the framer
// queued a frame with the same request line, in order, until a frame it
// refuses (the gateway closes the connection there); and how the bytes
// are split across reads changes nothing.
func FuzzFramer(f *testing.F) {
	b, err := os.ReadFile("../testdata/vectors.json")
	if err != nil {
		f.Fatal(err)
	}
	var v struct {
		Cases []struct {
			Raw string `json:"raw"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	for _, c := range v.Cases {
		if c.Raw != "" {
			f.Add([]byte(strings.ReplaceAll(c.Raw, "$host", "h")), uint8(3))
		}
	}
	f.Add([]byte("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.0\r\n\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		frames, _ := framesOf(data, 0)
		split, _ := framesOf(data, int(step))
		if len(frames) != len(split) {
			t.Fatalf("%d frames whole, %d split by %d", len(frames), len(split), step)
		}
		for i := range frames {
			if frames[i] != split[i] {
				t.Fatalf("frame %d: %+v whole, %+v split", i, frames[i], split[i])
			}
		}
		br := bufio.NewReader(bytes.NewReader(data))
		for i := 0; ; i++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if i >= len(frames) {
				t.Fatalf("net/http read request %d (%s %s), the framer has %d frames", i, req.Method, req.RequestURI, len(frames))
			}
			if frames[i].line != requestLineHash(req.Method, req.RequestURI) {
				t.Fatalf("request %d: net/http read %s %q, the framer another line", i, req.Method, req.RequestURI)
			}
			if frames[i].bad != "" {
				return // refused: the connection closes here
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				return // net/http fails the body: the connection closes
			}
			if req.Close {
				return
			}
		}
	})
}

// TestFramer_longSplitLineIsNotKept: a header line split across reads is
// collected in the framer's line buffer; once the line is done, a buffer
// grown past maxKeptLine is dropped, not held while the connection idles.
func TestFramer_longSplitLineIsNotKept(t *testing.T) {
	f := newFramer(64 << 10)
	head := "GET / HTTP/1.1\r\nHost: a\r\nCookie: " + strings.Repeat("c", 12<<10) + "\r\n\r\n"
	f.feed([]byte(head[:8<<10]))
	f.feed([]byte(head[8<<10:]))
	if fr, ok := f.next(); !ok || fr.bad != "" {
		t.Fatalf("frame %+v, %v: want the request's, fine", fr, ok)
	}
	if c := cap(f.line); c > maxKeptLine {
		t.Fatalf("the framer keeps a %d-byte line buffer after the head", c)
	}
}

// TestFramer_requestsCostNoAllocation: one request after another on a
// connection reuses the framer's queue (it allocated a frame slice for
// each request before).
func TestFramer_requestsCostNoAllocation(t *testing.T) {
	f := newFramer(16 << 10)
	req := []byte("POST /x HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 3\r\n\r\nabc")
	if n := testing.AllocsPerRun(100, func() {
		f.feed(req)
		if fr, ok := f.next(); !ok || fr.bad != "" {
			t.Fatalf("frame %+v, %v: want the request's, fine", fr, ok)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
}
