//go:build linux && !race

package httpproxy

// Only the race detector needs these (rawio_race.go).
func ioRelease() {}
func ioAcquire() {}
