//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package httpproxy

import "syscall"

// alive reports whether an idle connection may be reused: a non-blocking
// peek at its socket finds nothing to read. End of stream (the origin
// closed it), an error, or bytes nobody asked for (an unsolicited or
// misframed response) all mean it must be closed instead.
func (c *originConn) alive() bool {
	if c.raw == nil {
		return true
	}
	ok := false
	err := c.raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
	})
	return err == nil && ok
}
