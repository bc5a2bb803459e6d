// Package s3blob is a [blob.Store] on Amazon S3, or any S3-compatible
// server, through aws-sdk-go-v2.
//
//	cfg, _ := config.LoadDefaultConfig(ctx)
//	store := s3blob.New(s3.NewFromConfig(cfg), "my-bucket")
//
// For a server other than AWS, set the client's BaseEndpoint and
// UsePathStyle (see [github.com/rampartdev/rampart/blob/s3blob/s3test],
// which starts an in-process gofakes3 server for tests).
//
// # Mapping
//
// Put is PutObject with a Content-MD5 header, so S3 refuses a body damaged
// on the way; Get, Head, Delete and List are GetObject, HeadObject,
// DeleteObject and ListObjectsV2 (with StartAfter). The S3 error codes
// NoSuchKey and NotFound (HeadObject's code for a missing key, and also for
// a missing bucket, since a HEAD response has no body) become
// [blob.ErrNotFound]. Other errors, such as NoSuchBucket or AccessDenied,
// are returned wrapped with the operation, bucket and key.
//
// Put does not report LastModified (PutObject does not return it); Head,
// Get and List do, to the second. VersionID is S3's version ID when the
// bucket has versioning enabled, and empty otherwise.
//
// GetWithOptions checks the Content-Length of the response against
// MaxBytes before reading the body, and reads at most MaxBytes+1 bytes in
// any case.
package s3blob
