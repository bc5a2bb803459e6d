//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package httpproxy

import "syscall"

// peekEmpty reports whether the socket fd has nothing to read: a
// non-blocking MSG_PEEK finds no byte and no end of stream.
func peekEmpty(fd uintptr, buf []byte) bool {
	n, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
}
