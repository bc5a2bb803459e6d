package gateway_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/gateway"
)

func TestCleanPath(t *testing.T) {
	ok := []string{"/", "/api", "/api/items/42", "/a%20b", "/caf%C3%A9", "/a-b_c~d", "/api/v1.2/x", "/a..b", "/.well-known/x"}
	for _, p := range ok {
		if got, err := gateway.CleanPath(p, 0); err != nil || got != p {
			t.Errorf("CleanPath(%q) = %q, %v", p, got, err)
		}
	}
	bad := []string{
		"", "api", "/api/../x", "/api/./x", "/..", "/.", "/api/..", "//x", "/a//b",
		"/a%2e%2e/x", "/a/%2E%2E/x", "/a/%2e./x", "/a%2fb", "/a%2Fb", "/a%5cb", "/a\\b", "/a%252e",
		"/a%00", "/a%0d%0a", "/a%", "/a%g0", "/a%2", "/%c0%af", "/%ff", "/a b", "/a\x00", "/caf\xc3\xa9",
		"/" + strings.Repeat("a", 3000),
	}
	for _, p := range bad {
		if _, err := gateway.CleanPath(p, 0); !errors.Is(err, gateway.ErrBadPath) {
			t.Errorf("CleanPath(%q) = %v, want ErrBadPath", p, err)
		}
	}
}
