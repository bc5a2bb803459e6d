package s3blob_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/s3blob"
	"github.com/rampartdev/rampart/blob/s3blob/s3test"
)

// The attributes gofakes3 drops (see s3test.Deviations) still travel: Put
// sends them as S3 headers, and Get and Head read them from S3's response
// headers.
func TestStore_AttributesOnTheWire(t *testing.T) {
	ctx := context.Background()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	var mu sync.Mutex
	var put http.Header
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/k") {
			mu.Lock()
			put = r.Header.Clone()
			mu.Unlock()
		}
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasSuffix(r.URL.Path, "/k") {
			// What S3 sends back for an object stored with Cache-Control.
			w.Header().Set("Cache-Control", "max-age=60")
		}
		faker.Server().ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	srv := &s3test.Server{URL: hs.URL}
	s := s3blob.New(srv.Client(), srv.NewBucket(t, "wire"))

	body := []byte("thumbnail bytes")
	if _, err := s.Put(ctx, "k", body, blob.PutOptions{
		ContentType: "image/jpeg", CacheControl: "max-age=60", Metadata: map[string]string{"Source": "a.jpg"},
	}); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	mu.Lock()
	for name, want := range map[string]string{
		"Content-Type":      "image/jpeg",
		"Cache-Control":     "max-age=60",
		"X-Amz-Meta-Source": "a.jpg",
		"Content-Md5":       base64.StdEncoding.EncodeToString(sum[:]),
	} {
		if got := put.Get(name); got != want {
			t.Errorf("PutObject header %s = %q, want %q", name, got, want)
		}
	}
	mu.Unlock()
	_, obj, err := s.Get(ctx, "k")
	if err != nil || obj.CacheControl != "max-age=60" || obj.Metadata["source"] != "a.jpg" {
		t.Fatalf("Get = %+v, %v", obj, err)
	}
	if obj, err := s.Head(ctx, "k"); err != nil || obj.CacheControl != "max-age=60" || obj.ContentType != "image/jpeg" {
		t.Fatalf("Head = %+v, %v", obj, err)
	}
}
