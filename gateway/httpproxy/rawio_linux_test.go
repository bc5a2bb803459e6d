package httpproxy

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestRawIO: the raw socket reads and writes behave as net.Conn's: bytes
// both ways, a large write that must wait for the reader, a deadline that
// passes (os.ErrDeadlineExceeded, not sticky once moved), end of stream as
// io.EOF, and a closed connection.
func TestRawIO(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peerc := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(peerc)
			return
		}
		peerc <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := newRawIO(d)
	if _, ok := c.(*rawIO); !ok {
		t.Fatalf("newRawIO(%T) = %T, want *rawIO", d, c)
	}
	peer := <-peerc
	if peer == nil {
		t.Fatal("accept failed")
	}
	defer peer.Close()

	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(peer, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("peer read %q, %v", buf, err)
	}

	// 8 MB is more than the socket buffers: the write waits for the reader.
	big := make([]byte, 8<<20)
	for i := range big {
		big[i] = byte(i)
	}
	done := make(chan error, 1)
	go func() {
		got, err := io.ReadAll(io.LimitReader(peer, int64(len(big))))
		if err == nil && string(got) != string(big) {
			err = errors.New("peer got other bytes")
		}
		done <- err
	}()
	if n, err := c.Write(big); n != len(big) || err != nil {
		t.Fatalf("big write: %d, %v", n, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// A read deadline passes; the next read, with a new deadline, works.
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var ne net.Error
	if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past its deadline: %v, want a timeout", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	go peer.Write([]byte("pong"))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("read %q, %v", buf, err)
	}

	// The peer closes: io.EOF, as net.Conn says it.
	peer.Close()
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read after the peer closed: %d, %v, want io.EOF", n, err)
	}
	c.Close()
	if _, err := c.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v, want net.ErrClosed", err)
	}
	if _, err := c.Write(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after Close: %v, want net.ErrClosed", err)
	}
}
