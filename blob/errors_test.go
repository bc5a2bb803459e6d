package blob_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/blob"
)

func TestValidateKey(t *testing.T) {
	valid := []string{
		"a", "photos/2024/cat.jpg", "a//b", "dir/", "back\\slash", "C:/x", "spaces and:colons",
		"ünïcödé/日本", "..a", "a..", ".hidden", "a/.b", "%2e%2e", "~tilde", strings.Repeat("x", blob.MaxKeyBytes),
	}
	for _, k := range valid {
		if err := blob.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", k, err)
		}
	}
	invalid := []string{
		"", "/abs", "..", ".", "../x", "a/../b", "a/./b", "a/..", "nul\x00byte", "\xff\xfe",
		strings.Repeat("x", blob.MaxKeyBytes+1),
	}
	for _, k := range invalid {
		if err := blob.ValidateKey(k); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
}

func TestValidateMetadata(t *testing.T) {
	for _, md := range []map[string]string{nil, {}, {"Source-Name": "cat.jpg", "x_y": "1 2 ~"}} {
		if err := blob.ValidateMetadata(md); err != nil {
			t.Errorf("ValidateMetadata(%v) = %v", md, err)
		}
	}
	for name, md := range map[string]map[string]string{
		"empty key":    {"": "v"},
		"space in key": {"a b": "v"},
		"newline":      {"k": "a\nb"},
		"non-ASCII":    {"k": "é"},
		"case twice":   {"K": "1", "k": "2"},
		"too big":      {"k": strings.Repeat("v", blob.MaxMetadataBytes)},
	} {
		if err := blob.ValidateMetadata(md); !errors.Is(err, blob.ErrInvalidMetadata) {
			t.Errorf("%s: ValidateMetadata = %v, want ErrInvalidMetadata", name, err)
		}
	}
}

func TestTooLargeError(t *testing.T) {
	err := fmt.Errorf("get: %w", &blob.TooLargeError{Key: "k", Size: 11, Limit: 10})
	var tl *blob.TooLargeError
	if !errors.Is(err, blob.ErrTooLarge) || !errors.As(err, &tl) || tl.Limit != 10 {
		t.Fatalf("TooLargeError does not match: %v", err)
	}
}

func TestListLimit(t *testing.T) {
	for in, want := range map[int]int{-1: 1000, 0: 1000, 1: 1, 999: 999, 1000: 1000, 5000: 1000} {
		if got := blob.ListLimit(in); got != want {
			t.Errorf("ListLimit(%d) = %d, want %d", in, got, want)
		}
	}
}
