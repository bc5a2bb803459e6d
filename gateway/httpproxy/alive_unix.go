//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package httpproxy

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
			c.peekOK = peekEmpty(fd, c.peekBuf[:])
		}
	}
	c.peekOK = false
	err := c.raw.Control(c.peek)
	return err == nil && c.peekOK
}
