//go:build linux && race

package httpproxy

import (
	"os"
	"syscall"
)

// The race detector sees an ordering through package syscall's Read and
// Write (a write releases, a read acquires, one address for the process),
// which the raw system calls of rawIO bypass: without it, what a goroutine
// did before writing a socket would look unordered with what another does
// after reading that socket's peer (an access log written before the
// answer, read by a test after it). Under the race detector, each raw
// write and read also makes an empty syscall.Write and syscall.Read.
var devNull, _ = os.Open(os.DevNull) // kept open for the process

func ioRelease() { _, _ = syscall.Write(-1, nil) } // releases, then fails (EBADF)

func ioAcquire() { // an empty read succeeds: acquires
	if devNull != nil {
		_, _ = syscall.Read(int(devNull.Fd()), []byte{})
	}
}
