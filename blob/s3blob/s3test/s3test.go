// Package s3test starts an in-process S3-compatible server (gofakes3 with
// its memory backend, on 127.0.0.1) for tests, and gives aws-sdk-go-v2
// clients configured for it.
//
//	srv := s3test.Start(t)
//	client := srv.Client()
//	bucket := srv.NewBucket(t, "uploads")
package s3test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/rampartdev/rampart/blob/blobtest"
)

// Deviations are where gofakes3 v1.2.0 departs from S3, for
// [blobtest.RunWithDeviations]: it does not store Cache-Control, it merges
// user metadata into a replaced object instead of replacing it, and HEAD
// reports version IDs on an unversioned bucket that PUT and GET do not.
var Deviations = blobtest.Deviations{
	CacheControlNotStored:   true,
	MetadataMergedOnReplace: true,
	VersionIDsInconsistent:  true,
}

// Region is the region the clients sign for.
const Region = "us-east-1"

// Server is a running fake S3 server.
type Server struct {
	// URL is the server's base URL, such as http://127.0.0.1:40123.
	URL string
	// Backend is the in-memory store behind the server.
	Backend *s3mem.Backend

	buckets atomic.Int64
}

// Start starts a server that is stopped when tb's test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	backend := s3mem.New()
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	hs := httptest.NewServer(faker.Server())
	tb.Cleanup(hs.Close)
	return &Server{URL: hs.URL, Backend: backend}
}

// Client returns an S3 client for the server: path-style addressing,
// static test credentials, and no dependence on the environment (no
// AWS_* variables, shared config or instance metadata are read).
func (s *Server) Client(optFns ...func(*s3.Options)) *s3.Client {
	opts := []func(*s3.Options){func(o *s3.Options) {
		o.Region = Region
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")
	}}
	return s3.New(s3.Options{}, append(opts, optFns...)...)
}

// NewBucket creates a bucket named after prefix with a unique suffix, and
// returns its name.
func (s *Server) NewBucket(tb testing.TB, prefix string) string {
	tb.Helper()
	name := fmt.Sprintf("%s-%d", prefix, s.buckets.Add(1))
	if _, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
		tb.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	return name
}
