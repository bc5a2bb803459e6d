package s3blob_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/blobtest"
	"github.com/rampartdev/rampart/blob/s3blob"
	"github.com/rampartdev/rampart/blob/s3blob/s3test"
)

func TestStore_Conformance(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client()
	blobtest.RunWithDeviations(t, func(t *testing.T) blob.Store {
		return s3blob.New(client, srv.NewBucket(t, "conformance"))
	}, s3test.Deviations)
}

func TestStore_MissingBucket(t *testing.T) {
	srv := s3test.Start(t)
	s := s3blob.New(srv.Client(), "no-such-bucket")
	_, _, err := s.Get(context.Background(), "k")
	if err == nil || errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get from a missing bucket = %v, want an error other than ErrNotFound", err)
	}
	if _, err := s.Put(context.Background(), "k", []byte("x"), blob.PutOptions{}); err == nil {
		t.Fatal("Put to a missing bucket succeeded")
	}
}

func TestStore_Versioning(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	client := srv.Client()
	bucket := srv.NewBucket(t, "versioned")
	if _, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
	}); err != nil {
		t.Fatal(err)
	}
	s := s3blob.New(client, bucket)
	a, err := s.Put(ctx, "k", []byte("one"), blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(ctx, "k", []byte("two"), blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.VersionID == "" || a.VersionID == b.VersionID {
		t.Fatalf("versions %q, %q: want two different IDs", a.VersionID, b.VersionID)
	}
	head, err := s.Head(ctx, "k")
	if err != nil || head.VersionID != b.VersionID {
		t.Fatalf("Head = %+v, %v; want version %q", head, err, b.VersionID)
	}
}
