package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"
)

// TokenPrefix starts every token Rampart issues.
const TokenPrefix = "rpt_"

// Token errors.
var (
	// ErrTokenNotFound is returned by a [TokenStore] when no token has the hash.
	ErrTokenNotFound = errors.New("gateway: token not found")
	// ErrMalformedToken is returned by [ParseToken] for a string that is not
	// of the form rpt_<id>_<secret>.
	ErrMalformedToken = errors.New("gateway: malformed token")
)

// TokenRecord is what a [TokenStore] keeps about a token: its hash and
// metadata, never the token itself.
type TokenRecord struct {
	ID        string    `json:"id"`             // public part of the token, safe to log
	Hash      string    `json:"hash"`           // HashToken of the whole token, hex
	Tenant    string    `json:"tenant"`         // who the token belongs to
	Scopes    []string  `json:"scopes"`         // route scopes the token grants
	Rate      int       `json:"rate"`           // requests per Period; 0 means no limit
	Period    Duration  `json:"period"`         // the rate's period; 0 means one second
	Burst     int       `json:"burst"`          // requests allowed at once; 0 means Rate
	CreatedAt time.Time `json:"created_at"`     // when the token was issued
	ExpiresAt time.Time `json:"expires_at"`     // zero means it never expires
	Revoked   bool      `json:"revoked"`        // a revoked token is refused
	Note      string    `json:"note,omitempty"` // free text for operators
}

// Limit returns the token's rate limit.
func (r *TokenRecord) Limit() Limit {
	return Limit{Rate: r.Rate, Period: time.Duration(r.Period), Burst: r.Burst}
}

// HasScope reports whether the token grants scope. The empty scope is
// granted to every token, and the scope "*" grants every scope.
func (r *TokenRecord) HasScope(scope string) bool {
	if scope == "" {
		return true
	}
	for _, s := range r.Scopes {
		if s == scope || s == "*" {
			return true
		}
	}
	return false
}

// Expired reports whether the token has expired at now.
func (r *TokenRecord) Expired(now time.Time) bool {
	return !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt)
}

// TokenStore finds token records by token id: the id is the selector, the
// hash of the whole token the verifier. Looking up by id lets the gateway
// tell a token id no store knows (which it may remember as unknown for a
// while, see [TokenCache]) from a known id with a wrong secret (which it
// must not, or anyone could lock a token out by sending its id). Ids are
// not secret. Implementations must be safe for concurrent use.
type TokenStore interface {
	// LookupToken returns the record whose ID is id, or an error wrapping
	// ErrTokenNotFound when there is none. The gateway checks the record's
	// ID and compares its Hash with the presented token's in constant time,
	// so a store returning another record cannot let a token through.
	// Callers must not modify the record returned: a cache may share it
	// between requests.
	LookupToken(ctx context.Context, id string) (*TokenRecord, error)
}

// TokenStoreFunc adapts a function to [TokenStore].
type TokenStoreFunc func(ctx context.Context, id string) (*TokenRecord, error)

// LookupToken calls f.
func (f TokenStoreFunc) LookupToken(ctx context.Context, id string) (*TokenRecord, error) {
	return f(ctx, id)
}

// GenerateToken returns a new token rpt_<id>_<secret> read from rand (use
// crypto/rand.Reader), and its id. The id is 8 random bytes in hex (so it
// never starts with "-" on a command line) and the secret 32 bytes in
// base64url without padding. The token is shown to its owner once; only
// [HashToken] of it is stored.
func GenerateToken(rand io.Reader) (token, id string, err error) {
	var b [40]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", "", err
	}
	id = hex.EncodeToString(b[:8])
	return TokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b[8:]), id, nil
}

// The bounds ParseToken holds a token to.
const (
	maxIDLen     = 64
	minSecretLen = 16
	maxSecretLen = 256
	maxTokenLen  = len(TokenPrefix) + maxIDLen + 1 + maxSecretLen
)

// ParseToken splits a token into its id and secret. The id never contains
// an underscore, so the first underscore after the prefix ends it.
func ParseToken(token string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return "", "", ErrMalformedToken
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || id == "" || len(id) > maxIDLen || len(secret) < minSecretLen || len(secret) > maxSecretLen {
		return "", "", ErrMalformedToken
	}
	for i := 0; i < len(rest); i++ {
		if !isTokenByte(rest[i]) {
			return "", "", ErrMalformedToken
		}
	}
	return id, secret, nil
}

// isTokenByte reports whether c may appear in a token after its prefix.
func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// HashToken returns the hex SHA-256 of the whole token: what stores keep to
// verify a token presented with the record's id.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenHashIs reports whether HashToken(token) is hash, comparing the
// hashes in constant time, without allocating: the token ParseToken
// accepts is hashed from a copy on the stack.
func tokenHashIs(token, hash string) bool {
	var buf [maxTokenLen]byte
	var sum [sha256.Size]byte
	if len(token) <= len(buf) {
		sum = sha256.Sum256(buf[:copy(buf[:], token)])
	} else {
		sum = sha256.Sum256([]byte(token))
	}
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	if len(hash) != len(hx) {
		return false
	}
	var v byte
	for i := range hx {
		v |= hx[i] ^ hash[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}
