package s3blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/rampartdev/rampart/blob"
)

var _ blob.Store = (*Store)(nil)

// Store keeps objects in one S3 bucket. It is safe for concurrent use.
type Store struct {
	client *s3.Client
	bucket string
}

// New returns a Store for bucket through client.
func New(client *s3.Client, bucket string) *Store {
	return &Store{client: client, bucket: bucket}
}

// Bucket returns the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Put implements [blob.Store].
func (s *Store) Put(ctx context.Context, key string, body []byte, opts blob.PutOptions) (blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Object{}, fmt.Errorf("s3blob: put: %w", err)
	}
	if err := blob.ValidateMetadata(opts.Metadata); err != nil {
		return blob.Object{}, fmt.Errorf("s3blob: put %s/%s: %w", s.bucket, key, err)
	}
	sum := md5.Sum(body)
	md := blob.NormalizeMetadata(opts.Metadata)
	out, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           &key,
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		ContentType:   optional(opts.ContentType),
		CacheControl:  optional(opts.CacheControl),
		Metadata:      md,
	})
	if err != nil {
		return blob.Object{}, s.fail("put", key, err)
	}
	return blob.Object{
		Key: key, Size: int64(len(body)), ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId),
		ContentType: opts.ContentType, CacheControl: opts.CacheControl, Metadata: md,
	}, nil
}

// Get implements [blob.Store].
func (s *Store) Get(ctx context.Context, key string) ([]byte, blob.Object, error) {
	return s.GetWithOptions(ctx, key, blob.GetOptions{})
}

// GetWithOptions implements [blob.Store].
func (s *Store) GetWithOptions(ctx context.Context, key string, opts blob.GetOptions) ([]byte, blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, blob.Object{}, fmt.Errorf("s3blob: get: %w", err)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, blob.Object{}, s.fail("get", key, err)
	}
	defer out.Body.Close()
	size := aws.ToInt64(out.ContentLength)
	if opts.MaxBytes > 0 && size > opts.MaxBytes {
		return nil, blob.Object{}, fmt.Errorf("s3blob: get %s/%s: %w", s.bucket, key, &blob.TooLargeError{Key: key, Size: size, Limit: opts.MaxBytes})
	}
	// Never trust Content-Length alone: read at most one byte past the
	// limit (or past the announced size when there is no limit).
	limit := size + 1
	if opts.MaxBytes > 0 {
		limit = opts.MaxBytes + 1
	}
	var buf bytes.Buffer
	if out.ContentLength != nil {
		buf.Grow(int(min(size, limit)))
	}
	var r io.Reader = out.Body
	if out.ContentLength != nil || opts.MaxBytes > 0 {
		r = io.LimitReader(out.Body, limit)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, blob.Object{}, s.fail("get", key, err)
	}
	body := buf.Bytes()
	if opts.MaxBytes > 0 && int64(len(body)) > opts.MaxBytes {
		return nil, blob.Object{}, fmt.Errorf("s3blob: get %s/%s: %w", s.bucket, key, &blob.TooLargeError{Key: key, Size: int64(len(body)), Limit: opts.MaxBytes})
	}
	if out.ContentLength != nil && int64(len(body)) != size {
		return nil, blob.Object{}, fmt.Errorf("s3blob: get %s/%s: read %d bytes, Content-Length is %d", s.bucket, key, len(body), size)
	}
	return body, blob.Object{
		Key: key, Size: int64(len(body)), ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId),
		ContentType: aws.ToString(out.ContentType), CacheControl: aws.ToString(out.CacheControl),
		LastModified: aws.ToTime(out.LastModified), Metadata: blob.NormalizeMetadata(out.Metadata),
	}, nil
}

// Head implements [blob.Store].
func (s *Store) Head(ctx context.Context, key string) (blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Object{}, fmt.Errorf("s3blob: head: %w", err)
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return blob.Object{}, s.fail("head", key, err)
	}
	return blob.Object{
		Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId),
		ContentType: aws.ToString(out.ContentType), CacheControl: aws.ToString(out.CacheControl),
		LastModified: aws.ToTime(out.LastModified), Metadata: blob.NormalizeMetadata(out.Metadata),
	}, nil
}

// Delete implements [blob.Store].
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("s3blob: delete: %w", err)
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if err := s.fail("delete", key, err); errors.Is(err, blob.ErrNotFound) {
			return nil
		} else {
			return err
		}
	}
	return nil
}

// List implements [blob.Store].
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]blob.Object, string, error) {
	limit = blob.ListLimit(limit)
	out, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:     &s.bucket,
		Prefix:     optional(prefix),
		StartAfter: optional(after),
		MaxKeys:    aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, "", s.fail("list", prefix, err)
	}
	objs := make([]blob.Object, 0, len(out.Contents))
	for _, o := range out.Contents {
		objs = append(objs, blob.Object{
			Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag),
			LastModified: aws.ToTime(o.LastModified),
		})
	}
	next := ""
	if aws.ToBool(out.IsTruncated) && len(objs) > 0 {
		next = objs[len(objs)-1].Key
	}
	return objs, next, nil
}

// fail wraps an SDK error, mapping S3's not-found codes to
// blob.ErrNotFound.
func (s *Store) fail(op, key string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("s3blob: %s %s/%s: %w", op, s.bucket, key, blob.ErrNotFound)
		}
	}
	return fmt.Errorf("s3blob: %s %s/%s: %w", op, s.bucket, key, err)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
