package httpproxy

import "net/http"

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
