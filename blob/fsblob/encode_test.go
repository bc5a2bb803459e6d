package fsblob

import (
	"strings"
	"testing"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/blobtest"
)

func TestEncodeExamples(t *testing.T) {
	for key, want := range map[string]string{
		"Photos/2024/my cat.jpg": "^photos/2024/my%20cat.jpg",
		"dir/":                   "dir/%",
		"a//b":                   "a/%/b",
		".hidden":                "%2ehidden",
		"a~m":                    "a%7em",
		"100%":                   "100%25",
	} {
		if got := encodePath(key); got != want {
			t.Errorf("encodePath(%q) = %q, want %q", key, got, want)
		}
	}
}

func FuzzEncodeRoundTrip(f *testing.F) {
	for _, k := range blobtest.HostileKeys {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if blob.ValidateKey(key) != nil {
			return
		}
		enc := encodePath(key)
		for _, name := range strings.Split(enc, "/") {
			if name == "" || name == "." || name == ".." || strings.HasPrefix(name, ".") ||
				len(name)+len(dataSuffix)+16 > 255 || strings.ContainsAny(name, "~\x00\\") || strings.ToLower(name) != name {
				t.Fatalf("encodePath(%q) has unsafe name %q", key, name)
			}
		}
		got, err := decodePath(enc)
		if err != nil || got != key {
			t.Fatalf("decodePath(encodePath(%q)) = %q, %v", key, got, err)
		}
	})
}
