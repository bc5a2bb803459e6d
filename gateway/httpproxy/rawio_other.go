//go:build !linux

package httpproxy

import "net"

// newRawIO returns c: raw socket I/O (rawio_linux.go) is Linux-only.
func newRawIO(c net.Conn) net.Conn { return c }
