//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package httpproxy

// alive reports whether an idle connection may be reused. Without a
// non-blocking peek on this platform it always does; a request that fails
// on it is retried when that is safe (see originClient).
func (c *originConn) alive() bool { return true }
