package writegate

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Errors returned by [Hosts.Check] and [Hosts.CheckOrigin].
var (
	// ErrForeignHost is returned (wrapped) for a request whose Host header
	// is not one of the listener's own names: what a DNS-rebinding page
	// sends.
	ErrForeignHost = errors.New("writegate: request for a host this server does not serve")
	// ErrForeignOrigin is returned (wrapped) for a browser request whose
	// Origin is not one of the listener's own origins.
	ErrForeignOrigin = errors.New("writegate: request from an origin this server does not serve")
)

// loopbackNames are the names every loopback listener answers to.
var loopbackNames = []string{"127.0.0.1", "localhost", "[::1]"}

// Hosts admits the requests addressed to the listener itself, for the
// servers Rampart binds on this machine, where every web page the user opens
// can reach them. A page on a site whose DNS name is rebound to 127.0.0.1
// sends its own name as Host; refusing every Host but the listener's own
// names keeps such a page from reading or calling anything.
//
// A request's Host (and, for [Hosts.CheckOrigin], its Origin's host) is
// admitted when it is, with the port the connection arrived on,
// 127.0.0.1, localhost, [::1], the connection's own local IP address (an IP
// literal cannot be rebound), or one of the extra names. Names compare
// case-insensitively. When the request carries no local address (a handler
// called directly, not through net/http's server), any port is accepted.
// The zero value admits only those loopback names. A Hosts is safe for
// concurrent use.
type Hosts struct {
	extra []string
}

// NewHosts returns a Hosts that admits, besides the listener's own names,
// each name in extra: "name" on the listener's port, or "name:port" on that
// port only (rampart dev --allow-host).
func NewHosts(extra ...string) *Hosts {
	h := &Hosts{}
	for _, e := range extra {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			h.extra = append(h.extra, e)
		}
	}
	return h
}

// Check returns nil when r's Host names this listener, and an error
// wrapping [ErrForeignHost] otherwise.
func (h *Hosts) Check(r *http.Request) error {
	if !h.admits(r, r.Host) {
		return fmt.Errorf("%w: Host %q is not one of this server's names (%s); add it with --allow-host if you use another name",
			ErrForeignHost, clip(r.Host), h.names(r))
	}
	return nil
}

// CheckOrigin returns nil when r has no Origin header (not a browser
// request, or one the browser sends without it, such as a same-origin
// GET) or an Origin whose host names this listener, and an error wrapping
// [ErrForeignOrigin] otherwise. The MCP specification requires servers on
// loopback to validate Origin this way.
func (h *Hosts) CheckOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || !h.admits(r, u.Host) {
		return fmt.Errorf("%w: Origin %q is not one of this server's origins (http:// or https:// and %s)", ErrForeignOrigin, clip(origin), h.names(r))
	}
	return nil
}

// Wrap returns a handler that answers 403 Forbidden with a JSON error
// ({"error": "..."}) to a request with a foreign Host, and runs next for
// the others.
func (h *Hosts) Wrap(next http.Handler) http.Handler {
	return h.wrap(next, false)
}

// WrapOrigin is [Hosts.Wrap] that also refuses a foreign Origin.
func (h *Hosts) WrapOrigin(next http.Handler) http.Handler {
	return h.wrap(next, true)
}

func (h *Hosts) wrap(next http.Handler, origin bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h.Check(r)
		if err == nil && origin {
			err = h.CheckOrigin(r)
		}
		if err != nil {
			WriteError(w, http.StatusForbidden, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WriteError answers code with the JSON body {"error": err.Error()}.
func WriteError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// admits reports whether hostport names the listener r arrived on.
func (h *Hosts) admits(r *http.Request, hostport string) bool {
	hostport = strings.ToLower(hostport)
	if hostport == "" {
		return false
	}
	host, port := splitHostPort(hostport)
	localIP, localPort := localAddr(r)
	if localPort != "" {
		// A Host without a port means the scheme's default.
		if port == "" {
			port = "80"
		}
		if port != localPort {
			return false
		}
	}
	if localIP != "" && host == localIP {
		return true
	}
	for _, n := range loopbackNames {
		if host == n {
			return true
		}
	}
	for _, e := range h.extra {
		eh, ep := splitHostPort(e)
		if eh == host && (ep == "" || ep == port) {
			return true
		}
	}
	return false
}

// names lists the admitted names for an error message.
func (h *Hosts) names(r *http.Request) string {
	_, port := localAddr(r)
	suffix := ""
	if port != "" {
		suffix = ":" + port
	}
	var out []string
	for _, n := range loopbackNames {
		out = append(out, n+suffix)
	}
	for _, e := range h.extra {
		if _, p := splitHostPort(e); p == "" {
			e += suffix
		}
		out = append(out, e)
	}
	return strings.Join(out, ", ")
}

// splitHostPort splits "host:port", "[v6]:port", "host" or "[v6]"; an IPv6
// host keeps its brackets.
func splitHostPort(s string) (host, port string) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return s, ""
		}
		host, rest := s[:end+1], s[end+1:]
		if p, ok := strings.CutPrefix(rest, ":"); ok {
			return host, p
		}
		return host, ""
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.IndexByte(s[:i], ':') < 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// localAddr returns the IP literal (IPv6 in brackets) and port the
// request's connection arrived on, or empty strings without one.
func localAddr(r *http.Request) (ip, port string) {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || a == nil {
		return "", ""
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "", ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return strings.ToLower(host), port
}

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
