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
	if c.peek == nil { // made once per connection: Control's argument escapes
		c.peek = func(fd uintptr) {
			n, _, err := syscall.Recvfrom(int(fd), c.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			c.peekOK = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		}
	}
	c.peekOK = false
	err := c.raw.Control(c.peek)
	return err == nil && c.peekOK
}
