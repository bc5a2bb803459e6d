package gateway_test

import (
	"strings"
	"testing"

	"github.com/rampartdev/rampart/gateway"
)

// TestReview4_tokenAsAQueryParameterName: a Rampart token is removed from
// the forwarded query as a parameter's name too, not only as its value: a
// bare "?rpt_..." (a client appending its token to "?"), "rpt_...=1", the
// name percent-encoded, or inside a bracketed name ("x[rpt_...]=1") never
// reach the origin, or its access log, with the secret (before 6071a6a
// they all did).
func TestReview4_tokenAsAQueryParameterName(t *testing.T) {
	tok := "rpt_0123456789abcdef_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
	if _, _, err := gateway.ParseToken(tok); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		tok,
		tok + "=1",
		"a=1&" + tok,
		"%72pt_" + tok[4:] + "=1",
		"x[" + tok + "]=1",
	} {
		got := gateway.StripQuery(q, gateway.DefaultStripQuery)
		if strings.Contains(got, tok[4:]) {
			t.Errorf("StripQuery(%q) = %q: the token's secret is forwarded", q, got)
		}
	}
}
