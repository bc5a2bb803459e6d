package httpproxy

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawIO makes a TCP connection's reads and writes raw system calls on its
// non-blocking socket, waiting in the netpoller as net.Conn does when the
// socket is not ready (syscall.RawConn), deadlines and Close included.
//
// Why: net.Conn's Read and Write enter the system call through the
// scheduler (entersyscall), which wakes the runtime's monitor thread
// (sysmon) whenever it was parked because every P was idle. A proxy at a
// moderate rate goes idle twice per request (waiting for the client, then
// for the origin), so each request paid two futex wake-ups of sysmon, its
// sleeps and four context switches: more CPU than the request's own work
// (measured with perf stat at 500 req/s). A read or write of a
// non-blocking socket never blocks, so it needs no scheduler hand-off.
//
// This file is the module's one import of unsafe, and uses it only to pass
// a buffer's address to those system calls (internal/layers' TestNoUnsafe
// holds it to that).
type rawIO struct {
	*net.TCPConn
	rc syscall.RawConn
}

// newRawIO wraps c when it is a TCP connection; otherwise it returns c.
func newRawIO(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &rawIO{TCPConn: tc, rc: rc}
}

func (c *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var serr error
	defer ioAcquire()
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case 0:
				n = int(r)
				if n == 0 {
					serr = io.EOF
				}
				return true
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait in the netpoller
			}
			serr = os.NewSyscallError("read", e)
			return true
		}
	})
	if err != nil {
		return 0, c.opError("read", err)
	}
	if serr != nil && serr != io.EOF {
		return n, c.opError("read", serr)
	}
	return n, serr
}

func (c *rawIO) Write(p []byte) (int, error) {
	ioRelease()
	var n int
	var serr error
	err := c.rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n))
			switch e {
			case 0:
				n += int(r)
				continue
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait until writable
			}
			serr = os.NewSyscallError("write", e)
			return true
		}
		return true
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return n, c.opError("write", err)
	}
	return n, nil
}

// opError shapes err as net.Conn's errors are: a *net.OpError for op that
// wraps the cause (os.ErrDeadlineExceeded for a deadline).
func (c *rawIO) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err // RawConn's own, named "raw-read"/"raw-write"
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// CloseWrite, SetDeadline and the rest are the TCPConn's.
var _ interface{ CloseWrite() error } = (*rawIO)(nil)

// peekEmpty reports whether the socket fd has nothing to read (a
// non-blocking MSG_PEEK finds no byte and no end of stream), with a raw
// system call for the reason given at rawIO.
func peekEmpty(fd uintptr, buf []byte) bool {
	_, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return e == syscall.EAGAIN || e == syscall.EWOULDBLOCK
}
