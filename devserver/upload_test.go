package devserver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/internal/datadir"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// serve runs s's API behind the server's own connection limits.
func serve(t *testing.T, s *devserver.Server) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	hs := s.HTTPServer(s.Handler())
	srv.Config = hs
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// rawRequest writes head (and body) on a fresh connection and returns the
// status line of the answer, or the read error.
func rawRequest(t *testing.T, addr, head string, body io.Reader, wait time.Duration) (string, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, head); err != nil {
		return "", err
	}
	if body != nil {
		go io.Copy(c, body)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	return bufio.NewReader(c).ReadString('\n')
}

// zeros is an endless (or n-byte) body that costs no memory.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := int64(len(p))
	if k > z.n {
		k = z.n
	}
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

func tempFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(filepath.Join(dir, datadir.ObjectsDir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestUpload_limits: a Content-Length over the limit is refused before a
// byte of the body is sent; a chunked body is cut off at the limit; either
// way nothing is stored and no temporary file is left.
func TestUpload_limits(t *testing.T) {
	dir := t.TempDir()
	// A body-read timeout far beyond the test's wait, so an answer within
	// the wait is one that did not wait for the body.
	s := MustOpen(t, dir, io.Discard, func(o *devserver.Options) { o.MaxUploadBytes, o.BodyReadTimeout = 1<<20, time.Hour })
	defer s.Close()
	srv := serve(t, s)
	addr := srv.Listener.Addr().String()

	// 2 GiB announced, nothing sent: the answer comes at once.
	line, err := rawRequest(t, addr, "PUT /objects/uploads/huge.bin HTTP/1.1\r\nHost: "+addr+"\r\nContent-Length: 2147483648\r\n\r\n", nil, time.Minute)
	if err != nil || !strings.Contains(line, " 413 ") {
		t.Fatalf("2 GiB Content-Length, no body sent: %q %v, want 413 at once", line, err)
	}
	// Chunked, no length: cut off when it passes the limit.
	req, _ := http.NewRequest("PUT", srv.URL+"/objects/uploads/chunked.bin", io.MultiReader(&zeros{n: 3 << 20}))
	req.ContentLength = -1
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("3 MiB chunked over a 1 MiB limit: %d", res.StatusCode)
	}
	for _, k := range []string{"uploads/huge.bin", "uploads/chunked.bin"} {
		if _, err := s.Objects().Head(t.Context(), k); err == nil {
			t.Errorf("%s stored", k)
		}
	}
	if tf := tempFiles(t, dir); len(tf) != 0 {
		t.Errorf("temporary files left: %v", tf)
	}
	// Just under the limit is fine.
	req, _ = http.NewRequest("PUT", srv.URL+"/objects/uploads/ok.bin", &zeros{n: 1 << 20})
	req.ContentLength = -1
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("1 MiB chunked: %v %v", res, err)
	}
	res.Body.Close()
}

// TestUpload_concurrencyAndSlowBodies: beyond the cap an upload gets 503
// with Retry-After; a body that stops sending is cut off after the
// body-read timeout, which frees its slot.
func TestUpload_concurrencyAndSlowBodies(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir, io.Discard, func(o *devserver.Options) {
		o.MaxConcurrentUploads = 1
		o.BodyReadTimeout = 500 * time.Millisecond
	})
	defer s.Close()
	srv := serve(t, s)
	addr := srv.Listener.Addr().String()

	// A slow client: headers and a few bytes, then nothing.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "PUT /objects/uploads/slow.bin HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000000\r\n\r\nabc", addr)
	waitFor(t, time.Minute, "the slow upload to take the one slot", func() bool { return devserver.UploadsStreaming(s) == 1 })

	req, _ := http.NewRequest("PUT", srv.URL+"/objects/uploads/second.bin", strings.NewReader("x"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("second upload while the cap is taken: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// The server answers or closes the stalled connection (the timeout is
	// 500 ms; the test's own read deadline only stops a hang).
	slow.SetReadDeadline(time.Now().Add(time.Minute))
	if got, err := io.ReadAll(slow); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("stalled body kept its connection for a minute (got %q)", got)
	}
	// And the slot is free again.
	deadline := time.Now().Add(time.Minute)
	for {
		req, _ = http.NewRequest("PUT", srv.URL+"/objects/uploads/third.bin", strings.NewReader("x"))
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusCreated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the stalled upload ended: %d", res.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := s.Objects().Head(t.Context(), "uploads/slow.bin"); err == nil {
		t.Error("the stalled upload was stored")
	}

}

// TestUpload_boundedMemory streams four concurrent 48 MiB uploads through
// the API in this process and checks that the Go heap allocated for them is
// a small fraction of their size (the old API read each body whole). The
// measurement of the real process (four 2 GiB uploads, peak RSS) is
// TestUploadRSS in cmd/rampart.
func TestUpload_boundedMemory(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir, io.Discard, nil)
	defer s.Close()
	srv := serve(t, s)
	const size = 48 << 20
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(context.Background(), "PUT", fmt.Sprintf("%s/objects/big/%d.bin", srv.URL, i), &zeros{n: size})
			req.ContentLength = size
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				errs <- fmt.Errorf("upload %d: %d", i, res.StatusCode)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("4 x %d MiB uploaded with %.1f MiB allocated in all", size>>20, float64(alloc)/(1<<20))
	if alloc > 4*size/8 {
		t.Errorf("allocated %d MiB for 4 x %d MiB of uploads: bodies are buffered", alloc>>20, size>>20)
	}
}

// TestDownload_slowReader: a client that stops reading a download is cut
// off after the body-read timeout instead of holding its connection; one
// that reads gets the whole object.
func TestDownload_slowReader(t *testing.T) {
	t.Parallel() // waits on sleeps and child processes more than it computes
	dir := t.TempDir()
	logs := &testingutil.Buffer{}
	s := MustOpen(t, dir, logs, func(o *devserver.Options) { o.BodyReadTimeout = 300 * time.Millisecond })
	defer s.Close()
	srv := serve(t, s)
	const size = 32 << 20
	req, _ := http.NewRequest("PUT", srv.URL+"/objects/big/x.bin", &zeros{n: size})
	req.ContentLength = size
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	res, err := http.Get(srv.URL + "/objects/big/x.bin")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := io.Copy(io.Discard, res.Body); n != size {
		t.Fatalf("a reading client got %d of %d bytes", n, size)
	}
	res.Body.Close()

	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /objects/big/x.bin HTTP/1.1\r\nHost: %s\r\n\r\n", srv.Listener.Addr())
	// Not reading until the server has given up on the download: its
	// handler has returned (its second GET is in the access log).
	waitFor(t, time.Minute, "the stalled download to end", func() bool {
		return strings.Count(logs.String(), `"method":"GET","path":"/objects/big/x.bin"`) == 2
	})
	c.SetReadDeadline(time.Now().Add(time.Minute))
	n, _ := io.Copy(io.Discard, c)
	if n >= size {
		t.Fatalf("a client that stopped reading still got all %d bytes", n)
	}
	t.Logf("the stalled download was cut off after %d of %d bytes", n, size)
}

// TestHTTPServer_headerAndIdleLimits: the server rampart dev listens with
// bounds headers (time and size) and idle keep-alive connections, and
// closes a connection whose headers stop arriving after the header
// timeout (a slowloris holds none open).
func TestHTTPServer_headerAndIdleLimits(t *testing.T) {
	t.Parallel() // waits out the 10 s header timeout
	s := MustOpen(t, t.TempDir(), io.Discard, nil)
	defer s.Close()
	hs := s.HTTPServer(s.Handler())
	if hs.ReadHeaderTimeout != devserver.DefaultReadHeaderTimeout || hs.IdleTimeout != devserver.DefaultIdleTimeout ||
		hs.MaxHeaderBytes != devserver.MaxHeaderBytes || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 {
		t.Fatalf("http.Server limits: header %s, idle %s, header bytes %d, read %s, write %s",
			hs.ReadHeaderTimeout, hs.IdleTimeout, hs.MaxHeaderBytes, hs.ReadTimeout, hs.WriteTimeout)
	}
	srv := serve(t, s)
	addr := srv.Listener.Addr().String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: %s\r\nX-Slow: ", addr) // and nothing more
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := io.ReadAll(c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("a request whose headers stopped arriving kept its connection for a minute")
	}
	if d := time.Since(start); d < devserver.DefaultReadHeaderTimeout/2 {
		t.Fatalf("closed after %s, before the header timeout", d)
	}
}
