package blob

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Errors returned by every Store.
var (
	// ErrNotFound means no object exists at the key.
	ErrNotFound = errors.New("blob: object not found")
	// ErrInvalidKey means the key breaks the rules of [ValidateKey].
	ErrInvalidKey = errors.New("blob: invalid key")
	// ErrInvalidMetadata means user metadata breaks the rules of
	// [ValidateMetadata].
	ErrInvalidMetadata = errors.New("blob: invalid metadata")
	// ErrTooLarge means an object is larger than GetOptions.MaxBytes; the
	// error is a [*TooLargeError].
	ErrTooLarge = errors.New("blob: object too large")
)

// TooLargeError reports an object refused by GetOptions.MaxBytes. It
// matches [ErrTooLarge].
type TooLargeError struct {
	Key   string
	Size  int64 // the object's size; at least Limit+1 when only a lower bound is known
	Limit int64 // GetOptions.MaxBytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("blob: object %q of %d bytes exceeds the limit of %d bytes", e.Key, e.Size, e.Limit)
}

// Is reports whether target is ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// MaxKeyBytes is the longest key, in bytes, as in S3.
const MaxKeyBytes = 1024

// MaxMetadataBytes is the most user metadata (keys plus values) an object
// may carry, as in S3.
const MaxMetadataBytes = 2048

// ValidateKey returns an error matching [ErrInvalidKey] unless key is a
// valid key: 1 to [MaxKeyBytes] bytes of UTF-8 without NUL, not starting
// with "/", and without a "." or ".." segment.
func ValidateKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidKey, clip(key), why) }
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	case len(key) > MaxKeyBytes:
		return bad(fmt.Sprintf("%d bytes, more than %d", len(key), MaxKeyBytes))
	case !utf8.ValidString(key):
		return bad("not valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		return bad("contains NUL")
	case key[0] == '/':
		return bad("absolute (starts with /)")
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return bad(fmt.Sprintf("has a %q segment", seg))
		}
	}
	return nil
}

// ValidateMetadata returns an error matching [ErrInvalidMetadata] unless
// every key is a non-empty HTTP header token (letters, digits and
// !#$%&'*+-.^_`|~), every value is printable ASCII or space, and all keys
// and values together take at most [MaxMetadataBytes] bytes. These are the
// values S3 stores unchanged, since it sends metadata as HTTP headers.
// Keys differing only in case are refused.
func ValidateMetadata(md map[string]string) error {
	total := 0
	seen := make(map[string]bool, len(md))
	for k, v := range md {
		total += len(k) + len(v)
		if k == "" {
			return fmt.Errorf("%w: empty key", ErrInvalidMetadata)
		}
		for i := 0; i < len(k); i++ {
			if !isToken(k[i]) {
				return fmt.Errorf("%w: key %q: byte %q is not allowed in a header name", ErrInvalidMetadata, k, k[i])
			}
		}
		for i := 0; i < len(v); i++ {
			if v[i] < ' ' || v[i] > '~' {
				return fmt.Errorf("%w: value of %q: byte %#x is not printable ASCII", ErrInvalidMetadata, k, v[i])
			}
		}
		lk := strings.ToLower(k)
		if seen[lk] {
			return fmt.Errorf("%w: key %q given twice in different case", ErrInvalidMetadata, k)
		}
		seen[lk] = true
	}
	if total > MaxMetadataBytes {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidMetadata, total, MaxMetadataBytes)
	}
	return nil
}

// NormalizeMetadata returns a copy of md with lower-case keys, or nil when
// md is empty. Backends store and return metadata in this form.
func NormalizeMetadata(md map[string]string) map[string]string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[strings.ToLower(k)] = v
	}
	return out
}

// ListLimit returns the page size List uses for limit: DefaultListLimit
// when limit is zero, negative or larger.
func ListLimit(limit int) int {
	if limit <= 0 || limit > DefaultListLimit {
		return DefaultListLimit
	}
	return limit
}

func isToken(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// clip shortens a key for an error message.
func clip(key string) string {
	if len(key) <= 64 {
		return key
	}
	return key[:64] + "..."
}
