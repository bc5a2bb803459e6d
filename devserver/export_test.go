package devserver

import "time"

// SetReceiveRetry sets the pause after a failed receive.
func SetReceiveRetry(s *Server, d time.Duration) { s.receiveRetry = d }
