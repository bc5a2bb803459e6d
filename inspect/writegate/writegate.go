// Package writegate holds the web safety rules of Rampart's local HTTP
// servers (rampart dev's API and dashboard, rampart mcp --http), which listen
// on loopback where every page the user opens in a browser can reach them:
//
//   - [Hosts] refuses a request whose Host (and, where asked, Origin) is not
//     one of the listener's own names, which is what a DNS-rebinding page
//     sends;
//   - [Gate] guards the state-changing endpoints (the dashboard's redrive
//     form, the dev server's POST /queue/redrive): they run only when writes
//     were allowed (rampart dev --allow-writes) and never for a cross-site
//     browser request, so that a page on another site cannot make a
//     visitor's browser submit them;
//   - [ObjectHeaders] serves user content (uploaded objects) so that it is
//     never active content on the API's origin, and [PageHeaders] keeps the
//     tools' own pages out of other sites' frames.
//
// The cross-origin check of [Gate] is the standard library's
// [http.CrossOriginProtection]: a request is refused when its Sec-Fetch-Site
// header is neither same-origin nor none, or, without that header, when its
// Origin's host differs from its Host. Requests with neither header (curl,
// scripts) are not from a browser and are allowed.
package writegate

import (
	"errors"
	"fmt"
	"net/http"
)

// Errors returned by [Gate.Check].
var (
	// ErrWritesDisabled is returned when writes were not allowed.
	ErrWritesDisabled = errors.New("writegate: writes are not allowed (start with --allow-writes)")
	// ErrCrossOrigin is returned (wrapped) for a cross-site browser request.
	ErrCrossOrigin = errors.New("writegate: cross-origin request refused")
)

// Gate decides whether a state-changing request may run. The zero value
// refuses every write. A Gate is safe for concurrent use.
type Gate struct {
	allow bool
	cop   *http.CrossOriginProtection
}

// New returns a Gate that admits same-origin and non-browser requests when
// allowWrites is set, and nothing otherwise.
func New(allowWrites bool) *Gate {
	return &Gate{allow: allowWrites, cop: http.NewCrossOriginProtection()}
}

// AllowsWrites reports whether the gate admits any write.
func (g *Gate) AllowsWrites() bool { return g != nil && g.allow }

// Check returns nil when r may change state, [ErrWritesDisabled] when writes
// are not allowed, and an error wrapping [ErrCrossOrigin] for a cross-site
// browser request.
func (g *Gate) Check(r *http.Request) error {
	if !g.AllowsWrites() {
		return ErrWritesDisabled
	}
	if err := g.cop.Check(r); err != nil {
		return fmt.Errorf("%w: %v", ErrCrossOrigin, err)
	}
	return nil
}

// Wrap returns a handler that runs next only when [Gate.Check] admits the
// request, and otherwise answers 403 Forbidden with the reason as a JSON
// error ({"error": "..."}).
func (g *Gate) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.Check(r); err != nil {
			WriteError(w, http.StatusForbidden, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}
