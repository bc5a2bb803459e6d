package httpproxy

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
)

// TestServer_silentConnectionsAreClosedAtTheHeadTimeout: a connection that
// sends nothing is closed at the head timeout after the accept, not held
// for the idle timeout between requests (slowloris); one that sent a
// request and then nothing more is closed at the idle timeout.
func TestServer_silentConnectionsAreClosedAtTheHeadTimeout(t *testing.T) {
	gw, err := gateway.New(gateway.Config{
		Routes: []gateway.Route{{Prefix: "/", Public: true}},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(gw, "http://127.0.0.1:1", nil) // never reached
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h)
	srv.readHeaderTimeout, srv.idleTimeout = 200*time.Millisecond, time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	closedWithin := func(c net.Conn) time.Duration {
		t.Helper()
		start := time.Now()
		c.SetReadDeadline(start.Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("connection not closed by the server: %v", err)
		}
		return time.Since(start)
	}
	silent, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if took := closedWithin(silent); took > 900*time.Millisecond {
		t.Fatalf("a silent connection was held %v, want the head timeout (200ms)", took)
	}

	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /x HTTP/1.1\r\nHost: gw.test\r\n\r\n") // 502: no origin
	if took := closedWithin(idle); took < 900*time.Millisecond {
		t.Fatalf("a connection idle after a request was closed after %v, want the idle timeout (1s)", took)
	}
}
