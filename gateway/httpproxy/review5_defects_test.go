package httpproxy_test

// review5's defects found by the differential harness (review5_test.go),
// each kept as the test that failed before its fix.

import (
	"fmt"
	"strings"
	"testing"
)

// TestReview5_fieldNameWithSpaceIsRefused: net/http's header parser keeps
// a field name with a space before the colon (golang/go#34540) and
// http.Server then refuses the request (400 invalid header name), as RFC
// 9112 section 5.1 requires: a front proxy that trims the space frames the
// message by that field. The gateway's server must refuse it the same way,
// else "Content-Length : N" makes the body a second request (and
// "Transfer-Encoding : chunked" next to a Content-Length is CL.TE).
// Fixed by 6a69099 (core) and 4c03053 (server).
func TestReview5_fieldNameWithSpaceIsRefused(t *testing.T) {
	t.Parallel()
	inner := "GET /inner HTTP/1.1\r\n" + r5Host + "\r\n"
	r5SameOrSafer(t,
		r5Req("POST", "/p", fmt.Sprintf("Content-Length : %d\r\n", len(inner)), inner)+r5Last("/after"),
		r5Req("POST", "/p", "Transfer-Encoding : chunked\r\nContent-Length: 3\r\n", "abc")+r5Last("/after"),
		r5Req("GET", "/p", "X-A : 1\r\n", "")+r5Last("/after"),
	)
}

// TestReview5_hostFieldIsCheckedAsHTTPServerDoes: http.Server checks the
// Host FIELD of every HTTP/1.1 request, absolute-form included: present
// (RFC 9112 section 3.2: MUST 400 without it) and well formed
// (httpguts.ValidHostHeader). The gateway's server checks r.Host, which
// ReadRequest takes from an absolute-form target, so both passed. Fixed
// by 4c03053.
func TestReview5_hostFieldIsCheckedAsHTTPServerDoes(t *testing.T) {
	t.Parallel()
	r5SameOrSafer(t,
		"GET http://gw.test/abs HTTP/1.1\r\n\r\n"+r5Last("/after"),
		"GET http://gw.test/abs HTTP/1.1\r\nHost: a b\r\n\r\n"+r5Last("/after"),
		"GET http://gw.test/abs HTTP/1.1\r\nHost: a/b\r\n\r\n"+r5Last("/after"),
	)
}

// TestReview5_foldedHostFieldIsChecked: the Host field http.Server checks
// is the parser's, obs-fold joined ("gw.test evil"); the framer checks the
// first line of it only, and with an absolute-form target r.Host is the
// URL's, so a folded malformed Host passed. Fixed by ccb7f1e.
func TestReview5_foldedHostFieldIsChecked(t *testing.T) {
	t.Parallel()
	r5SameOrSafer(t,
		"GET http://gw.test/abs HTTP/1.1\r\nHost: gw.test\r\n evil\r\n\r\n"+r5Last("/after"),
		"GET http://gw.test/abs HTTP/1.1\r\nHost:\r\n a/b\r\n\r\n"+r5Last("/after"),
	)
}

// r5SameOrSafer runs each raw stream on a new pair and fails unless the
// gateway's server answers it as http.Server does, or more safely.
func r5SameOrSafer(t *testing.T, raws ...string) {
	t.Helper()
	for _, raw := range raws {
		p := newR5Pair(t)
		own, ref := p.run(t, raw, nil, r5Quiet, nil)
		if !own.equal(ref) && !own.saferThan(ref) {
			t.Errorf("%q:\n  %s: %v\n  %s: %v", raw, p.own.name, own, p.ref.name, ref)
		}
	}
}

// TestReview5_largeUnreadBodyAnswerSaysClose: an answer to a request whose
// body the handler left unread, too large to drain (256 KiB), is followed
// by the server closing the connection; http.Server says so in the answer
// (Connection: close, its "tooBig" check before the header), so that a
// client or a front proxy does not put the connection back in its pool and
// send the next request (maybe another user's POST) into a closing socket.
// The new server's answer said nothing and the connection then closed.
// Fixed by 5b24ec8.
func TestReview5_largeUnreadBodyAnswerSaysClose(t *testing.T) {
	t.Parallel()
	const n = 1 << 20
	for _, head := range []string{
		fmt.Sprintf("TRACE /big HTTP/1.1\r\nHost: gw.test\r\nContent-Length: %d\r\n\r\n", n),   // the gateway's 405
		fmt.Sprintf("POST /a/../b HTTP/1.1\r\nHost: gw.test\r\nContent-Length: %d\r\n\r\n", n), // the gateway's 400
		"TRACE /bigc HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n",          // chunked: http.Server drains 256 KiB before the header
	} {
		body := strings.Repeat("x", n)
		if strings.Contains(head, "chunked") {
			body = strings.Repeat(fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat("x", 64<<10)), n/(64<<10)) + "0\r\n\r\n"
		}
		p := newR5Pair(t)
		own, ref := p.run(t, head+body, nil, r5Quiet, nil)
		if !own.equal(ref) || own.LastClose != ref.LastClose {
			t.Errorf("%q:\n  %s: %v, answer says close %v\n  %s: %v, answer says close %v", head, p.own.name, own, own.LastClose, p.ref.name, ref, ref.LastClose)
		}
	}
}
