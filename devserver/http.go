package devserver

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// Defaults of the HTTP limits in [Options].
const (
	// DefaultMaxUploadBytes is the largest upload body: four times the
	// thumbnailer's default image limit (imaging.DefaultMaxBytes), so that
	// somewhat larger files are still stored (and rejected by the
	// thumbnailer with a reason, as on S3).
	DefaultMaxUploadBytes = 256 << 20
	// DefaultMaxConcurrentUploads is how many uploads stream at once; more
	// are answered 503 with Retry-After.
	DefaultMaxConcurrentUploads = 8
	// DefaultBodyReadTimeout is the longest a request body may go without
	// delivering a byte (and a response without accepting one) before the
	// connection is closed.
	DefaultBodyReadTimeout = 30 * time.Second
	// DefaultReadHeaderTimeout bounds the time to send a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout closes keep-alive connections idle this long.
	DefaultIdleTimeout = 60 * time.Second
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes = 64 << 10
)

// HTTPServer returns an http.Server for h (the [Server.Handler], perhaps
// with the dashboard beside it) with the connection limits of the options:
// a header timeout, a body-read timeout (a request that stops sending is
// cut off; uploads get it anew after every read, so a big upload may take
// as long as it keeps moving), the same for writing a response (a client
// that stops reading is cut off; object downloads get it anew after every
// write), an idle timeout and a header size limit.
func (s *Server) HTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadHeaderTimeout + s.opts.BodyReadTimeout,
		WriteTimeout:      DefaultReadHeaderTimeout + s.opts.BodyReadTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// uploadSlot takes one of the MaxConcurrentUploads slots, without waiting.
func (s *Server) uploadSlot() (release func(), ok bool) {
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, true
	default:
		return nil, false
	}
}

// progressReader reads a request body, moving the connection's read
// deadline idle ahead before every read, and keeps the first error that is
// the client's (gone, too slow) rather than a size limit's.
type progressReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	err  error
}

func (p *progressReader) Read(b []byte) (int, error) {
	if p.idle > 0 {
		// The response is written after the whole body: its deadline moves
		// too.
		err := p.rc.SetReadDeadline(time.Now().Add(p.idle))
		if err == nil {
			err = p.rc.SetWriteDeadline(time.Now().Add(2 * p.idle))
		}
		if err != nil && p.err == nil {
			p.err = err // a wrapper hides the connection: a bug, not the client's
			return 0, err
		}
	}
	n, err := p.r.Read(b)
	var mbe *http.MaxBytesError
	if err != nil && err != io.EOF && !errors.As(err, &mbe) && p.err == nil {
		p.err = err
		if errors.Is(err, os.ErrDeadlineExceeded) {
			p.err = errors.New("no data for the body-read timeout")
		}
	}
	return n, err
}

// progressWriter writes a response, moving the connection's write deadline
// idle ahead before every write, so a download may take as long as the
// client keeps reading.
type progressWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (p progressWriter) Write(b []byte) (int, error) {
	if err := p.rc.SetWriteDeadline(time.Now().Add(p.idle)); err != nil {
		return 0, err
	}
	return p.ResponseWriter.Write(b)
}
