// Package blob is the object storage port of Rampart: a small [Store]
// interface with the semantics of Amazon S3, and the shared rules every
// backend follows. Backends live in their own packages:
//
//   - [github.com/rampartdev/rampart/blob/fsblob] keeps objects in a folder
//     on the local filesystem (the `rampart dev` runtime);
//   - [github.com/rampartdev/rampart/blob/s3blob] talks to S3 (or any
//     S3-compatible server) through aws-sdk-go-v2.
//
// [github.com/rampartdev/rampart/blob/blobtest] is the conformance suite both
// pass; use it for any new backend.
//
// # Keys
//
// A key is a UTF-8 string of 1 to 1024 bytes, as in S3. So that a key means
// the same thing on every backend (and can safely become a file path or a
// URL path), [ValidateKey] additionally refuses keys that contain NUL, start
// with "/", or have a "." or ".." segment between slashes. Any other byte
// sequence is allowed, including "//", a trailing "/", backslashes, spaces,
// colons and non-ASCII text. Invalid keys fail with [ErrInvalidKey].
//
// # Objects
//
// An [Object] describes a stored object. ETag is the hex MD5 of the body in
// double quotes, as S3 reports it for single-part uploads. User metadata keys
// are case-insensitive and come back in lower case; see [ValidateMetadata]
// for what they may contain.
//
// # Reading safely
//
// Objects come from users, so a reader that holds whole objects in memory
// should bound them: [Store.GetWithOptions] with [GetOptions.MaxBytes]
// refuses a larger object with a [*TooLargeError] (matching [ErrTooLarge])
// before its body is read, and never reads more than the limit even if the
// backend under-reports the size.
//
// # Errors
//
// Backends translate their own "not found" into [ErrNotFound]; Delete of a
// missing key succeeds, as in S3. Errors are wrapped with the operation and
// key, so test them with [errors.Is] and [errors.As].
package blob
