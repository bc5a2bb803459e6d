package devserver

import "time"

// SetReceiveRetry sets the pause after a failed receive.
func SetReceiveRetry(s *Server, d time.Duration) { s.receiveRetry = d }

// SetCrashHook runs f at each step of an upload or delete (the crash tests
// kill the process there).
func SetCrashHook(f func(step string)) { crashHook = f }

// UploadsStreaming reports how many uploads hold a slot now.
func UploadsStreaming(s *Server) int { return len(s.uploads) }
