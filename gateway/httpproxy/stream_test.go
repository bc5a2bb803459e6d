package httpproxy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/gatewaytest"
	"github.com/rampartdev/rampart/internal/testingutil"
)

// bigOrigin serves size bytes at /big, and at /stall half of them before
// stalling until the client leaves.
func bigOrigin(t *testing.T, size int) *httptest.Server {
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		for sent := 0; sent < size; sent += len(chunk) {
			if r.URL.Path == "/stall" && sent >= size/2 {
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
			if _, err := w.Write(chunk[:min(len(chunk), size-sent)]); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// streamGateway serves a gateway with the given deadlines in front of
// origin, its log (JSON) into logs.
func streamGateway(t *testing.T, origin string, timeout, idle time.Duration, logs io.Writer) (string, string) {
	t.Helper()
	v := gatewaytest.MustLoad(t)
	seeded, err := v.Seed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := gateway.Config{
		Tokens: seeded.Store(), Timeout: gateway.Duration(timeout), StreamIdleTimeout: gateway.Duration(idle),
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	srv := mustServe(t, cfg, origin)
	return srv.URL, seeded.Tokens["root"]
}

// logRecords parses the JSON log lines with message msg.
func logRecords(t *testing.T, out, msg string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range strings.Lines(out) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			recs = append(recs, rec)
		}
	}
	return recs
}

// noPlainLog catches what would go to the standard logger (stderr).
func noPlainLog(t *testing.T) *testingutil.Buffer {
	t.Helper()
	var b testingutil.Buffer
	prev := log.Writer()
	log.SetOutput(&b)
	t.Cleanup(func() {
		log.SetOutput(prev)
		if s := b.String(); s != "" {
			t.Errorf("plain-text log output: %q", s)
		}
	})
	return &b
}

// TestHandler_slowReaderIsNotCutAtTheTimeout reads a body slowly but
// steadily, for longer than the origin timeout: the stream must complete,
// since each write finishes within the idle timeout.
func TestHandler_slowReaderIsNotCutAtTheTimeout(t *testing.T) {
	noPlainLog(t)
	const size = 8 << 20
	origin := bigOrigin(t, size)
	var logs testingutil.Buffer
	url, tok := streamGateway(t, origin.URL, 300*time.Millisecond, 2*time.Second, &logs)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(32 << 10) // so the body cannot all sit in socket buffers
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var got int
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		got += n
		if err != nil {
			break
		}
		time.Sleep(2 * time.Millisecond) // about 10 MB/s at most: most of a second for the body
	}
	if got != size {
		t.Fatalf("read %d of %d bytes in %v", got, size, time.Since(start))
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Fatalf("the read took %v, not longer than the timeout: the test proves nothing", elapsed)
	}
	time.Sleep(50 * time.Millisecond) // the access record is written after the body
	if recs := logRecords(t, logs.String(), "gateway: response truncated"); len(recs) != 0 {
		t.Fatalf("complete response logged as truncated: %v", recs)
	}
}

// TestHandler_stalledReaderIsCutAndLogged stops reading a 10 MB body: the
// gateway cuts it after the idle timeout and logs a JSON error with the
// request id, the bytes sent and the cause; the access record says
// response_truncated, and nothing goes to the plain-text log.
func TestHandler_stalledReaderIsCutAndLogged(t *testing.T) {
	noPlainLog(t)
	const size = 10 << 20
	origin := bigOrigin(t, size)
	var logs testingutil.Buffer
	url, tok := streamGateway(t, origin.URL, time.Second, 300*time.Millisecond, &logs)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+"\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := resp.Header.Get("X-Request-Id")
	recs := waitLog(t, &logs, "gateway: response truncated") // stall until the gateway gives up
	// The gateway has closed the connection; with the small receive
	// window, what it had queued drains slowly, so read only a while.
	conn.SetReadDeadline(time.Now().Add(time.Second))
	got, _ := io.Copy(io.Discard, resp.Body)
	if got >= size {
		t.Fatalf("client got the whole body (%d bytes) despite stalling", got)
	}
	r := recs[0]
	if r["request_id"] != id || r["level"] != "ERROR" || !strings.Contains(r["cause"].(string), "client write") {
		t.Fatalf("truncation record %v, want request_id %s, level ERROR, a client write cause", r, id)
	}
	if sent := r["bytes_sent"].(float64); sent <= 0 || sent >= size {
		t.Fatalf("bytes_sent %v", sent)
	}
	acc := waitLog(t, &logs, "access")
	if acc[0]["error"] != gateway.CodeResponseTruncated || acc[0]["status"] != float64(200) {
		t.Fatalf("access record %v, want status 200 with error response_truncated", acc[0])
	}
}

// TestHandler_stalledOriginIsCutAndLogged stalls the origin mid-body.
func TestHandler_stalledOriginIsCutAndLogged(t *testing.T) {
	noPlainLog(t)
	origin := bigOrigin(t, 1<<20)
	var logs testingutil.Buffer
	url, tok := streamGateway(t, origin.URL, time.Second, 300*time.Millisecond, &logs)
	req, _ := http.NewRequest("GET", url+"/stall", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil || got >= 1<<20 {
		t.Fatalf("read %d bytes, err %v: want a cut stream", got, err)
	}
	r := waitLog(t, &logs, "gateway: response truncated")[0]
	if r["request_id"] != resp.Header.Get("X-Request-Id") || !strings.Contains(r["cause"].(string), "origin body stalled") {
		t.Fatalf("truncation record %v", r)
	}
}

func waitLog(t *testing.T, logs *testingutil.Buffer, msg string) []map[string]any {
	t.Helper()
	for range 100 {
		if recs := logRecords(t, logs.String(), msg); len(recs) > 0 {
			return recs
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q record in the log:\n%s", msg, logs.String())
	return nil
}
