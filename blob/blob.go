package blob

import (
	"context"
	"time"
)

// Object describes a stored object.
type Object struct {
	// Key is the object's key.
	Key string
	// Size is the length of the body in bytes.
	Size int64
	// ETag is the hex MD5 of the body in double quotes, as S3 reports it for
	// single-part uploads.
	ETag string
	// VersionID identifies this version of the object, when the backend
	// versions objects; empty otherwise. See each backend for its format.
	VersionID string
	// ContentType is the media type given to Put. When none was given it is
	// empty or the backend's default (S3 reports "binary/octet-stream").
	ContentType string
	// CacheControl is the Cache-Control value given to Put.
	CacheControl string
	// LastModified is when the object was written. It may be the zero time
	// where a backend does not report it (see the backend's Put).
	LastModified time.Time
	// Metadata is the user metadata given to Put, with lower-case keys. It
	// is nil when there is none.
	Metadata map[string]string
}

// PutOptions are the attributes stored with an object. The zero value
// stores none.
type PutOptions struct {
	// ContentType is the media type, such as "image/jpeg".
	ContentType string
	// CacheControl is the Cache-Control value served with the object.
	CacheControl string
	// Metadata is user metadata; see [ValidateMetadata].
	Metadata map[string]string
}

// GetOptions constrain a read. The zero value reads any object whole.
type GetOptions struct {
	// MaxBytes, when positive, refuses an object larger than this many
	// bytes with a [*TooLargeError] before its body is read.
	MaxBytes int64
}

// DefaultListLimit is the page size List uses when limit is zero or
// negative, and the largest it returns, as in S3.
const DefaultListLimit = 1000

// Store is an object store with the semantics of S3.
//
// All methods are safe for concurrent use. Every method takes ctx first and
// returns ctx's error (wrapped) when it is done before the operation ends.
type Store interface {
	// Put stores body under key, replacing any object there, and returns
	// the new object's description. A reader sees either the old object or
	// the new one, never a mix.
	Put(ctx context.Context, key string, body []byte, opts PutOptions) (Object, error)
	// Get returns the body and description of the object at key, or an
	// error matching ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, Object, error)
	// GetWithOptions is Get with limits; see GetOptions.
	GetWithOptions(ctx context.Context, key string, opts GetOptions) ([]byte, Object, error)
	// Head returns the description of the object at key, or an error
	// matching ErrNotFound.
	Head(ctx context.Context, key string) (Object, error)
	// Delete removes the object at key. Deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
	// List returns up to limit objects whose keys start with prefix and sort
	// after the key after, in lexicographic (byte) order of keys. A limit of
	// zero or less, or above DefaultListLimit, means DefaultListLimit. next
	// is the key to pass as after for the following page, or "" when there
	// are no more. Listed objects carry Key, Size, ETag and LastModified;
	// call Head for the rest.
	List(ctx context.Context, prefix, after string, limit int) (objs []Object, next string, err error)
}
