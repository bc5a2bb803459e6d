package main

import (
	"fmt"
	"math"
	"runtime/debug"
)

// defaultDevMemoryLimit is rampart dev's soft memory limit when neither
// --memory-limit nor GOMEMLIMIT sets one: comfortably above what the
// media service needs (image work is admitted against half of it, and
// imaging refuses single images estimated over 256 MiB), and below what a
// developer's machine misses.
const defaultDevMemoryLimit = 1 << 30

// devMemoryLimit decides the process's soft memory limit (the Go runtime's
// GOMEMLIMIT) from the --memory-limit flag ("" when not given, "off", or a
// size such as 512MiB) and the GOMEMLIMIT environment variable (which the
// runtime has already applied): the flag wins, then the environment, then
// defaultDevMemoryLimit. It returns the limit to set, math.MaxInt64 for
// none, or 0 to leave the runtime's (GOMEMLIMIT's) alone.
func devMemoryLimit(flag, env string) (int64, error) {
	switch {
	case flag == "off":
		return math.MaxInt64, nil
	case flag != "":
		var b byteSize
		if err := b.Set(flag); err != nil {
			return 0, fmt.Errorf("--memory-limit: %v, or off", err)
		}
		return int64(b), nil
	case env != "":
		return 0, nil
	}
	return defaultDevMemoryLimit, nil
}

// applyMemoryLimit sets the limit devMemoryLimit decided and returns the
// one in force.
func applyMemoryLimit(limit int64) int64 {
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return debug.SetMemoryLimit(-1)
}
