package httpproxy

import (
	"bytes"
	"hash/maphash"
	"net/http"
	"strconv"
)

// framer follows the HTTP/1.1 request framing of one connection's bytes as
// net/http reads them, to see what net/http hides from handlers: a request
// with both Transfer-Encoding and Content-Length reaches the handler with
// the Content-Length removed (net/http/transfer.go, fixLength), so the
// handler cannot tell it from a plain chunked request, and an HTTP/1.0
// request's Transfer-Encoding is dropped. RFC 9112 section 6.1 wants both
// refused and the connection closed: the bytes after such a request may be
// a second request smuggled past a front proxy that framed the first one
// differently.
//
// For each request head it parses, the framer queues a [frame]: a hash of
// the request line, for the handler to check that it and net/http saw the
// same request, and what is wrong with the framing. It mirrors net/http's
// rules for valid messages (request line, header fields with obs-fold,
// Content-Length, chunked bodies with extensions and trailers); on anything
// net/http refuses, net/http answers 4xx and closes the connection itself.
// When the framer cannot follow the stream (a line over its bound, a
// malformed chunk), it stops, and every later request on the connection
// is refused: it fails closed.
type framer struct {
	maxHead  int // bound of one request head, as net/http's read limit
	state    frameState
	line     []byte // a line split across reads
	headSize int
	remain   int64 // body or chunk bytes still to skip
	cur      head
	queue    []frame
}

type frameState uint8

const (
	stHead      frameState = iota // request line and header fields
	stBody                        // remain bytes of a Content-Length body
	stChunkSize                   // a chunk-size line
	stChunkData                   // remain bytes of chunk data, then CRLF
	stChunkCRLF                   // the CRLF after chunk data (remain bytes of it)
	stTrailer                     // trailer fields after the last chunk
	stStopped                     // lost the framing: fail closed
)

// maxQueued bounds the request heads parsed ahead of the handler (net/http
// reads 4 KiB at a time; pipelined requests beyond that wait).
const maxQueued = 256

// maxKeptLine bounds the split-line buffer a framer keeps between lines.
const maxKeptLine = 1 << 10

// frame is what the framer found about one request head.
type frame struct {
	line uint64 // maphash of the request line "METHOD TARGET"
	bad  string // why the framing is refused, "" when it is fine
}

// head collects one request head's framing fields.
type head struct {
	started    bool
	line       uint64
	http10     bool
	clCount    int
	cl         int64
	clBad      bool
	te         bool
	host       bool // a Host field was seen
	hostBad    bool // with bytes a host may not have
	last       byte // 'l' after Content-Length, 't' after Transfer-Encoding, 'h' after Host, for obs-fold
	lineFields bool // the request line was seen
}

func newFramer(maxHeaderBytes int) *framer {
	return &framer{maxHead: maxHeaderBytes + 4096}
}

// lineSeed seeds the request-line hashes: random per process, so a client
// cannot aim at a collision.
var lineSeed = maphash.MakeSeed()

// requestLineHash returns the hash the framer gives the request line of a
// request with method and target.
func requestLineHash(method, target string) uint64 {
	var h maphash.Hash
	h.SetSeed(lineSeed)
	h.WriteString(method)
	h.WriteByte(' ')
	h.WriteString(target)
	return h.Sum64()
}

// next removes and returns the frame of the oldest request head; ok is
// false when there is none (the framer stopped or lost count).
func (f *framer) next() (frame, bool) {
	if len(f.queue) == 0 {
		return frame{}, false
	}
	fr := f.queue[0]
	switch {
	case len(f.queue) > 1:
		f.queue = f.queue[1:]
	case cap(f.queue) <= 8:
		f.queue = f.queue[:0] // kept: a request costs no allocation here
	default:
		f.queue = nil // a long pipeline's queue is not kept
	}
	return fr, true
}

func (f *framer) stop() {
	f.state = stStopped
	f.line = nil
}

// feed follows the bytes b read from the connection.
func (f *framer) feed(b []byte) {
	for len(b) > 0 {
		switch f.state {
		case stStopped:
			return
		case stBody, stChunkData, stChunkCRLF:
			n := int64(len(b))
			if n > f.remain {
				n = f.remain
			}
			if f.state == stChunkCRLF {
				// net/http wants exactly CRLF after chunk data.
				want := "\r\n"[2-f.remain:]
				if !bytes.HasPrefix(b, []byte(want[:n])) {
					f.stop()
					return
				}
			}
			f.remain -= n
			b = b[n:]
			if f.remain == 0 {
				switch f.state {
				case stBody:
					f.state = stHead
				case stChunkData:
					f.state, f.remain = stChunkCRLF, 2
				case stChunkCRLF:
					f.state = stChunkSize
				}
			}
		default: // line states
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				if len(f.line)+len(b) > f.maxHead {
					f.stop()
					return
				}
				f.line = append(f.line, b...)
				return
			}
			line := b[:i+1]
			if len(f.line) > 0 {
				f.line = append(f.line, line...)
				line = f.line
			}
			b = b[i+1:]
			f.onLine(line)
			f.line = f.line[:0]
			if cap(f.line) > maxKeptLine {
				f.line = nil // a long split line's buffer is not kept for the connection's life
			}
		}
	}
}

// onLine handles one line, with its LF, in a line state.
func (f *framer) onLine(line []byte) {
	switch f.state {
	case stHead:
		f.headSize += len(line)
		if f.headSize > f.maxHead {
			f.stop()
			return
		}
		f.headLine(trimEOL(line))
	case stChunkSize:
		// net/http: CRLF only, no other CR; hex size; optional extension.
		if len(line) < 2 || line[len(line)-2] != '\r' || bytes.IndexByte(line, '\r') != len(line)-2 || len(line) > 4096 {
			f.stop()
			return
		}
		l := line[:len(line)-2]
		if i := bytes.IndexByte(l, ';'); i >= 0 {
			l = l[:i]
		}
		l = bytes.TrimRight(l, " \t")
		if len(l) == 0 || len(l) > 16 {
			f.stop()
			return
		}
		n, err := strconv.ParseUint(string(l), 16, 64)
		if err != nil || n > 1<<62 {
			f.stop()
			return
		}
		if n == 0 {
			f.state = stTrailer
			return
		}
		f.state, f.remain = stChunkData, int64(n)
	case stTrailer:
		if len(trimEOL(line)) == 0 {
			f.state = stHead
		}
	}
}

func trimEOL(line []byte) []byte {
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line
}

// headLine handles one line of a request head, without its line end.
func (f *framer) headLine(l []byte) {
	h := &f.cur
	if !h.lineFields {
		if len(l) == 0 {
			f.headSize = 0 // empty lines before a request are skipped
			return
		}
		// net/http's parseRequestLine: METHOD SP TARGET SP PROTO.
		method, rest, ok1 := bytes.Cut(l, []byte{' '})
		target, proto, ok2 := bytes.Cut(rest, []byte{' '})
		if !ok1 || !ok2 {
			f.stop()
			return
		}
		var hh maphash.Hash
		hh.SetSeed(lineSeed)
		hh.Write(method)
		hh.WriteByte(' ')
		hh.Write(target)
		*h = head{started: true, lineFields: true, line: hh.Sum64(), cl: -1}
		h.http10 = !protoAtLeast11(proto)
		return
	}
	if len(l) == 0 {
		f.endHead()
		return
	}
	if l[0] == ' ' || l[0] == '\t' { // obs-fold: continues the previous field
		switch h.last {
		case 'l':
			h.clBad = true // net/http joins the lines: "5 6" is not a length
		case 'h':
			h.hostBad = true // nor is "a b" a host
		}
		return
	}
	h.last = 0
	name, value, ok := bytes.Cut(l, []byte{':'})
	if !ok {
		return // net/http refuses the request and closes
	}
	switch {
	case len(name) == len("content-length") && asciiEqualFoldBytes(name, "content-length"):
		h.last = 'l'
		v := bytes.Trim(value, " \t")
		n, err := strconv.ParseUint(string(v), 10, 63)
		switch {
		case err != nil:
			h.clBad = true
		case h.clCount > 0 && int64(n) != h.cl:
			h.clBad = true
		default:
			h.cl = int64(n)
		}
		h.clCount++
	case len(name) == len("transfer-encoding") && asciiEqualFoldBytes(name, "transfer-encoding"):
		h.last = 't'
		h.te = true
	case len(name) == len("host") && asciiEqualFoldBytes(name, "host"):
		// http.Server checks the field itself, also when an absolute-form
		// target names the host (the parser then drops the field).
		h.last = 'h'
		h.host = true
		h.hostBad = h.hostBad || !validHost(string(bytes.Trim(value, " \t")))
	}
}

// endHead queues the frame of the head just parsed and sets up its body.
func (f *framer) endHead() {
	h := f.cur
	f.cur = head{}
	f.headSize = 0
	fr := frame{line: h.line}
	switch {
	case h.te && h.clCount > 0:
		fr.bad = "both Transfer-Encoding and Content-Length"
	case h.te && h.http10:
		fr.bad = "Transfer-Encoding in an HTTP/1.0 request"
	case !h.host && !h.http10:
		// RFC 9112 section 3.2, also for an absolute-form target, from
		// which the parser takes the host when the field is missing.
		fr.bad = "missing required Host header"
	case h.hostBad:
		fr.bad = "malformed Host header"
	}
	if len(f.queue) >= maxQueued {
		f.stop()
		return
	}
	f.queue = append(f.queue, fr)
	switch {
	case h.clBad:
		// net/http answers 400 and closes; nothing after it is read.
		f.stop()
	case h.te && !h.http10:
		// net/http frames by the chunked coding (or answers 501 and
		// closes when the coding is another).
		f.state = stChunkSize
	case h.clCount > 0 && h.cl > 0:
		f.state, f.remain = stBody, h.cl
	}
}

func protoAtLeast11(proto []byte) bool {
	major, minor, ok := bytes.Cut(bytes.TrimPrefix(proto, []byte("HTTP/")), []byte{'.'})
	if !ok {
		return false
	}
	ma, err1 := strconv.Atoi(string(major))
	mi, err2 := strconv.Atoi(string(minor))
	return err1 == nil && err2 == nil && (ma > 1 || ma == 1 && mi >= 1)
}

func asciiEqualFoldBytes(b []byte, lower string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// framingProblem returns why r's framing is refused, or "". g is the
// server connection r came on, or nil (the Handler served by another
// server).
func framingProblem(r *http.Request, g *serverConn) string {
	if r.ProtoMajor != 1 {
		return "" // HTTP/2 and 3 frame messages themselves
	}
	if g != nil {
		return g.checkFraming(r)
	}
	if len(r.TransferEncoding) > 0 {
		return "chunked request bodies need the gateway's server (httpproxy.NewServer)"
	}
	return ""
}
